// A (topic, partition) pair: the unit of ownership, offsets and progress.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace pinpipe::kafka {

struct TopicPartition {
    std::string topic;
    int32_t partition = 0;

    auto operator<=>(const TopicPartition&) const = default;
    std::string to_string() const { return fmt::format("{}[{}]", topic, partition); }
};

}  // namespace pinpipe::kafka
