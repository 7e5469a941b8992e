// What kafka::Consumer hands over, one at a time: a message, the end of a partition, or an error,
// as a plain value, so that nothing outside kafka/ reads librdkafka's message struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kafka/client.hpp"

namespace pinpipe::kafka {

enum class DeliveryKind : uint8_t {
    message,  // a record: offset, timestamp, key and payload
    // The consumer has read the partition up to offset, where its log ended when fetched
    // (librdkafka's PARTITION_EOF, with enable.partition.eof): the offsets between the last
    // record and offset hold nothing a consumer sees (transaction markers, compacted records).
    partition_end,
    error,  // informational: librdkafka keeps retrying by itself (broker down, leader moving)
};

// Owns librdkafka's message (rule 3) and points into it: key and payload are views of the
// fetched buffer, valid as long as the Delivery (moving it keeps them valid). The loader takes
// ~100k messages/s and copies a payload once, into its COPY text; a copy here would double that.
class Delivery {
  public:
    explicit Delivery(MessagePtr msg);

    DeliveryKind kind = DeliveryKind::error;
    std::string_view topic;  // empty for an error of no particular partition
    int32_t partition = 0;
    int64_t offset = 0;
    // CreateTime or LogAppendTime; nullopt for pre-0.10 message formats, which carry none.
    std::optional<int64_t> timestamp_ms;
    std::optional<std::string_view> key;      // nullopt: no key (not an empty one)
    std::optional<std::string_view> payload;  // nullopt: no value (a tombstone)
    std::string error;                        // kind error: librdkafka's text for it

  private:
    MessagePtr m_msg;
};

}  // namespace pinpipe::kafka
