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
#include "pg/offset_store.hpp"
#include "stream/metric_deltas.hpp"

namespace pinpipe::stream {

constexpr size_t event_kind_count = 3;

struct StreamBatch {
    MetricDeltas deltas;
    std::array<uint64_t, event_kind_count> events{};  // valid messages per kind (pin, geo, user)
    std::string dead_letters;                         // COPY text for etl.dead_letters
    uint64_t dead_letter_count = 0;
    std::map<kafka::TopicPartition, pg::OffsetAdvance> advances;
    // Partitions given up (fair share shrank): their claims are released once this commits.
    std::vector<kafka::TopicPartition> release_after_commit;
    // Kafka timestamps (ms) of the messages, for the end-to-end latency at commit.
    std::vector<int64_t> timestamps_ms;
    // Where the end-to-end latency goes, for the per-batch debug line: the sum of (wall clock
    // when the message was taken from Kafka - its Kafka timestamp), i.e. producer linger, broker
    // and fetch wait together; the rest is batching, writer queueing and the transaction.
    int64_t arrival_delay_sum_ms = 0;
    int64_t arrival_delay_max_ms = 0;
    int64_t received_sum_ms = 0;  // sum of the wall clocks when the messages were taken

    uint64_t messages() const { return events[0] + events[1] + events[2] + dead_letter_count; }
    bool empty() const { return advances.empty() && release_after_commit.empty(); }

    // Records that tp's message at offset was handled; fence is where the stored offset will
    // stand when this batch commits (the previous batch's end).
    void advance(const kafka::TopicPartition& tp, int64_t fence, int64_t offset) {
        auto [entry, inserted] = advances.try_emplace(tp, pg::OffsetAdvance{tp, fence, offset + 1});
        if (!inserted) {
            entry->second.to = offset + 1;
        }
    }
};

}  // namespace pinpipe::stream
