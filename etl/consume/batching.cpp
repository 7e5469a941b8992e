#include "consume/batching.hpp"

#include <algorithm>

namespace pinpipe::consume {

bool batch_full(const BatchPolicy& policy, const BatchState& state) {
    return state.messages >= policy.max_rows || state.bytes >= policy.max_bytes;
}

BatchAction next_batch_action(const BatchPolicy& policy, const BatchState& state) {
    if (state.messages == 0 && !state.has_releases) {
        return BatchAction::keep;
    }
    const bool full = batch_full(policy, state);
    if (state.writer_busy) {
        return full ? BatchAction::wait_then_submit : BatchAction::keep;
    }
    const auto min_age = std::min(policy.min_age, policy.max_latency);
    return full || state.has_releases || state.age >= min_age ? BatchAction::submit
                                                              : BatchAction::keep;
}

std::chrono::milliseconds poll_timeout(const BatchPolicy& policy, const BatchState& state,
                                       std::chrono::milliseconds idle_timeout) {
    if (state.messages == 0 && !state.has_releases) {
        return idle_timeout;
    }
    if (state.writer_busy) {
        return std::min(busy_writer_poll_timeout, idle_timeout);
    }
    const auto min_age = std::min(policy.min_age, policy.max_latency);
    return std::clamp<std::chrono::milliseconds>(min_age - state.age, std::chrono::milliseconds{0},
                                                 idle_timeout);
}

}  // namespace pinpipe::consume
