// pinpipe status (issue #7). Placeholder until the command lands.
#include "cli/command.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {

int status_command(const Args& /*args*/) {
    throw UsageError("not built yet (tracked in issue #7)");
}

}  // namespace pinpipe::cli
