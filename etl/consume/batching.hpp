// When the consuming thread hands a writer its batch (load's and stream's alike), and how long
// it may block in Kafka meanwhile. Pure: the state of the batch and the writer in, a decision out.
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>

namespace pinpipe::consume {

struct BatchPolicy {
    size_t max_rows = 20000;
    // A batch goes once its first message has waited this long and the writer is free: the
    // writer commits back to back under load (batches grow with the backlog, not the queue),
    // and a trickle still shares transactions instead of paying one per poll.
    std::chrono::milliseconds min_age{20};
    // Not counted against min_age: while the writer is busy, a batch waits (and grows) past
    // this until the writer is free or the batch is full.
    std::chrono::milliseconds max_latency{100};
    size_t max_bytes = std::numeric_limits<size_t>::max();  // of the batch's encoded rows
};

struct BatchState {
    size_t messages = 0;              // messages in the batch in hand (0: nothing to send)
    bool has_releases = false;        // partitions given up, released once this batch commits
    std::chrono::milliseconds age{};  // since the batch's first message
    bool writer_busy = false;         // as many batches as the writer may queue are committing
    size_t bytes = 0;                 // the batch's encoded rows
};

// Full: checked after every message too, so that a batch never outgrows its bounds.
bool batch_full(const BatchPolicy& policy, const BatchState& state);

enum class BatchAction {
    keep,              // go on reading into the batch
    submit,            // hand the batch to the (free) writer now
    wait_then_submit,  // full while the writer is busy: back-pressure, then hand it over
};

BatchAction next_batch_action(const BatchPolicy& policy, const BatchState& state);

// How long the next Kafka poll may wait for a first message: until the batch is due, at most
// idle_timeout; never 0 while the writer is busy (the batch cannot go before the writer is
// free, and a 0 timeout would spin a core polling for it).
std::chrono::milliseconds poll_timeout(const BatchPolicy& policy, const BatchState& state,
                                       std::chrono::milliseconds idle_timeout);

// While the writer is busy, the consuming thread looks this often whether it is free again.
inline constexpr std::chrono::milliseconds busy_writer_poll_timeout{2};

}  // namespace pinpipe::consume
