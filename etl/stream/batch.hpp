// One transaction's worth of streaming: the metric deltas of the valid messages, the dead
// letters, and how far each partition moves. Built by the consuming thread, committed by the
// writer thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kafka/topic_partition.hpp"
#include "pg/partition_progress.hpp"
#include "stream/metric_deltas.hpp"

namespace pinpipe::stream {

constexpr size_t event_kind_count = 3;

struct StreamBatch {
    MetricDeltas deltas;
    std::array<uint64_t, event_kind_count> events{};  // valid messages per kind (pin, geo, user)
    std::string dead_letters;                         // COPY text for etl.dead_letters
    uint64_t dead_letter_count = 0;
    pg::PartitionProgress progress;
    // Kafka timestamps (ms) of the messages, for the end-to-end latency at commit.
    std::vector<int64_t> timestamps_ms;
    // Where the end-to-end latency goes, for the per-batch debug line: the sum of (wall clock
    // when the message was taken from Kafka - its Kafka timestamp), i.e. producer linger, broker
    // and fetch wait together; the rest is batching, writer queueing and the transaction.
    int64_t arrival_delay_sum_ms = 0;
    int64_t arrival_delay_max_ms = 0;
    int64_t received_sum_ms = 0;  // sum of the wall clocks when the messages were taken

    uint64_t messages() const { return events[0] + events[1] + events[2] + dead_letter_count; }
    bool empty() const { return progress.empty(); }
};

}  // namespace pinpipe::stream
