#include "serve/kafka_gateway.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "obs/log.hpp"

namespace pinpipe::serve {
namespace {

using Clock = std::chrono::steady_clock;
// A topic created elsewhere shows up within this long; a miss refreshes at most once a second
// so that a client hammering an unknown topic cannot turn into a metadata storm.
constexpr auto topics_max_age = std::chrono::seconds(10);
constexpr auto miss_refresh_interval = std::chrono::seconds(1);
constexpr auto metadata_timeout = std::chrono::milliseconds(5000);
constexpr auto shutdown_flush_timeout = std::chrono::milliseconds(15000);

// Shared by the records of one request; the delivery-report thread fills it in.
struct PendingRequest {
    std::mutex mutex;
    std::condition_variable done;
    size_t remaining = 0;
    std::vector<RecordResult> results;

    void complete(size_t index, RecordResult result) {
        {
            const std::lock_guard lock(mutex);
            results[index] = std::move(result);
            --remaining;
            if (remaining > 0) {
                return;
            }
        }
        done.notify_one();
    }
};

class RecordSlot final : public kafka::DeliveryListener {
  public:
    RecordSlot(PendingRequest* request, size_t index) : m_request(request), m_index(index) {}
    void on_delivery(const kafka::Delivery& delivery) override {
        RecordResult result;
        if (delivery.error == RD_KAFKA_RESP_ERR_NO_ERROR) {
            result.partition = delivery.partition;
            result.offset = delivery.offset;
        } else {
            result.error_code = rest_error_code(delivery.error);
            result.error = rd_kafka_err2str(delivery.error);
        }
        m_request->complete(m_index, std::move(result));
    }

  private:
    PendingRequest* m_request;
    size_t m_index;
};

}  // namespace

int rest_error_code(rd_kafka_resp_err_t err) {
    switch (err) {
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
            return error_kafka_retriable;
        default:
            return error_kafka;
    }
}

kafka::Properties KafkaGateway::default_properties() {
    // Later entries override earlier ones (kafka::Properties is ordered).
    kafka::Properties properties = kafka::Producer::default_properties();
    // Every HTTP request waits for its delivery reports, so lingering adds straight to the
    // latency a client sees; concurrent requests still batch together while a produce request
    // is in flight (up to 5 of them with idempotence).
    properties.emplace_back("linger.ms", "1");
    // A client waits at most this long for an answer when Kafka is down, then gets per-record
    // 50003 errors to retry, instead of librdkafka's 5-minute default.
    properties.emplace_back("message.timeout.ms", "10000");
    return properties;
}

KafkaGateway::KafkaGateway(const kafka::Properties& properties) : m_producer(properties) {
    // Delivery reports arrive on this thread; rd_kafka_poll wakes as soon as one is queued.
    m_poller = std::thread([this] {
        while (!m_stop.load()) {
            m_producer.poll(std::chrono::milliseconds(100));
        }
    });
}

KafkaGateway::~KafkaGateway() {
    try {
        // Every request still waiting gets its reports; HTTP workers are stopped before this.
        m_producer.flush(shutdown_flush_timeout);
    } catch (const std::exception& error) {
        obs::log_warning("serve: undelivered messages at shutdown", {{"error", error.what()}});
    }
    m_stop.store(true);
    m_poller.join();
}

std::vector<RecordResult> KafkaGateway::produce(const ProducePlan& plan) {
    PendingRequest pending;
    pending.results.resize(plan.records.size());
    pending.remaining = plan.records.size();
    std::vector<RecordSlot> slots;
    slots.reserve(plan.records.size());
    for (size_t i = 0; i < plan.records.size(); ++i) {
        slots.emplace_back(&pending, i);
    }
    for (size_t i = 0; i < plan.records.size(); ++i) {
        const OutgoingRecord& record = plan.records[i];
        const rd_kafka_resp_err_t err = m_producer.try_produce(
            plan.topic, record.has_key ? std::optional<std::string_view>(record.key) : std::nullopt,
            record.value, &slots[i], record.partition.value_or(RD_KAFKA_PARTITION_UA));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            // Not queued: no delivery report will come for this one.
            pending.complete(i, {-1, -1, rest_error_code(err), rd_kafka_err2str(err)});
        }
    }
    // librdkafka reports every queued message within message.timeout.ms, so this ends.
    std::unique_lock lock(pending.mutex);
    pending.done.wait(lock, [&] { return pending.remaining == 0; });
    return std::move(pending.results);
}

void KafkaGateway::refresh_topics_locked(std::chrono::milliseconds timeout) {
    m_attempted_at = Clock::now();
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(m_producer.raw(), /*all_topics=*/1, nullptr,
                                                      &raw, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaUnavailable(fmt::format(
            "could not reach Kafka at {}: {} (is the broker running? set -b or PINPIPE_BROKERS)",
            brokers(), rd_kafka_err2str(err)));
    }
    const kafka::MetadataPtr metadata(raw);
    std::map<std::string, int32_t> counts;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
        const rd_kafka_metadata_topic& topic = metadata->topics[i];
        if (topic.err == RD_KAFKA_RESP_ERR_NO_ERROR && topic.partition_cnt > 0) {
            counts.emplace(topic.topic, topic.partition_cnt);
        }
    }
    m_partition_counts = std::move(counts);
    m_refreshed_at = Clock::now();
}

std::optional<int32_t> KafkaGateway::partition_count(const std::string& topic) {
    const std::lock_guard lock(m_topics_mutex);
    const auto now = Clock::now();
    const bool fresh = m_refreshed_at && now - *m_refreshed_at < topics_max_age;
    auto found = m_partition_counts.find(topic);
    // Attempts are rate-limited: while Kafka is down, requests must not queue up behind one
    // metadata timeout after another.
    const bool may_retry = !m_attempted_at || now - *m_attempted_at >= miss_refresh_interval;
    if ((!fresh || found == m_partition_counts.end()) && may_retry) {
        try {
            refresh_topics_locked(metadata_timeout);
        } catch (const KafkaUnavailable&) {
            if (!m_refreshed_at) {
                throw;  // never reached Kafka: we cannot tell whether the topic exists
            }
            // Kafka is down but we knew the topic: produce anyway and let the delivery report
            // (a retriable timeout) tell the client.
        }
        found = m_partition_counts.find(topic);
    }
    if (!m_refreshed_at) {
        throw KafkaUnavailable(fmt::format(
            "could not reach Kafka at {} yet (is the broker running? set -b or PINPIPE_BROKERS)",
            brokers()));
    }
    if (found == m_partition_counts.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::vector<std::string> KafkaGateway::topics() {
    const std::lock_guard lock(m_topics_mutex);
    refresh_topics_locked(metadata_timeout);
    std::vector<std::string> names;
    for (const auto& [name, count] : m_partition_counts) {
        names.push_back(name);
    }
    return names;
}

std::string KafkaGateway::check_reachable(std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* raw = nullptr;
    // all_topics=0 without a topic: a cheap request that still needs a live broker.
    const rd_kafka_resp_err_t err = rd_kafka_metadata(m_producer.raw(), /*all_topics=*/0, nullptr,
                                                      &raw, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fmt::format("could not reach Kafka at {}: {}", brokers(), rd_kafka_err2str(err));
    }
    const kafka::MetadataPtr metadata(raw);
    if (metadata->broker_cnt == 0) {
        return fmt::format("Kafka at {} reported no brokers", brokers());
    }
    return {};
}

}  // namespace pinpipe::serve
