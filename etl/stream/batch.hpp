// One transaction's worth of streaming: the metric deltas of the valid messages, beside what
// every batch carries (dead letters, partition progress: consume/engine.hpp). Built by the
// consuming thread, committed by the writer thread.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "consume/engine.hpp"
#include "events/validation.hpp"
#include "stream/metric_deltas.hpp"

namespace pinpipe::stream {

// Where the transaction's time went (seconds, last attempt), for the per-batch debug line.
struct CommitTimings {
    double build = 0;    // the statements' array literals, before BEGIN
    double upserts = 0;  // BEGIN and the metric upserts
    double dead_letters = 0;
    double offsets = 0;  // the fenced offset advance
    double commit = 0;   // COMMIT: the WAL flush unless synchronous_commit is off
};

struct StreamBatch final : consume::Batch {
    MetricDeltas deltas;
    std::array<uint64_t, events::event_kind_count> events{};  // valid messages per kind
    // Kafka timestamps (ms) of the messages, for the end-to-end latency at commit.
    std::vector<int64_t> timestamps_ms;
    // Where the end-to-end latency goes, for the per-batch debug line: the sum of (wall clock
    // when the message was taken from Kafka - its Kafka timestamp), i.e. producer linger, broker
    // and fetch wait together; the rest is batching, writer queueing and the transaction.
    int64_t arrival_delay_sum_ms = 0;
    int64_t arrival_delay_max_ms = 0;
    int64_t received_sum_ms = 0;  // sum of the wall clocks when the messages were taken
    CommitTimings timings;        // set by the writer thread

    uint64_t messages() const override {
        return events[0] + events[1] + events[2] + dead_letter_count;
    }
};

}  // namespace pinpipe::stream
