// Offsets and partition ownership in Postgres (DESIGN §8): a consumer claims a partition with a
// session-level advisory lock on the connection it writes with, and moves the stored offset in
// the same transaction as the rows, fenced on the position the batch started from.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "events/topic_partition.hpp"
#include "pg/connection.hpp"

namespace pinpipe::pg {

// A batch's transaction either commits or rolls back because its fence was lost (another
// consumer moved a stored offset meanwhile).
enum class CommitOutcome { committed, fence_lost };

struct OffsetAdvance {
    events::TopicPartition tp;
    int64_t from;  // the stored next offset this batch started from (the fence)
    int64_t to;    // the next offset after this batch
};

class OffsetStore {
  public:
    explicit OffsetStore(std::string group) : m_group(std::move(group)) {}

    const std::string& group() const { return m_group; }

    // Each call runs in the caller's transaction: claims, being session-level, also in a
    // pqxx::nontransaction (autocommit).
    // Non-blocking: true when this session now owns tp (or already did).
    bool try_claim(pqxx::transaction_base& tx, const events::TopicPartition& tp) const;
    void release(pqxx::transaction_base& tx, const events::TopicPartition& tp) const;
    // Which of the given partitions some session (ours included) holds a claim on.
    std::vector<events::TopicPartition> claimed_by_anyone(
        pqxx::transaction_base& tx, const std::vector<events::TopicPartition>& partitions) const;

    // Every stored next offset of this group.
    std::map<events::TopicPartition, int64_t> stored_offsets(pqxx::transaction_base& tx) const;
    // The stored next offset of tp; stores start_offset first when there is none.
    int64_t stored_or_initialize(pqxx::transaction_base& tx, const events::TopicPartition& tp,
                                 int64_t start_offset) const;
    // Inside the caller's transaction: moves every partition from->to. Returns false (and
    // changes nothing that matters: the caller rolls back) when any stored offset is no longer
    // at its `from`: another consumer moved it.
    bool advance(pqxx::transaction_base& tx, const std::vector<OffsetAdvance>& advances) const;

  private:
    std::string lock_name(const events::TopicPartition& tp) const;

    std::string m_group;
};

}  // namespace pinpipe::pg
