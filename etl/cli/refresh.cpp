// pinpipe refresh [--verify | --rebuild]: checks the live analytics against DESIGN §7, or
// recomputes clean.* and the counts from staging (DESIGN §5).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "analytics/refresh.hpp"
#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "pg/connection.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {

int refresh_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "The analytics answers are live: triggers on staging keep clean.* and the count tables "
        "behind analytics.* current in the transaction that loads, so nothing needs refreshing. "
        "--verify (also the default) recomputes the nine answers of DESIGN §7 as plain SQL over "
        "clean.*, in one snapshot, prints one line per answer and exits 1 naming every answer "
        "that differs. --rebuild recomputes clean.* and the counts from all of staging (after a "
        "repair or a change of the cleaning rules; exact while retention has dropped no staging "
        "partition); loads wait while it runs. Run --rebuild as the role that ran pinpipe "
        "migrate.");
    add_connection_options(options);
    add_logging_options(options);
    options.add_options()("verify", "compare the live answers with their recomputation (default)")(
        "rebuild", "recompute clean.* and the analytics counts from staging, then verify");
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const bool rebuild = result->count("rebuild") > 0;
    if (rebuild && result->count("verify") > 0) {
        throw UsageError("--verify and --rebuild exclude each other (--rebuild verifies too)");
    }
    const ConnectionSettings settings = connection_settings(*result);

    if (rebuild) {
        pg::Connection cx(settings.dsn, "pinpipe-refresh");
        const auto started = std::chrono::steady_clock::now();
        const analytics::RebuildSummary summary = analytics::rebuild_live_state(cx);
        std::cout << fmt::format(
                         "rebuilt {} pins, {} geolocations, {} users and their counts from "
                         "staging in {:.1f} s",
                         summary.pins, summary.geolocations, summary.users,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                             .count())
                  << std::endl;
        if (!summary.retention_cutoff.empty()) {
            std::cout << fmt::format(
                             "note: pinpipe retention has dropped staging messages older than {} "
                             "(etl.retention_runs): the rebuilt state covers only what staging "
                             "keeps, so an ind last sent before then is no longer in clean.* or "
                             "the answers",
                             summary.retention_cutoff)
                      << std::endl;
        }
    }
    pg::Connection cx(settings.dsn, "pinpipe-refresh");
    analytics::verify_answers_or_throw(cx, std::cout);
    return 0;
}

}  // namespace pinpipe::cli
