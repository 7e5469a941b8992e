// Where a message came from: its Kafka topic, partition and offset, with the timestamp and key
// it carried. Every stored message (staging row, dead letter) keeps it. Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pinpipe::events {

struct MessageOrigin {
    std::string_view topic;
    int32_t partition;
    int64_t offset;
    std::optional<int64_t> timestamp_ms;
    std::optional<std::string_view> key;
};

}  // namespace pinpipe::events
