// One transaction's worth of loading: rows per staging table, dead letters, and how far
// each partition moves. Built by the consuming thread, written by the writer thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "events/validation.hpp"
#include "kafka/topic_partition.hpp"
#include "load/copy_encoding.hpp"
#include "load/staging_rows.hpp"
#include "pg/offset_store.hpp"

namespace pinpipe::load {

constexpr size_t event_kind_count = 3;

inline size_t kind_index(events::EventKind kind) {
    return static_cast<size_t>(kind);
}

// staging.pin_events, staging.geo_events, staging.user_events
inline std::string staging_table(events::EventKind kind) {
    return fmt::format("staging.{}_events", events::kind_name(kind));
}

struct LoadBatch {
    std::array<StagingRows, event_kind_count> rows;
    std::string dead_letters;  // COPY text for etl.dead_letters
    uint64_t dead_letter_count = 0;
    std::map<kafka::TopicPartition, pg::OffsetAdvance> advances;
    // Partitions whose claim is released once this batch has committed (read to their end).
    std::vector<kafka::TopicPartition> release_after_commit;

    size_t bytes() const {
        size_t total = dead_letters.size();
        for (const StagingRows& kind_rows : rows) {
            total += kind_rows.bytes();
        }
        return total;
    }
    uint64_t messages() const {
        return rows[0].count() + rows[1].count() + rows[2].count() + dead_letter_count;
    }
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

}  // namespace pinpipe::load
