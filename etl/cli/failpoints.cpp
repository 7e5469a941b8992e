// pinpipe failpoints: lists the named points that PINPIPE_FAILPOINTS arms (DESIGN §8), one per
// line: the name, a tab, what has and has not happened there.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "obs/failpoints.hpp"

namespace pinpipe::cli {

int failpoints_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "List the failpoints on the write paths of load, stream and serve: name, a tab, what "
        "has happened there. Arm them for one process with "
        "PINPIPE_FAILPOINTS=name=action[@N][,...]: crash (exit 70 at once, no cleanup), error "
        "(load.* and stream.*: a lost PostgreSQL connection; serve: the answer fails), "
        "delay:MS, stop (the process stops itself with SIGSTOP); @N fires at the Nth hit "
        "only, otherwise every hit fires.");
    // It logs nothing, but takes them as every command does (README), so that scripts may
    // pass them to any.
    add_logging_options(options);
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    for (const obs::FailpointInfo& info : obs::failpoint_catalog()) {
        std::cout << info.name << '\t' << info.description << '\n';
    }
    return 0;
}

}  // namespace pinpipe::cli
