// pinpipe stream: the long-running writer of the realtime metric tables (DESIGN §8, issue #5).
#include <fmt/format.h>

#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "kafka/consumer.hpp"
#include "stream/metrics_server.hpp"
#include "stream/stream_metrics.hpp"
#include "stream/streamer.hpp"
#include "util/errors.hpp"
#include "util/listen_address.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {

int stream_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Keep the realtime.* metric tables current from <prefix>.pin, .geo and .user, exactly "
        "once: each micro-batch's per-key deltas are upserted in one transaction with the "
        "fenced offsets in etl.consumer_offsets. Several instances in one group split the "
        "partitions fairly (registered in etl.consumer_instances). Events are cleaned with the "
        "rules of the clean.* views; a NULL cleaned key leaves that table out (realtime."
        "event_minute counts every valid message). Bad messages go to etl.dead_letters. Runs "
        "until SIGTERM/SIGINT, which commit the batch in hand; outages of PostgreSQL or Kafka "
        "are retried with backoff. The writer's session runs with synchronous_commit = off: a "
        "commit that a PostgreSQL crash loses takes its offsets with it, so those messages are "
        "read again and still counted once. --log-level debug logs where each batch's time "
        "went. Prints one summary line at exit.");
    add_connection_options(options);
    add_logging_options(options);
    const stream::StreamOptions option_defaults;
    options.add_options()("group",
                          "id under which offsets and claims are kept (and committed "
                          "to Kafka for lag tools)",
                          cxxopts::value<std::string>()->default_value(option_defaults.group))(
        "max-batch-rows", "messages per transaction at most",
        cxxopts::value<size_t>()->default_value(std::to_string(option_defaults.max_batch_rows)))(
        "min-batch-ms",
        "a batch goes to PostgreSQL as soon as the previous one has committed and its first "
        "message has waited this long: lower means lower latency and more transactions; "
        "under load batches grow by themselves while the previous one commits",
        cxxopts::value<int>()->default_value(
            std::to_string(option_defaults.min_batch_age.count())))(
        "max-latency-ms",
        "a message waits at most this long before its batch goes to PostgreSQL (longer only "
        "while the previous batch is still committing); caps --min-batch-ms",
        cxxopts::value<int>()->default_value(
            std::to_string(option_defaults.max_batch_latency.count())))(
        "max-message-bytes", "larger messages are dead letters (reason too_large)",
        cxxopts::value<size_t>()->default_value(std::to_string(option_defaults.max_message_bytes)))(
        "rebalance-ms", "how often to re-check this instance's fair share of the partitions",
        cxxopts::value<int>()->default_value(
            std::to_string(option_defaults.rebalance_interval.count())))(
        "start",
        "where a group starts on a partition it has no stored offset for: earliest (the "
        "oldest message Kafka holds) or latest (only what arrives afterwards); stored offsets "
        "always win",
        cxxopts::value<std::string>()->default_value(
            option_defaults.start == consume::StartAt::latest ? "latest" : "earliest"))(
        "metrics-listen",
        "serve Prometheus metrics on http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464); off "
        "when empty",
        cxxopts::value<std::string>()->default_value(""));
    add_liveness_options(options);
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const ConnectionSettings settings = connection_settings(*result);

    stream::StreamOptions streamer;
    streamer.dsn = settings.dsn;
    streamer.group = (*result)["group"].as<std::string>();
    if (streamer.group.empty()) {
        throw UsageError("--group must not be empty");
    }
    kafka::Properties defaults = kafka::Consumer::default_properties(streamer.group);
    // A daemon has no use for end-of-partition events.
    defaults.emplace_back("enable.partition.eof", "false");
    // How long the broker may park a fetch that finds no data. Real brokers answer as soon as
    // data arrives, the mock broker only when this runs out, so it adds straight to end-to-end
    // latency there; 10 ms costs about 100 empty fetches a second per broker when idle.
    defaults.emplace_back("fetch.wait.max.ms", "10");
    // Room for three 16 MB Fetch responses: librdkafka 2.0 stops fetching a partition for a
    // fixed second once the prefetch queue holds queued.max.messages.kbytes, and with room for
    // only one response a backlog stalled every 16 MB (150k events drained at 36k events/s
    // instead of 100k, and a burst at 20k events/s took p99 to 1.5 s). The loader, bound by
    // PostgreSQL, never reaches its 16 MB and keeps its smaller RSS.
    defaults.emplace_back("queued.max.messages.kbytes", "49152");
    streamer.kafka_properties = settings.kafka_properties(defaults);
    streamer.topics = settings.topics();
    streamer.max_batch_rows = (*result)["max-batch-rows"].as<size_t>();
    streamer.max_batch_latency = std::chrono::milliseconds((*result)["max-latency-ms"].as<int>());
    streamer.min_batch_age = std::chrono::milliseconds((*result)["min-batch-ms"].as<int>());
    streamer.max_message_bytes = (*result)["max-message-bytes"].as<size_t>();
    streamer.rebalance_interval = std::chrono::milliseconds((*result)["rebalance-ms"].as<int>());
    if (streamer.max_batch_rows == 0 || streamer.max_message_bytes == 0 ||
        streamer.max_batch_latency.count() <= 0 || streamer.rebalance_interval.count() <= 0) {
        throw UsageError("batch limits, --max-latency-ms and --rebalance-ms must be positive");
    }
    streamer.claim_lease = claim_lease(*result, streamer.rebalance_interval);
    streamer.lock_timeout = lock_timeout(*result);
    if (streamer.min_batch_age.count() < 0) {
        throw UsageError("--min-batch-ms must not be negative");
    }

    const std::string start = (*result)["start"].as<std::string>();
    if (start != "earliest" && start != "latest") {
        throw UsageError(fmt::format("invalid --start \"{}\" (use earliest or latest)", start));
    }
    streamer.start = start == "latest" ? consume::StartAt::latest : consume::StartAt::earliest;

    const std::string metrics_listen = (*result)["metrics-listen"].as<std::string>();
    std::optional<util::ListenAddress> metrics_address;
    if (!metrics_listen.empty()) {
        metrics_address = util::listen_address_option("--metrics-listen", metrics_listen);
    }

    util::install_stop_signal_handlers();
    obs::MetricsRegistry registry;
    stream::StreamMetrics metrics(registry);
    std::optional<stream::MetricsServer> metrics_server;
    if (metrics_address) {
        metrics_server.emplace(registry, *metrics_address);
        streamer.observer = &metrics;
    }
    const stream::StreamSummary summary = stream::run_stream(streamer);
    std::cout << fmt::format(
                     "stream: {} pin, {} geo, {} user events, {} dead letters in {} batches over "
                     "{:.2f} s; end-to-end latency p50 {} ms, p99 {} ms, max {} ms",
                     summary.events[0], summary.events[1], summary.events[2], summary.dead_letters,
                     summary.batches, summary.seconds, summary.latency_p50_ms,
                     summary.latency_p99_ms, summary.latency_max_ms)
              << std::endl;
    return 0;
}

}  // namespace pinpipe::cli
