#include "support/kafka_support.hpp"

#include "kafka/client.hpp"

namespace pinpipe::testing {

std::vector<ConsumedMessage> consume_all(const std::string& bootstrap, const std::string& topic,
                                         size_t expected_count, std::chrono::milliseconds timeout) {
    kafka::HandlePtr rk =
        kafka::make_client(RD_KAFKA_CONSUMER, kafka::make_conf({{"bootstrap.servers", bootstrap},
                                                                {"group.id", "pinpipe-test-reader"},
                                                                {"enable.auto.commit", "false"}}));
    const std::vector<int32_t> counts = kafka::partition_counts(rk.get(), {topic}, timeout);
    kafka::PartitionListPtr assignment(rd_kafka_topic_partition_list_new(counts.at(0)));
    for (int32_t partition = 0; partition < counts.at(0); ++partition) {
        rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk.get(), assignment.get());
    std::vector<ConsumedMessage> messages;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (messages.size() < expected_count && std::chrono::steady_clock::now() < deadline) {
        kafka::MessagePtr msg(rd_kafka_consumer_poll(rk.get(), 100));
        if (!msg || msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        messages.push_back(
            {rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset,
             msg->key ? std::string(static_cast<const char*>(msg->key), msg->key_len) : "",
             msg->payload ? std::string(static_cast<const char*>(msg->payload), msg->len) : ""});
    }
    rd_kafka_consumer_close(rk.get());
    return messages;
}

}  // namespace pinpipe::testing
