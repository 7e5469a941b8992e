// A (topic, partition) pair: the unit of ownership, offsets and progress. Vocabulary shared by
// kafka/ (what it reads) and pg/ (what it stores), which include neither each other: pure, no I/O.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace pinpipe::events {

struct TopicPartition {
    std::string topic;
    int32_t partition = 0;

    auto operator<=>(const TopicPartition&) const = default;
    std::string to_string() const { return fmt::format("{}[{}]", topic, partition); }
};

}  // namespace pinpipe::events
