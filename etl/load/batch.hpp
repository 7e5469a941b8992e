// One transaction's worth of loading: rows per staging table, beside what every batch carries
// (dead letters, partition progress: consume/engine.hpp). Built by the consuming thread,
// written by a writer thread.
#pragma once

#include <array>
#include <cstdint>

#include "consume/engine.hpp"
#include "events/validation.hpp"
#include "pg/staging_rows.hpp"

namespace pinpipe::load {

// What a batch's commit wrote.
struct CommitResult {
    pg::CommitOutcome outcome = pg::CommitOutcome::committed;
    std::array<uint64_t, events::event_kind_count> rows{};
    uint64_t dead_letters = 0;  // including rows PostgreSQL itself rejected
};

struct LoadBatch final : consume::Batch {
    pg::StagingBatch rows;
    CommitResult written;  // set by the writer thread when it commits

    size_t bytes() const override {
        size_t total = dead_letters.size();
        for (const pg::StagingRows& kind_rows : rows) {
            total += kind_rows.bytes();
        }
        return total;
    }
    uint64_t messages() const override {
        return rows[0].count() + rows[1].count() + rows[2].count() + dead_letter_count;
    }
};

}  // namespace pinpipe::load
