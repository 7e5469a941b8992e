// Options every command shares (DESIGN §9, §10): where PostgreSQL and Kafka are, the topic
// prefix, and logging. Flags win over environment variables.
#pragma once

#include <cxxopts.hpp>

#include <array>
#include <chrono>
#include <string>

#include "kafka/config.hpp"

namespace pinpipe::cli {

struct ConnectionSettings {
    std::string dsn;  // empty: libpq's own environment and defaults
    kafka::ClientSettings kafka;
    std::string topic_prefix;

    std::string topic(std::string_view kind) const;
    std::array<std::string, 3> topics() const {
        return {topic("pin"), topic("geo"), topic("user")};
    }
    // The librdkafka properties: command defaults < -F file < brokers < -X.
    kafka::Properties kafka_properties(const kafka::Properties& command_defaults) const;
};

void add_connection_options(cxxopts::Options& options);
void add_logging_options(cxxopts::Options& options);

// Reads the shared options (falling back to PINPIPE_BROKERS and PINPIPE_TOPIC_PREFIX) and
// applies the logging ones.
ConnectionSettings connection_settings(const cxxopts::ParseResult& result);
void apply_logging_options(const cxxopts::ParseResult& result);

// --progress and --no-progress of the long commands (load, emulate): a status line redrawn on
// stderr. progress_wanted() says whether to draw it: never with --log-format json or
// --no-progress, always with --progress, else when stderr is a terminal (not cron, not a pipe).
void add_progress_options(cxxopts::Options& options);
bool progress_wanted(const cxxopts::ParseResult& result);
// The --topic-prefix flag, else PINPIPE_TOPIC_PREFIX, else "pinterest".
std::string resolve_topic_prefix(const std::string& flag);

// --claim-lease-ms and --lock-timeout-ms of the consumers (stream, load, load --follow): how
// long a hung instance keeps its partitions, and how long a batch waits for a lock.
// claim_lease() checks the lease against the heartbeat interval.
void add_liveness_options(cxxopts::Options& options);
// --lock-timeout-ms alone, for import and dlq replay, which write staging in one transaction:
// how long it waits for a lock (the live state's fold lock) before it fails, nothing written.
void add_lock_timeout_option(cxxopts::Options& options);
std::chrono::milliseconds lock_timeout(const cxxopts::ParseResult& result);
std::chrono::milliseconds claim_lease(const cxxopts::ParseResult& result,
                                      std::chrono::milliseconds heartbeat_interval);

}  // namespace pinpipe::cli
