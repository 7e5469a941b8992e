#include "kafka/consumer.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "obs/log.hpp"

namespace pinpipe::kafka {
namespace {

using ErrorPtr = std::unique_ptr<rd_kafka_error_t, decltype(&rd_kafka_error_destroy)>;

PartitionListPtr make_list(const PartitionOffsets& partitions) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& [tp, offset] : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
            offset;
    }
    return list;
}

void check(rd_kafka_error_t* raw_error, std::string_view what) {
    const ErrorPtr error(raw_error, rd_kafka_error_destroy);
    if (error) {
        throw std::runtime_error(
            fmt::format("could not {}: {}", what, rd_kafka_error_string(error.get())));
    }
}

}  // namespace

Properties Consumer::default_properties(const std::string& group) {
    return {
        // The group id names the offsets; they are committed to Kafka only for lag tools.
        {"group.id", group},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        // Every assignment carries an explicit offset from Postgres; this only applies when
        // retention removed that offset (then we read from the oldest message left).
        {"auto.offset.reset", "earliest"},
        // EOF events tell a cron run that a partition has been read to its end.
        {"enable.partition.eof", "true"},
        // Bound prefetch memory: the loader's RSS must stay small whatever the backlog. The
        // bound is in bytes only: the message count (librdkafka's maximum here) would stop
        // fetching early for small messages, and librdkafka 2.0 then waits a fixed second
        // before fetching again (fetch.queue.backoff.ms only came with 2.2).
        {"queued.max.messages.kbytes", "16384"},
        {"queued.min.messages", "10000000"},
        {"fetch.max.bytes", "16777216"},
        // Idle partitions answer quickly so that a cron run's last partitions finish fast.
        {"fetch.wait.max.ms", "100"},
    };
}

Consumer::Consumer(const Properties& properties)
    : m_rk(make_client(RD_KAFKA_CONSUMER, make_conf(properties))),
      m_queue(rd_kafka_queue_get_consumer(m_rk.get())) {
    // Client errors (a broker down, all brokers down) are events on the main queue, which
    // nothing else serves: forwarded to the consumer queue, our consume calls hand them to the
    // error callback, so that an outage shows in the log.
    rd_kafka_poll_set_consumer(m_rk.get());
}

Consumer::~Consumer() {
    // No group membership to leave (we never subscribe); close stops fetchers cleanly.
    rd_kafka_consumer_close(m_rk.get());
}

void Consumer::assign(const PartitionOffsets& partitions) {
    const PartitionListPtr list = make_list(partitions);
    check(rd_kafka_incremental_assign(m_rk.get(), list.get()), "assign Kafka partitions");
}

void Consumer::unassign(const std::vector<events::TopicPartition>& partitions) {
    PartitionOffsets with_offsets;
    for (const events::TopicPartition& tp : partitions) {
        with_offsets.emplace_back(tp, RD_KAFKA_OFFSET_INVALID);
    }
    const PartitionListPtr list = make_list(with_offsets);
    check(rd_kafka_incremental_unassign(m_rk.get(), list.get()), "unassign Kafka partitions");
}

void Consumer::seek(const PartitionOffsets& partitions) {
    const PartitionListPtr list = make_list(partitions);
    check(rd_kafka_seek_partitions(m_rk.get(), list.get(), /*timeout_ms=*/10000),
          "seek Kafka partitions");
}

size_t Consumer::consume(std::vector<Delivery>& out, size_t max,
                         std::chrono::milliseconds timeout) {
    if (max == 0) {
        return 0;
    }
    // rd_kafka_consume_batch_queue waits out its whole timeout unless `max` messages arrive,
    // which would hold a trickle of messages back for the full timeout: wait for the first
    // message alone (returned as soon as it is there), then take what is queued without waiting.
    rd_kafka_message_t* first =
        rd_kafka_consume_queue(m_queue.get(), static_cast<int>(timeout.count()));
    if (first == nullptr) {
        return 0;  // nothing within the timeout
    }
    out.emplace_back(MessagePtr(first));
    if (max == 1) {
        return 1;
    }
    std::vector<rd_kafka_message_t*> raw(max - 1);
    const ssize_t got =
        rd_kafka_consume_batch_queue(m_queue.get(), /*timeout_ms=*/0, raw.data(), max - 1);
    if (got < 0) {
        throw std::runtime_error(fmt::format("could not consume from Kafka: {}",
                                             rd_kafka_err2str(rd_kafka_last_error())));
    }
    out.reserve(out.size() + static_cast<size_t>(got));
    for (ssize_t i = 0; i < got; ++i) {
        out.emplace_back(MessagePtr(raw[static_cast<size_t>(i)]));
    }
    return 1 + static_cast<size_t>(got);
}

Watermarks Consumer::watermarks(const events::TopicPartition& tp,
                                std::chrono::milliseconds timeout) {
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        m_rk.get(), tp.topic.c_str(), tp.partition, &low, &high, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(
            fmt::format("could not read the offsets of {} from Kafka at {}: {} (is the broker up?)",
                        tp.to_string(), brokers(), rd_kafka_err2str(err)));
    }
    return {low, high};
}

std::optional<Watermarks> Consumer::cached_watermarks(const events::TopicPartition& tp) const {
    int64_t low = RD_KAFKA_OFFSET_INVALID;
    int64_t high = RD_KAFKA_OFFSET_INVALID;
    if (rd_kafka_get_watermark_offsets(m_rk.get(), tp.topic.c_str(), tp.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high == RD_KAFKA_OFFSET_INVALID) {
        return std::nullopt;
    }
    return Watermarks{low, high};
}

std::vector<int32_t> Consumer::partition_counts(const std::vector<std::string>& topics,
                                                std::chrono::milliseconds timeout) {
    return kafka::partition_counts(m_rk.get(), topics, timeout);
}

void Consumer::commit_for_lag_tools(const PartitionOffsets& next_offsets) {
    if (next_offsets.empty()) {
        return;
    }
    const PartitionListPtr list = make_list(next_offsets);
    const rd_kafka_resp_err_t err = rd_kafka_commit(m_rk.get(), list.get(), /*async=*/1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        obs::log_warning("could not commit group offsets to Kafka (only lag tools are affected)",
                         {{"error", rd_kafka_err2str(err)}});
    }
}

std::string Consumer::brokers() const {
    return brokers_of(m_rk.get());
}

}  // namespace pinpipe::kafka
