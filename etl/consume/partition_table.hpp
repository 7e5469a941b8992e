// Where the engine stands on each partition it reads: the fence its next batch commits on, the
// next offset to take, and the target it stops at. Pure: deliveries and submitted batches in,
// what the batch records and whether the partition is finished out; the session does the I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>

#include "events/topic_partition.hpp"
#include "events/validation.hpp"

namespace pinpipe::consume {

// The target of a partition read for as long as it is owned (follow).
inline constexpr int64_t no_end = std::numeric_limits<int64_t>::max();

struct PartitionState {
    events::EventKind kind;
    size_t writer;   // the writer whose connection holds the claim and commits its batches
    int64_t fence;   // where the stored offset stands once every submitted batch has committed
    int64_t next;    // the offset after the last message taken from Kafka
    int64_t target;  // cron: the high watermark seen at start; follow: no_end
};

enum class MessageFate {
    not_owned,      // from a partition given up since it was fetched: dropped
    already_taken,  // below next: a re-delivery after a seek, dropped
    past_target,    // at or beyond the target: the next run's to read, dropped
    taken,          // into its writer's batch
};

struct MessageStep {
    MessageFate fate = MessageFate::not_owned;
    // Owned: the partition's state after the step (its kind and writer), valid until finish().
    const PartitionState* partition = nullptr;
    int64_t fence = 0;  // taken: the batch records the offset's advance from here
    // The partition has reached its target: stop reading it (finish()) once the step is done.
    bool finished = false;
};

// A partition end moves the stored offset past a gap: the batch records an advance from fence
// to `to` (exclusive) with no message in it.
struct GapMove {
    int64_t fence = 0;
    int64_t to = 0;
};

struct EndStep {
    const PartitionState* partition = nullptr;  // null: not owned, nothing to do
    std::optional<GapMove> gap;
    bool finished = false;  // as in MessageStep
};

class PartitionTable {
  public:
    // Starts reading tp from the stored offset `stored`, up to target (exclusive).
    void start(const events::TopicPartition& tp, events::EventKind kind, size_t writer,
               int64_t stored, int64_t target);
    // A message at offset arrived from tp.
    MessageStep take(const events::TopicPartition& tp, int64_t offset);
    // Kafka says tp's log ends at end_offset. The offsets between the last message taken and
    // the end hold no message a consumer sees (transaction markers, compacted or aborted
    // records): the stored offset moves there with the next batch, or a cron run would claim
    // and read the partition again every time and never call it finished. Never past the
    // target: what lies beyond it is the next run's to read.
    EndStep reach_end(const events::TopicPartition& tp, int64_t end_offset);
    // The batch that advances tp to `to` went to its writer: tp's next batch fences on it.
    void submitted(const events::TopicPartition& tp, int64_t to);
    // Stops reading tp; returns its last state (nullopt when it was not read).
    std::optional<PartitionState> finish(const events::TopicPartition& tp);

    const PartitionState* find(const events::TopicPartition& tp) const;
    bool empty() const { return m_partitions.empty(); }
    size_t size() const { return m_partitions.size(); }
    const std::map<events::TopicPartition, PartitionState>& partitions() const {
        return m_partitions;
    }

  private:
    std::map<events::TopicPartition, PartitionState> m_partitions;
};

}  // namespace pinpipe::consume
