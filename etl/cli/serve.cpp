// pinpipe serve: HTTP ingest (issue #6). Placeholder until the server lands.
#include "cli/command.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {

int serve_command(const Args& /*args*/) {
    throw UsageError("not built yet (tracked in issue #6)");
}

}  // namespace pinpipe::cli
