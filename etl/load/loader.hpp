// pinpipe load: Kafka topics into the staging tables, exactly once (DESIGN §8). The consuming
// thread validates and encodes batches; a writer thread owns the Postgres connection (and with
// it the partition claims) and commits each batch with its fenced offsets.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "events/validation.hpp"
#include "kafka/config.hpp"
#include "pg/membership.hpp"

namespace pinpipe::load {

struct LoaderOptions {
    std::string dsn;
    kafka::Properties kafka_properties;  // complete: brokers, -F file, -X overrides
    std::string group = "pinpipe-load";
    std::array<std::string, 3> topics;  // pin, geo, user
    bool follow = false;                // keep going until SIGTERM instead of stopping at the end
    size_t max_batch_rows = 20000;
    size_t max_batch_bytes = size_t{8} << 20;
    std::chrono::milliseconds max_batch_latency{500};  // --follow: commit at least this often
    size_t max_message_bytes = events::EventValidator::default_max_message_bytes;
    size_t parallel_partitions = 8;  // cron mode: partitions read at once (the rest wait)
    // With partitions still behind, how long Kafka may stay silent before the run fails.
    std::chrono::milliseconds kafka_timeout{30000};
    std::chrono::milliseconds rebalance_interval{3000};  // --follow: look for unowned partitions
    // --follow: a hung instance's partitions are taken over after this long (pg::Membership).
    std::chrono::milliseconds claim_lease = pg::default_claim_lease;
};

struct LoadSummary {
    std::array<uint64_t, 3> rows{};
    uint64_t dead_letters = 0;
    size_t partitions_read = 0;
    double seconds = 0;
    bool stopped_by_signal = false;
    int64_t run_id = 0;

    uint64_t total_rows() const { return rows[0] + rows[1] + rows[2]; }
};

// Runs one load; records it in etl.load_runs. Throws on failure (after recording it).
LoadSummary run_load(const LoaderOptions& options);

}  // namespace pinpipe::load
