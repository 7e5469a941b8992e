// pinpipe load [--follow]: the cron-invoked (or long-running) loader of DESIGN §8.
#include <fmt/format.h>

#include <iostream>

#include "analytics/refresh.hpp"
#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "kafka/consumer.hpp"
#include "load/loader.hpp"
#include "obs/progress.hpp"
#include "pg/connection.hpp"
#include "util/errors.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {

int load_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Load <prefix>.pin, .geo and .user into staging.*_events, exactly once: rows and offsets "
        "commit in one transaction, offsets live in etl.consumer_offsets, partitions are claimed "
        "with Postgres advisory locks so that several loaders split them. Without --follow, "
        "reads every partition up to the end seen at start, prints one summary line and exits. "
        "Bad messages go to etl.dead_letters with the reason.");
    add_connection_options(options);
    add_logging_options(options);
    add_progress_options(options);
    add_liveness_options(options);
    const load::LoaderOptions defaults;
    options.add_options()("group",
                          "id under which offsets are kept (and committed to Kafka for "
                          "lag tools)",
                          cxxopts::value<std::string>()->default_value(defaults.group))(
        "follow", "keep loading until SIGTERM/SIGINT (which finish the current batch)")(
        "refresh",
        "after loading, verify the live analytics answers as pinpipe refresh does (exit 1 "
        "when one differs; not with --follow: run pinpipe refresh from cron instead)")(
        "max-batch-rows", "messages per transaction at most",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_batch_rows)))(
        "max-batch-bytes", "bytes of COPY data per transaction at most",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_batch_bytes)))(
        "max-batch-ms", "with --follow, commit at least this often",
        cxxopts::value<int>()->default_value(std::to_string(defaults.max_batch_latency.count())))(
        "max-message-bytes", "larger messages are dead letters (reason too_large)",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_message_bytes)))(
        "parallel-partitions",
        "partitions read at once by a cron run; the others wait for a free "
        "slot or for another loader",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.parallel_partitions)))(
        "writers",
        "connections committing batches at once, each for its own share of the claimed "
        "partitions (PostgreSQL's side of COPY is the bottleneck; a second connection uses "
        "a second core)",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.writers)))(
        "kafka-timeout-s",
        "fail when a Kafka request goes unanswered, or a cron run receives nothing "
        "this long while partitions are behind",
        cxxopts::value<int>()->default_value(std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(defaults.kafka_timeout).count())));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const ConnectionSettings settings = connection_settings(*result);

    load::LoaderOptions loader;
    loader.dsn = settings.dsn;
    loader.group = (*result)["group"].as<std::string>();
    if (loader.group.empty()) {
        throw UsageError("--group must not be empty");
    }
    loader.kafka_properties =
        settings.kafka_properties(kafka::Consumer::default_properties(loader.group));
    loader.topics = settings.topics();
    loader.follow = result->count("follow") > 0;
    const bool refresh = result->count("refresh") > 0;
    if (refresh && loader.follow) {
        throw UsageError(
            "--refresh refreshes after a cron run and cannot go with --follow "
            "(schedule pinpipe refresh instead)");
    }
    loader.max_batch_rows = (*result)["max-batch-rows"].as<size_t>();
    loader.max_batch_bytes = (*result)["max-batch-bytes"].as<size_t>();
    loader.max_batch_latency = std::chrono::milliseconds((*result)["max-batch-ms"].as<int>());
    loader.max_message_bytes = (*result)["max-message-bytes"].as<size_t>();
    loader.parallel_partitions = (*result)["parallel-partitions"].as<size_t>();
    loader.kafka_timeout = std::chrono::seconds((*result)["kafka-timeout-s"].as<int>());
    loader.writers = (*result)["writers"].as<size_t>();
    if (loader.max_batch_rows == 0 || loader.max_batch_bytes == 0 ||
        loader.parallel_partitions == 0 || loader.writers == 0 || loader.max_message_bytes == 0 ||
        loader.max_batch_latency.count() <= 0 || loader.kafka_timeout.count() <= 0) {
        throw UsageError(
            "batch limits, --parallel-partitions, --writers and timeouts must be positive");
    }
    loader.claim_lease = claim_lease(*result, loader.rebalance_interval);
    loader.lock_timeout = lock_timeout(*result);

    obs::ProgressLine progress(progress_wanted(*result), std::cerr, obs::stderr_width());
    if (progress.enabled()) {
        loader.progress = &progress;
    }
    util::install_stop_signal_handlers();
    const load::LoadSummary summary = load::run_load(loader);
    progress.finish();
    std::cout << fmt::format(
                     "load: {} pin, {} geo, {} user rows, {} dead letters from {} partitions in "
                     "{:.2f} s ({:.0f} rows/s){}, run {}",
                     summary.rows[0], summary.rows[1], summary.rows[2], summary.dead_letters,
                     summary.partitions_read, summary.seconds,
                     summary.seconds > 0
                         ? static_cast<double>(summary.total_rows()) / summary.seconds
                         : 0.0,
                     summary.stopped_by_signal ? ", stopped by signal" : "", summary.run_id)
              << std::endl;
    if (refresh && !summary.stopped_by_signal) {
        pg::Connection cx(loader.dsn, "pinpipe-refresh");
        analytics::verify_answers_or_throw(cx, std::cout);
    }
    return 0;
}

}  // namespace pinpipe::cli
