// pinpipe refresh [--verify | --rebuild]: checks the live analytics against DESIGN §7, or
// recomputes clean.* and the counts from staging (DESIGN §5).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "analytics/refresh.hpp"
#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "obs/progress.hpp"
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
    add_progress_options(options);
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
    obs::ProgressLine progress(progress_wanted(*result), std::cerr, obs::stderr_width());
    // Each phase is one statement that can take minutes on a big staging: the line shows which
    // one runs and for how long.
    const auto phase_ticker = [&progress](std::string phase) {
        return std::make_unique<obs::ProgressTicker>(
            progress, [phase = std::move(phase), started = std::chrono::steady_clock::now()] {
                return fmt::format(
                    "{}, {} elapsed", phase,
                    obs::format_duration(
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                            .count()));
            });
    };
    if (rebuild) {
        pg::Connection cx(settings.dsn, "pinpipe-refresh");
        const auto started = std::chrono::steady_clock::now();
        auto ticker = phase_ticker("refresh: rebuilding clean.* and the counts from staging");
        const analytics::RebuildSummary summary = analytics::rebuild_live_state(cx);
        ticker.reset();
        progress.finish();
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
    auto ticker = phase_ticker(fmt::format("refresh: recomputing the {} analytics answers",
                                           analytics::answer_definitions().size()));
    const std::vector<analytics::AnswerCheck> checks = analytics::verify_answers(cx);
    ticker.reset();
    progress.finish();
    analytics::report_answers_or_throw(checks, std::cout);
    return 0;
}

}  // namespace pinpipe::cli
