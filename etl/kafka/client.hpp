// librdkafka handles owned once (rule 3), the configuration object built from Properties, and
// the producer that emulate and serve share.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/config.hpp"

namespace pinpipe::kafka {

struct HandleDeleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
    void operator()(rd_kafka_message_t* msg) const { rd_kafka_message_destroy(msg); }
    void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
    void operator()(rd_kafka_topic_partition_list_t* list) const {
        rd_kafka_topic_partition_list_destroy(list);
    }
    void operator()(const rd_kafka_metadata_t* metadata) const {
        rd_kafka_metadata_destroy(metadata);
    }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, HandleDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, HandleDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, HandleDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, HandleDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, HandleDeleter>;

// Builds a librdkafka configuration; an unknown key or bad value is a UsageError naming it.
ConfPtr make_conf(const Properties& properties);
HandlePtr make_client(rd_kafka_type_t type, ConfPtr conf);
// The bootstrap servers a client was configured with, for error messages.
std::string brokers_of(rd_kafka_t* rk);

// The metadata of every topic, waiting for the cluster up to timeout; throws with the brokers
// named when the cluster cannot be reached.
MetadataPtr fetch_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout);
// The cluster answered and does not know the topic: a wrong --topic-prefix or topics never
// created. Unlike a broker that cannot be reached, asking again will not help.
class TopicMissing : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Partition counts of the given topics, as fetch_metadata; throws TopicMissing when the cluster
// does not know a topic, std::runtime_error when it reports another error for one (no leader
// yet: transient).
std::vector<int32_t> partition_counts(rd_kafka_t* rk, const std::vector<std::string>& topics,
                                      std::chrono::milliseconds timeout);

// The broker's answer to one produced message (librdkafka's delivery report).
struct DeliveryReport {
    int32_t partition;
    int64_t offset;
    rd_kafka_resp_err_t error;
};

// Receives the delivery report of a message produced with it (on the thread that polls).
class DeliveryListener {
  public:
    virtual void on_delivery(const DeliveryReport& report) = 0;

  protected:
    ~DeliveryListener() = default;
};

// An idempotent producer (no duplicates on retry) that keys messages for even partitions.
class Producer {
  public:
    // Our defaults, which the user's -F file and -X overrides can replace.
    static Properties default_properties();
    explicit Producer(const Properties& properties);

    // Queues one message (copied); waits by polling while librdkafka's queue is full. partition
    // RD_KAFKA_PARTITION_UA means "by key"; timestamp_ms 0 means now.
    void produce(const std::string& topic, std::string_view key, std::string_view value,
                 DeliveryListener* listener = nullptr, int32_t partition = RD_KAFKA_PARTITION_UA,
                 int64_t timestamp_ms = 0);
    // As produce, but returns librdkafka's error instead of throwing when the message cannot
    // be queued (e.g. an unknown partition): then no delivery report will come for it. key
    // nullopt: no key at all (not an empty one). The wait for room ends with
    // RD_KAFKA_RESP_ERR__QUEUE_FULL when a stop (SIGTERM, SIGINT) is requested meanwhile: with
    // the broker gone, room comes only when librdkafka expires messages, minutes later.
    rd_kafka_resp_err_t try_produce(const std::string& topic, std::optional<std::string_view> key,
                                    std::string_view value, DeliveryListener* listener,
                                    int32_t partition = RD_KAFKA_PARTITION_UA,
                                    int64_t timestamp_ms = 0);
    // As try_produce, but a full queue returns RD_KAFKA_RESP_ERR__QUEUE_FULL at once instead of
    // polling until there is room: for event loops, which must never wait on the broker.
    rd_kafka_resp_err_t try_produce_now(const std::string& topic,
                                        std::optional<std::string_view> key, std::string_view value,
                                        DeliveryListener* listener,
                                        int32_t partition = RD_KAFKA_PARTITION_UA);
    // Serves delivery reports.
    void poll(std::chrono::milliseconds timeout);
    // Waits until every queued message was delivered or failed; throws when it times out.
    void flush(std::chrono::milliseconds timeout);

    uint64_t delivered() const { return m_delivered; }
    uint64_t failed() const { return m_failed; }
    std::string first_error() const;
    rd_kafka_t* raw() const { return m_rk.get(); }

  private:
    static void on_delivery_report(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);

    HandlePtr m_rk;
    std::atomic<uint64_t> m_delivered{0};
    std::atomic<uint64_t> m_failed{0};
    std::atomic<rd_kafka_resp_err_t> m_first_error{RD_KAFKA_RESP_ERR_NO_ERROR};
};

}  // namespace pinpipe::kafka
