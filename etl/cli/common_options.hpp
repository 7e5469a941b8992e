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
// The --topic-prefix flag, else PINPIPE_TOPIC_PREFIX, else "pinterest".
std::string resolve_topic_prefix(const std::string& flag);

// --claim-lease-ms of the consumers (stream, load, load --follow): how long a hung instance
// keeps its partitions. claim_lease() checks it against the heartbeat interval.
void add_claim_lease_option(cxxopts::Options& options);
std::chrono::milliseconds claim_lease(const cxxopts::ParseResult& result,
                                      std::chrono::milliseconds heartbeat_interval);

}  // namespace pinpipe::cli
