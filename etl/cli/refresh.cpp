// pinpipe refresh (issue #4). Placeholder until the command lands.
#include "cli/command.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {

int refresh_command(const Args& /*args*/) {
    throw UsageError("not built yet (tracked in issue #4)");
}

}  // namespace pinpipe::cli
