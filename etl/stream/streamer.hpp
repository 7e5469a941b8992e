// pinpipe stream: Kafka topics into the realtime metric tables, exactly once (DESIGN §8). The
// consuming thread validates, cleans (DESIGN §6) and aggregates each micro-batch in memory; a
// writer thread owns the Postgres connection (and with it the partition claims and the
// instance's membership) and commits each batch's deltas with its fenced offsets.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "events/validation.hpp"
#include "kafka/config.hpp"
#include "pg/membership.hpp"
#include "stream/observer.hpp"

namespace pinpipe::stream {

struct StreamOptions {
    std::string dsn;
    kafka::Properties kafka_properties;  // complete: brokers, -F file, -X overrides
    std::string group = "pinpipe-stream";
    std::array<std::string, 3> topics;  // pin, geo, user
    size_t max_batch_rows = 20000;
    // A batch is sent to PostgreSQL as soon as the previous one has committed and its first
    // message has waited min_batch_age: under load the writer commits back to back and
    // batches grow with the backlog; a trickle still shares transactions.
    std::chrono::milliseconds min_batch_age{20};
    // A message waits at most this long in memory before its batch is sent to PostgreSQL
    // (longer only while the previous batch is still committing: then batches grow).
    // min_batch_age beyond it counts as max_latency.
    std::chrono::milliseconds max_latency{100};
    size_t max_message_bytes = events::EventValidator::default_max_message_bytes;
    // How often this instance re-checks its fair share of the partitions.
    std::chrono::milliseconds rebalance_interval{3000};
    // A hung instance's partitions are taken over after this long (pg::Membership).
    std::chrono::milliseconds claim_lease = pg::default_claim_lease;
    // Pause before a new session after an outage; doubles up to max_retry_delay.
    std::chrono::milliseconds first_retry_delay{500};
    std::chrono::milliseconds max_retry_delay{30000};
    StreamObserver* observer = nullptr;  // not owned; may be null
};

struct StreamSummary {
    std::array<uint64_t, 3> events{};  // committed valid messages per kind
    uint64_t dead_letters = 0;
    uint64_t batches = 0;
    uint64_t sessions = 0;  // more than 1 after outages or lost claims
    double seconds = 0;
    // End-to-end latency of committed messages (Kafka timestamp -> commit), milliseconds.
    int64_t latency_p50_ms = 0;
    int64_t latency_p99_ms = 0;
    int64_t latency_max_ms = 0;

    uint64_t total_events() const { return events[0] + events[1] + events[2]; }
};

// Runs until SIGTERM/SIGINT (util::stop_requested), then commits the batch in hand and returns.
// Outages of PostgreSQL or Kafka and lost claims end a session; a new one starts after a
// growing pause and re-reads every position from PostgreSQL, so nothing is counted twice.
// Throws on anything else (a missing table, bad configuration), and when stopped while
// PostgreSQL is unreachable (what was read since the last commit is then counted on restart).
StreamSummary run_stream(const StreamOptions& options);

}  // namespace pinpipe::stream
