#include "kafka/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "obs/log.hpp"
#include "util/errors.hpp"
#include "util/signals.hpp"

namespace pinpipe::kafka {
namespace {

// librdkafka reports connection trouble here; it keeps retrying by itself, so these are
// informational unless fatal (as in librdkafka's examples/consumer.c).
void log_client_error(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512];
        rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        obs::log_error("fatal Kafka client error", {{"error", fatal}});
        return;
    }
    obs::log_warning("Kafka client error", {{"error", reason}, {"code", rd_kafka_err2name(code)}});
}

}  // namespace

std::string brokers_of(rd_kafka_t* rk) {
    // Reads back the bootstrap list for error messages; it holds no secrets.
    rd_kafka_conf_t* conf = const_cast<rd_kafka_conf_t*>(rd_kafka_conf(rk));
    char value[512];
    size_t size = sizeof value;
    if (rd_kafka_conf_get(conf, "bootstrap.servers", value, &size) == RD_KAFKA_CONF_OK) {
        return value;
    }
    return "(unknown)";
}

ConfPtr make_conf(const Properties& properties) {
    ConfPtr conf(rd_kafka_conf_new());
    char error[512];
    for (const auto& [key, value] : properties) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error, sizeof error) !=
            RD_KAFKA_CONF_OK) {
            throw UsageError(fmt::format("invalid Kafka configuration {}={}: {}", key,
                                         printable_value(key, value), error));
        }
    }
    rd_kafka_conf_set_error_cb(conf.get(), log_client_error);
    return conf;
}

HandlePtr make_client(rd_kafka_type_t type, ConfPtr conf) {
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error, sizeof error);
    if (rk == nullptr) {
        throw UsageError(fmt::format("could not create Kafka client: {}", error));
    }
    conf.release();  // rd_kafka_new took ownership
    return HandlePtr(rk);
}

MetadataPtr fetch_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, /*all_topics=*/1, nullptr, &raw, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(fmt::format(
            "could not reach Kafka at {}: {} (is the broker running? set -b or PINPIPE_BROKERS)",
            brokers_of(rk), rd_kafka_err2str(err)));
    }
    return MetadataPtr(raw);
}

std::vector<int32_t> partition_counts(rd_kafka_t* rk, const std::vector<std::string>& topics,
                                      std::chrono::milliseconds timeout) {
    const MetadataPtr metadata = fetch_metadata(rk, timeout);
    const auto* begin = metadata->topics;
    const auto* end = metadata->topics + metadata->topic_cnt;
    std::vector<int32_t> counts;
    for (const std::string& topic : topics) {
        const auto* found = std::find_if(
            begin, end, [&](const rd_kafka_metadata_topic& t) { return topic == t.topic; });
        if (found == end || found->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            throw TopicMissing(fmt::format(
                "Kafka topic {} does not exist at {} (create it with pinpipe topics create, or "
                "check --topic-prefix)",
                topic, brokers_of(rk)));
        }
        if (found->err != RD_KAFKA_RESP_ERR_NO_ERROR || found->partition_cnt == 0) {
            throw std::runtime_error(fmt::format("Kafka topic {} at {} is not available: {}", topic,
                                                 brokers_of(rk), rd_kafka_err2str(found->err)));
        }
        counts.push_back(found->partition_cnt);
    }
    return counts;
}

Properties Producer::default_properties() {
    return {
        // Retries must not duplicate: the broker deduplicates an idempotent producer's resends.
        {"enable.idempotence", "true"},
        // Large, lingering batches: the mock broker returns one message set per partition per
        // fetch, so consumers downstream are only as fast as our batches are large.
        {"linger.ms", "20"},
        {"batch.size", "1000000"},
        {"queue.buffering.max.kbytes", "262144"},
    };
}

Producer::Producer(const Properties& properties) {
    ConfPtr conf = make_conf(properties);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery_report);
    rd_kafka_conf_set_opaque(conf.get(), this);
    m_rk = make_client(RD_KAFKA_PRODUCER, std::move(conf));
}

void Producer::on_delivery_report(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
    auto* self = static_cast<Producer*>(opaque);
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++self->m_delivered;
    } else {
        ++self->m_failed;
        auto expected = RD_KAFKA_RESP_ERR_NO_ERROR;
        self->m_first_error.compare_exchange_strong(expected, msg->err);
    }
    if (auto* listener = static_cast<DeliveryListener*>(msg->_private)) {
        listener->on_delivery({msg->partition, msg->offset, msg->err});
    }
}

void Producer::produce(const std::string& topic, std::string_view key, std::string_view value,
                       DeliveryListener* listener, int32_t partition, int64_t timestamp_ms) {
    const rd_kafka_resp_err_t err =
        try_produce(topic, key, value, listener, partition, timestamp_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(
            fmt::format("could not produce to Kafka topic {}: {}", topic, rd_kafka_err2str(err)));
    }
}

rd_kafka_resp_err_t Producer::try_produce(const std::string& topic,
                                          std::optional<std::string_view> key,
                                          std::string_view value, DeliveryListener* listener,
                                          int32_t partition, int64_t timestamp_ms) {
    // Locals: librdkafka's V_KEY macro casts its arguments without parentheses.
    void* key_data = key ? const_cast<char*>(key->data()) : nullptr;
    const size_t key_size = key ? key->size() : 0;
    while (true) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            m_rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key_data, key_size),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(listener), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || util::stop_requested()) {
            return err;
        }
        // Back-pressure: wait for deliveries to free queue space.
        rd_kafka_poll(m_rk.get(), 10);
    }
}

rd_kafka_resp_err_t Producer::try_produce_now(const std::string& topic,
                                              std::optional<std::string_view> key,
                                              std::string_view value, DeliveryListener* listener,
                                              int32_t partition) {
    void* key_data = key ? const_cast<char*>(key->data()) : nullptr;
    const size_t key_size = key ? key->size() : 0;
    return rd_kafka_producev(
        m_rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key_data, key_size),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_OPAQUE(listener), RD_KAFKA_V_END);
}

void Producer::poll(std::chrono::milliseconds timeout) {
    rd_kafka_poll(m_rk.get(), static_cast<int>(timeout.count()));
}

void Producer::flush(std::chrono::milliseconds timeout) {
    const rd_kafka_resp_err_t err = rd_kafka_flush(m_rk.get(), static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(fmt::format(
            "{} Kafka messages were still undelivered after {} s (is the broker at {} up?)",
            rd_kafka_outq_len(m_rk.get()), timeout.count() / 1000, brokers_of(m_rk.get())));
    }
}

std::string Producer::first_error() const {
    return rd_kafka_err2str(m_first_error.load());
}

}  // namespace pinpipe::kafka
