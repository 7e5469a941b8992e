#include "consume/partition_table.hpp"

#include <algorithm>

namespace pinpipe::consume {

void PartitionTable::start(const events::TopicPartition& tp, events::EventKind kind, size_t writer,
                           int64_t stored, int64_t target) {
    m_partitions[tp] = {kind, writer, stored, stored, target};
}

MessageStep PartitionTable::take(const events::TopicPartition& tp, int64_t offset) {
    const auto found = m_partitions.find(tp);
    if (found == m_partitions.end()) {
        return {};
    }
    PartitionState& state = found->second;
    if (offset < state.next) {
        return {MessageFate::already_taken, &state, 0, false};
    }
    if (offset >= state.target) {
        return {MessageFate::past_target, &state, 0, true};
    }
    state.next = offset + 1;
    return {MessageFate::taken, &state, state.fence, state.next >= state.target};
}

EndStep PartitionTable::reach_end(const events::TopicPartition& tp, int64_t end_offset) {
    const auto found = m_partitions.find(tp);
    if (found == m_partitions.end()) {
        return {};
    }
    PartitionState& state = found->second;
    EndStep step{&state, std::nullopt, end_offset >= state.target};
    const int64_t end = std::min(end_offset, state.target);
    if (end > state.next) {
        step.gap = GapMove{state.fence, end};
        state.next = end;
    }
    return step;
}

void PartitionTable::submitted(const events::TopicPartition& tp, int64_t to) {
    if (const auto found = m_partitions.find(tp); found != m_partitions.end()) {
        found->second.fence = to;
    }
}

std::optional<PartitionState> PartitionTable::finish(const events::TopicPartition& tp) {
    const auto found = m_partitions.find(tp);
    if (found == m_partitions.end()) {
        return std::nullopt;
    }
    const PartitionState state = found->second;
    m_partitions.erase(found);
    return state;
}

const PartitionState* PartitionTable::find(const events::TopicPartition& tp) const {
    const auto found = m_partitions.find(tp);
    return found == m_partitions.end() ? nullptr : &found->second;
}

}  // namespace pinpipe::consume
