#include "serve/kafka_gateway.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

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
    // latency a client sees, and with N clients each waiting for its answer throughput is at
    // most N / latency. Without lingering, records still batch: those that arrive while
    // produce requests are in flight (up to 5 with idempotence) go out together in the next.
    // Measured with bench/serve_bench.sh: 0 ms beat 1 ms for 1 and for 100 records a request.
    properties.emplace_back("linger.ms", "0");
    // A client waits at most this long for an answer when Kafka is down, then gets per-record
    // 50003 errors to retry, instead of librdkafka's 5-minute default.
    properties.emplace_back("message.timeout.ms", "10000");
    return properties;
}

// One produce call: a listener per record, the results, and whom to tell.
struct KafkaGateway::Pending {
    class Slot final : public kafka::DeliveryListener {
      public:
        Slot(KafkaGateway* gateway, Pending* pending, size_t index)
            : m_gateway(gateway), m_pending(pending), m_index(index) {}
        void on_delivery(const kafka::DeliveryReport& delivery) override {
            RecordResult& result = m_pending->results[m_index];
            if (delivery.error == RD_KAFKA_RESP_ERR_NO_ERROR) {
                result.partition = delivery.partition;
                result.offset = delivery.offset;
            } else {
                result.error_code = rest_error_code(delivery.error);
                result.error = rd_kafka_err2str(delivery.error);
            }
            if (--m_pending->remaining == 0) {
                m_gateway->complete(m_pending);
            }
        }

      private:
        KafkaGateway* m_gateway;
        Pending* m_pending;
        size_t m_index;
    };

    std::vector<RecordResult> results;
    std::vector<Slot> slots;
    size_t remaining = 0;
    ProduceDone done;
};

KafkaGateway::EventPipe::EventPipe() {
    std::array<int, 2> fds{};
    if (pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0) {
        throw std::runtime_error(fmt::format(
            "could not create a pipe for Kafka delivery reports: {} (too many open files?)",
            std::strerror(errno)));
    }
    read_end = fds[0];
    write_end = fds[1];
}

KafkaGateway::EventPipe::~EventPipe() {
    close(read_end);
    close(write_end);
}

KafkaGateway::KafkaGateway(const kafka::Properties& properties)
    : m_producer(properties), m_main_queue(rd_kafka_queue_get_main(m_producer.raw())) {
    // Delivery reports land on the main queue; librdkafka writes one byte to the pipe when it
    // queues some, which wakes the server's event loop (see serve_events). The pipe outlives
    // the producer (member order), so librdkafka never writes to a closed descriptor.
    static constexpr char wake_byte = '1';
    rd_kafka_queue_io_event_enable(m_main_queue.get(), m_event_pipe.write_end, &wake_byte, 1);
}

KafkaGateway::~KafkaGateway() {
    try {
        // Normally nothing is pending: the server answers every request before it stops. This
        // serves any report still due (their callbacks run here) so that none is lost.
        m_producer.flush(shutdown_flush_timeout);
    } catch (const std::exception& error) {
        obs::log_warning("serve: undelivered messages at shutdown", {{"error", error.what()}});
    }
}

void KafkaGateway::serve_events() {
    // Drain the wake-up bytes first, then serve: a report queued in between is served now and
    // leaves one spurious wake-up behind, which is harmless.
    std::array<char, 256> sink{};
    while (read(m_event_pipe.read_end, sink.data(), sink.size()) > 0) {
    }
    // librdkafka writes one wake-up per polling period: a report queued while this poll serves
    // the queue may find its byte already sent and drained, and would wait for the next
    // report's (the chaos soak saw a last request wait ten minutes). Serve until none is left.
    do {
        m_producer.poll(std::chrono::milliseconds(0));
    } while (rd_kafka_queue_length(m_main_queue.get()) > 0);
}

size_t KafkaGateway::pending() const {
    const std::lock_guard lock(m_pending_mutex);
    return m_pending.size();
}

void KafkaGateway::complete(Pending* pending) {
    std::unique_ptr<Pending> owned;
    {
        const std::lock_guard lock(m_pending_mutex);
        auto found = m_pending.find(pending);
        owned = std::move(found->second);
        m_pending.erase(found);
    }
    if (owned->done) {
        owned->done(std::move(owned->results));
    }
}

void KafkaGateway::forget_callbacks() {
    const std::lock_guard lock(m_pending_mutex);
    for (auto& [key, pending] : m_pending) {
        pending->done = nullptr;
    }
}

void KafkaGateway::produce(const ProducePlan& plan, ProduceDone done) {
    auto owned = std::make_unique<Pending>();
    Pending* pending = owned.get();
    pending->results.resize(plan.records.size());
    pending->slots.reserve(plan.records.size());
    for (size_t i = 0; i < plan.records.size(); ++i) {
        pending->slots.emplace_back(this, pending, i);
    }
    // Counts the records plus one for this call, so that nothing can complete it while we are
    // still queueing.
    pending->remaining = plan.records.size() + 1;
    pending->done = std::move(done);
    {
        const std::lock_guard lock(m_pending_mutex);
        m_pending.emplace(pending, std::move(owned));
    }
    // This runs on the server's event loop: a full producer queue (the broker is down or slow)
    // must not stall every other connection while it waits for room. The records that find the
    // queue full are answered 50003 (retriable) at once, and so are the rest of the request's
    // (queueing them after a refusal could reorder a client's records).
    bool queue_full = false;
    for (size_t i = 0; i < plan.records.size(); ++i) {
        const OutgoingRecord& record = plan.records[i];
        const rd_kafka_resp_err_t err =
            queue_full
                ? RD_KAFKA_RESP_ERR__QUEUE_FULL
                : m_producer.try_produce_now(
                      plan.topic,
                      record.has_key ? std::optional<std::string_view>(record.key) : std::nullopt,
                      record.value, &pending->slots[i],
                      record.partition.value_or(RD_KAFKA_PARTITION_UA));
        queue_full = err == RD_KAFKA_RESP_ERR__QUEUE_FULL;
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            // Not queued: no delivery report will come for this one.
            pending->results[i] = {-1, -1, rest_error_code(err), rd_kafka_err2str(err)};
            --pending->remaining;
        }
    }
    if (--pending->remaining == 0) {
        complete(pending);
    }
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

CachedTopic KafkaGateway::cached_partition_count(const std::string& topic) {
    // A metadata request holds the lock for up to its timeout: never wait for it here.
    const std::unique_lock lock(m_topics_mutex, std::try_to_lock);
    if (!lock.owns_lock()) {
        return {};
    }
    const auto now = Clock::now();
    const bool fresh = m_refreshed_at && now - *m_refreshed_at < topics_max_age;
    const auto found = m_partition_counts.find(topic);
    const bool may_retry = !m_attempted_at || now - *m_attempted_at >= miss_refresh_interval;
    // The same decisions as partition_count, minus the ones that need a metadata request.
    if (fresh && found != m_partition_counts.end()) {
        return {CachedTopic::State::found, found->second};
    }
    if (may_retry || !m_refreshed_at) {
        return {};
    }
    if (found == m_partition_counts.end()) {
        return {CachedTopic::State::missing, 0};
    }
    return {CachedTopic::State::found, found->second};
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
