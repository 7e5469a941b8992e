// pinpipe stream: Kafka topics into the realtime metric tables, exactly once (DESIGN §8): the
// consumer engine (consume/engine.hpp) with micro-batches of cleaned (DESIGN §6), aggregated
// metric deltas.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "consume/engine.hpp"
#include "stream/observer.hpp"

namespace pinpipe::stream {

// The engine's options with stream's defaults: a batch is sent to PostgreSQL as soon as the
// previous one has committed and its first message has waited min_batch_age (20 ms): under load
// the writer commits back to back and batches grow with the backlog; a trickle still shares
// transactions. A message waits at most max_batch_latency (100 ms) in memory before its batch
// is sent (longer only while the previous batch is still committing: then batches grow).
struct StreamOptions : consume::ConsumerOptions {
    StreamOptions() {
        application_name = "pinpipe-stream";
        group = "pinpipe-stream";
        follow = true;
        min_batch_age = std::chrono::milliseconds(20);
        max_batch_latency = std::chrono::milliseconds(100);
        // One batch commits at a time: under load the next one grows meanwhile, so
        // transactions get bigger exactly when the writer is the bottleneck.
        max_batches_in_flight = 1;
        // A daemon's Kafka requests fail fast: the session restarts rather than hangs.
        kafka_timeout = std::chrono::seconds(10);
        failpoints = {obs::Failpoint::stream_after_claim, obs::Failpoint::stream_mid_batch,
                      obs::Failpoint::stream_after_commit};
    }

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
