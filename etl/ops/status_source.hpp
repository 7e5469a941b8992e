// Fills a StatusReport from Kafka (partitions, watermarks) and Postgres (stored offsets, load
// runs, table sizes, dead letters, freshness). Read-only on both sides.
#pragma once

#include <array>
#include <chrono>
#include <string>

#include "kafka/config.hpp"
#include "ops/status_report.hpp"

namespace pinpipe::ops {

struct StatusOptions {
    std::string dsn;
    kafka::Properties kafka_properties;  // complete: brokers, -F file, -X overrides
    std::array<std::string, 3> topics;   // pin, geo, user
    std::string load_group;              // empty: leave the group out
    std::string stream_group;            // empty: leave the group out
    bool exact_counts = false;           // count(*) instead of the statistics' estimate
    std::string replica_dsn;             // empty: no standby to check
    std::chrono::milliseconds kafka_timeout{10000};
};

// Throws naming Kafka or Postgres when either cannot be read.
StatusReport collect_status(const StatusOptions& options);

}  // namespace pinpipe::ops
