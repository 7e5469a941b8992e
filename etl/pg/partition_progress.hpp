// How far each partition moves in one transaction, and the claims given up once it commits: the
// part of a batch that load and stream share (DESIGN §8). Built by the consuming thread,
// committed by the writer thread.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "events/topic_partition.hpp"
#include "pg/offset_store.hpp"

namespace pinpipe::pg {

struct PartitionProgress {
    std::map<events::TopicPartition, OffsetAdvance> advances;
    // Partitions read to their end or given up: their claims are released once this commits.
    std::vector<events::TopicPartition> release_after_commit;

    bool empty() const { return advances.empty() && release_after_commit.empty(); }

    // Records that tp's message at offset was handled; fence is where the stored offset will
    // stand when this batch commits (the previous batch's end).
    void advance(const events::TopicPartition& tp, int64_t fence, int64_t offset) {
        auto [entry, inserted] = advances.try_emplace(tp, OffsetAdvance{tp, fence, offset + 1});
        if (!inserted) {
            entry->second.to = offset + 1;
        }
    }

    std::vector<OffsetAdvance> offset_advances() const {
        std::vector<OffsetAdvance> all;
        all.reserve(advances.size());
        for (const auto& [tp, advance] : advances) {
            all.push_back(advance);
        }
        return all;
    }

    // After the commit: the claims given up, and the next offsets (for Kafka's lag tools).
    void release_claims(pqxx::connection_base& cx, const OffsetStore& store) const {
        if (release_after_commit.empty()) {
            return;
        }
        pqxx::nontransaction session(cx);
        for (const events::TopicPartition& tp : release_after_commit) {
            store.release(session, tp);
        }
    }
    std::vector<std::pair<events::TopicPartition, int64_t>> next_offsets() const {
        std::vector<std::pair<events::TopicPartition, int64_t>> next;
        next.reserve(advances.size());
        for (const auto& [tp, advance] : advances) {
            next.emplace_back(tp, advance.to);
        }
        return next;
    }
};

}  // namespace pinpipe::pg
