// pinpipe status: lag, freshness, the last load run, table sizes and dead letters, as a table or
// JSON; exits 1 with a one-line reason when a --max-lag or --max-freshness-s threshold is
// exceeded or a stored offset lies beyond its partition's end, so that cron and monitoring can
// alert on it.
#include <fmt/format.h>

#include <iostream>
#include <stdexcept>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "kafka/consumer.hpp"
#include "ops/status_report.hpp"
#include "ops/status_source.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {

int status_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Show, per topic and partition, the Kafka watermarks, the offsets stored in "
        "etl.consumer_offsets for the load and stream groups and their lag; freshness (now - "
        "newest Kafka timestamp loaded into staging); the last load run; staging and realtime "
        "row counts and sizes; the staging day partitions (oldest, newest, rows waiting in the "
        "default partition); dead letters by reason; with --replica-dsn, a standby's replay lag. "
        "Exits 1 with a one-line reason when a threshold "
        "is exceeded or a stored offset lies beyond its partition's end in Kafka (the report is "
        "printed first). A group without any stored offset is "
        "shown as not deployed and is not checked.");
    add_connection_options(options);
    add_logging_options(options);
    options.add_options()("json", "print JSON instead of tables")(
        "load-group", "group of pinpipe load (empty: leave it out)",
        cxxopts::value<std::string>()->default_value("pinpipe-load"))(
        "stream-group", "group of pinpipe stream (empty: leave it out)",
        cxxopts::value<std::string>()->default_value("pinpipe-stream"))(
        "max-lag",
        "exit 1 when a group is more than this many messages behind on a topic (summed over "
        "its partitions)",
        cxxopts::value<int64_t>())(
        "max-freshness-s",
        "exit 1 when the newest row loaded from a topic is older than this many seconds, or "
        "when nothing was loaded from a topic that holds messages, while the load group has "
        "messages of that topic left to read (caught up, an old newest row only means that no "
        "events arrived)",
        cxxopts::value<double>())(
        "replica-dsn",
        "also check this streaming-replication standby (the one BI reads): its replay lag "
        "behind the primary (--dsn)",
        cxxopts::value<std::string>())(
        "max-replica-lag-s",
        "exit 1 when the --replica-dsn standby is further behind than this many seconds, or is "
        "not a standby",
        cxxopts::value<double>())(
        "exact-counts",
        "count staging and realtime rows with count(*) (slow on big tables) instead of using "
        "the statistics' estimate")("kafka-timeout-s", "how long to wait for Kafka metadata",
                                    cxxopts::value<int>()->default_value("10"));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const ConnectionSettings settings = connection_settings(*result);

    ops::Thresholds thresholds;
    if (result->count("max-lag")) {
        thresholds.max_lag = (*result)["max-lag"].as<int64_t>();
        if (*thresholds.max_lag < 0) {
            throw UsageError("--max-lag must not be negative");
        }
    }
    if (result->count("max-freshness-s")) {
        thresholds.max_freshness_s = (*result)["max-freshness-s"].as<double>();
        if (!(*thresholds.max_freshness_s >= 0)) {
            throw UsageError("--max-freshness-s must not be negative");
        }
    }
    if (result->count("max-replica-lag-s")) {
        if (!result->count("replica-dsn")) {
            throw UsageError("--max-replica-lag-s needs --replica-dsn");
        }
        thresholds.max_replica_lag_s = (*result)["max-replica-lag-s"].as<double>();
        if (!(*thresholds.max_replica_lag_s >= 0)) {
            throw UsageError("--max-replica-lag-s must not be negative");
        }
    }
    ops::StatusOptions status;
    status.dsn = settings.dsn;
    status.load_group = (*result)["load-group"].as<std::string>();
    status.stream_group = (*result)["stream-group"].as<std::string>();
    status.exact_counts = result->count("exact-counts") > 0;
    if (result->count("replica-dsn")) {
        status.replica_dsn = (*result)["replica-dsn"].as<std::string>();
    }
    status.topics = settings.topics();
    status.kafka_timeout = std::chrono::seconds((*result)["kafka-timeout-s"].as<int>());
    if (status.kafka_timeout.count() <= 0) {
        throw UsageError("--kafka-timeout-s must be positive");
    }
    // The group id is only a label here: status never joins a group or commits.
    status.kafka_properties =
        settings.kafka_properties(kafka::Consumer::default_properties("pinpipe-status"));

    const ops::StatusReport report = ops::collect_status(status);
    const std::vector<std::string> violations = ops::threshold_violations(report, thresholds);
    if (result->count("json")) {
        std::cout << ops::status_json(report, thresholds, violations)
                         .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << std::endl;
    } else {
        std::cout << ops::render_status_text(report) << std::flush;
    }
    if (!violations.empty()) {
        throw std::runtime_error(fmt::format("status: {}", fmt::join(violations, "; ")));
    }
    return 0;
}

}  // namespace pinpipe::cli
