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
#include "pg/partition_progress.hpp"

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
    pg::PartitionProgress progress;

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
    bool empty() const { return progress.empty(); }
};

}  // namespace pinpipe::load
