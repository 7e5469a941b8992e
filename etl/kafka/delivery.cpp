#include "kafka/delivery.hpp"

#include <utility>

namespace pinpipe::kafka {
namespace {

std::optional<std::string_view> bytes(const void* data, size_t size) {
    if (data == nullptr) {
        return std::nullopt;
    }
    return std::string_view(static_cast<const char*>(data), size);
}

DeliveryKind kind_of(rd_kafka_resp_err_t err) {
    switch (err) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return DeliveryKind::message;
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return DeliveryKind::partition_end;
        default:
            return DeliveryKind::error;
    }
}

}  // namespace

Delivery::Delivery(MessagePtr msg) : m_msg(std::move(msg)) {
    const rd_kafka_message_t& raw = *m_msg;
    kind = kind_of(raw.err);
    // A client-level error names no topic.
    topic =
        raw.rkt != nullptr ? std::string_view(rd_kafka_topic_name(raw.rkt)) : std::string_view();
    partition = raw.partition;
    offset = raw.offset;
    switch (kind) {
        case DeliveryKind::message: {
            rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
            const int64_t timestamp = rd_kafka_message_timestamp(&raw, &timestamp_type);
            if (timestamp_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
                timestamp_ms = timestamp;
            }
            key = bytes(raw.key, raw.key_len);
            payload = bytes(raw.payload, raw.len);
            break;
        }
        case DeliveryKind::partition_end:
            break;
        case DeliveryKind::error:
            error = rd_kafka_message_errstr(&raw);
            break;
    }
}

}  // namespace pinpipe::kafka
