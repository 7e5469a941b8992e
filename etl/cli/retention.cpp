// pinpipe retention: bounds staging (and optionally the dead letters) to a window of time and
// makes the day partitions ahead; prints what it dropped. Meant for a daily cron or timer.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "obs/progress.hpp"
#include "ops/retention.hpp"
#include "pg/connection.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {
namespace {

std::optional<ops::TimeBound> age_option(const cxxopts::ParseResult& result, const char* name) {
    if (!result.count(name)) {
        return std::nullopt;
    }
    const std::string option = fmt::format("--{}", name);
    ops::TimeBound bound = ops::parse_time_bound(option, result[name].as<std::string>());
    ops::require_age(option, bound);
    return bound;
}

}  // namespace

int retention_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Drop every day partition of staging.pin_events, geo_events and user_events whose whole "
        "day is older than now - --keep (detached, then dropped: no row is read, the space is "
        "free at once, and loads wait only for the detach), "
        "delete the older rows of their default partitions, and make the day partitions of the "
        "next 7 days (filing into them rows that waited in a default partition). Prints each "
        "dropped partition with its range and rows. clean.*, the counts and the nine answers "
        "do not live in staging and do not change; pinpipe refresh --rebuild covers only what "
        "staging keeps. Without --keep only the partitions are made, and the only tables dropped "
        "are partitions an earlier run detached and stopped before dropping (a partition "
        "detached by hand is kept and listed). "
        "Run it daily as the role that ran pinpipe migrate (only a table's owner may drop it).");
    add_connection_options(options);
    add_logging_options(options);
    add_progress_options(options);
    options.add_options()("keep",
                          "keep staging rows of this age and younger: a number and s, m, h, d or "
                          "w (90d, 12h, 4w)",
                          cxxopts::value<std::string>())(
        "keep-dead-letters",
        "also delete the dead letters (etl.dead_letters) that failed longer ago than this",
        cxxopts::value<std::string>())("dry-run", "show what would be dropped; change nothing")(
        "exact-counts",
        "count the rows of each dropped partition with count(*) instead of the statistics' "
        "estimate")("lock-timeout-s",
                    "how long to wait for running loads before giving up on a table (a DETACH "
                    "locks the whole staging table; loads wait behind it)",
                    cxxopts::value<int>()->default_value("10"));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const ConnectionSettings settings = connection_settings(*result);

    ops::RetentionOptions retention;
    retention.keep = age_option(*result, "keep");
    retention.keep_dead_letters = age_option(*result, "keep-dead-letters");
    retention.dry_run = result->count("dry-run") > 0;
    retention.exact_counts = result->count("exact-counts") > 0;
    retention.lock_timeout = std::chrono::seconds((*result)["lock-timeout-s"].as<int>());
    if (retention.lock_timeout.count() <= 0) {
        throw UsageError("--lock-timeout-s must be positive");
    }

    obs::ProgressLine progress(progress_wanted(*result), std::cerr, obs::stderr_width());
    // The step running now, for the ticker's thread: a DETACH may wait for loads, a count(*)
    // of a big partition takes a while.
    struct Running {
        std::mutex mutex;
        std::string step;
        size_t expired = 0;
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    } running;
    const auto running_line = [&running] {
        const std::lock_guard lock(running.mutex);
        return fmt::format(
            "retention: {}, {} expired partitions so far, {} elapsed", running.step,
            running.expired,
            obs::format_duration(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - running.started)
                    .count()));
    };
    std::optional<obs::ProgressTicker> ticker;
    if (progress.enabled()) {
        retention.on_step = [&](std::string_view step, size_t expired) {
            {
                const std::lock_guard lock(running.mutex);
                running.step = step;
                running.expired = expired;
            }
            // Drawn now, then kept moving while the step runs.
            progress.update(running_line());
            if (!ticker) {
                ticker.emplace(progress, running_line);
            }
        };
    }
    pg::Connection cx(settings.dsn, "pinpipe-retention");
    const ops::RetentionOutcome outcome = ops::run_retention(cx, retention);
    ticker.reset();
    progress.finish();
    std::cout << ops::render_retention(outcome) << std::flush;
    return 0;
}

}  // namespace pinpipe::cli
