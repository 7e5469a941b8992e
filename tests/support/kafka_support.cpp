#include "support/kafka_support.hpp"

#include "kafka/consumer.hpp"

namespace pinpipe::testing {

std::vector<ConsumedMessage> consume_all(const std::string& bootstrap, const std::string& topic,
                                         size_t expected_count, std::chrono::milliseconds timeout) {
    kafka::Consumer consumer({{"bootstrap.servers", bootstrap},
                              {"group.id", "pinpipe-test-reader"},
                              {"enable.auto.commit", "false"}});
    const std::vector<int32_t> counts = consumer.partition_counts({topic}, timeout);
    kafka::PartitionOffsets assignment;
    for (int32_t partition = 0; partition < counts.at(0); ++partition) {
        assignment.emplace_back(events::TopicPartition{topic, partition},
                                RD_KAFKA_OFFSET_BEGINNING);
    }
    consumer.assign(assignment);
    std::vector<ConsumedMessage> messages;
    std::vector<kafka::Delivery> deliveries;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (messages.size() < expected_count && std::chrono::steady_clock::now() < deadline) {
        deliveries.clear();
        consumer.consume(deliveries, expected_count - messages.size(),
                         std::chrono::milliseconds(100));
        for (const kafka::Delivery& delivery : deliveries) {
            if (delivery.kind != kafka::DeliveryKind::message) {
                continue;
            }
            messages.push_back({std::string(delivery.topic), delivery.partition, delivery.offset,
                                std::string(delivery.key.value_or("")),
                                std::string(delivery.payload.value_or(""))});
        }
    }
    return messages;
}

}  // namespace pinpipe::testing
