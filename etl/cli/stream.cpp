// pinpipe stream (issue #5). Placeholder until the command lands.
#include "cli/command.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {

int stream_command(const Args& /*args*/) {
    throw UsageError("not built yet (tracked in issue #5)");
}

}  // namespace pinpipe::cli
