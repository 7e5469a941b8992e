#include "stream/stream_metrics.hpp"

#include <string>

namespace pinpipe::stream {
namespace {

constexpr const char* consumed_help =
    "Messages taken from Kafka, by event kind and outcome (valid or dead_letter); counted again "
    "if a restart re-reads uncommitted ones";
constexpr const char* lag_help =
    "Messages between the committed position and the high watermark, per partition this "
    "instance owns (0 for partitions it gave up)";

// 1 ms to about 16 s: the end-to-end target is 250 ms at p99; outages show as the tail.
std::vector<double> latency_buckets() {
    return obs::exponential_buckets(0.001, 2, 15);
}

}  // namespace

StreamMetrics::StreamMetrics(obs::MetricsRegistry& registry)
    : m_registry(registry),
      m_batches(registry.counter("pinpipe_stream_batches_total",
                                 "Micro-batches committed (metric deltas and offsets together)")),
      m_committed(registry.counter("pinpipe_stream_committed_messages_total",
                                   "Messages whose batch committed: each counted exactly once")),
      m_dead_letters(registry.counter("pinpipe_stream_dead_letters_total",
                                      "Bad messages committed to etl.dead_letters")),
      m_upsert_seconds(registry.histogram(
          "pinpipe_stream_upsert_seconds",
          "Duration of a batch's transaction: upserts, dead letters, fenced offsets, commit",
          latency_buckets())),
      m_end_to_end_seconds(registry.histogram(
          "pinpipe_stream_end_to_end_latency_seconds",
          "From a message's Kafka timestamp to the commit that makes it visible in realtime.*",
          latency_buckets())),
      m_partitions_owned(registry.gauge("pinpipe_stream_partitions_owned",
                                        "Partitions this instance holds claims on")) {
    for (const events::EventKind kind : events::all_event_kinds) {
        const std::string name(events::kind_name(kind));
        const auto index = static_cast<size_t>(kind);
        m_valid[index] = &registry.counter("pinpipe_stream_consumed_messages_total", consumed_help,
                                           {{"kind", name}, {"outcome", "valid"}});
        m_dead[index] = &registry.counter("pinpipe_stream_consumed_messages_total", consumed_help,
                                          {{"kind", name}, {"outcome", "dead_letter"}});
    }
}

void StreamMetrics::on_consumed(events::EventKind kind, bool valid) {
    (valid ? m_valid : m_dead)[static_cast<size_t>(kind)]->inc();
}

void StreamMetrics::on_commit(const CommitReport& report) {
    m_batches.inc();
    m_committed.inc(static_cast<double>(report.messages));
    m_dead_letters.inc(static_cast<double>(report.dead_letters));
    m_upsert_seconds.observe(report.upsert_seconds);
}

void StreamMetrics::on_end_to_end_latency(double seconds) {
    m_end_to_end_seconds.observe(seconds);
}

void StreamMetrics::on_lag(const std::map<events::TopicPartition, int64_t>& lag) {
    for (auto& [tp, gauge] : m_lag) {
        if (!lag.contains(tp)) {
            gauge->set(0);
        }
    }
    for (const auto& [tp, messages] : lag) {
        auto [entry, inserted] = m_lag.try_emplace(tp, nullptr);
        if (inserted) {
            entry->second = &m_registry.gauge(
                "pinpipe_stream_lag_messages", lag_help,
                {{"topic", tp.topic}, {"partition", std::to_string(tp.partition)}});
        }
        entry->second->set(static_cast<double>(messages));
    }
    m_partitions_owned.set(static_cast<double>(lag.size()));
}

}  // namespace pinpipe::stream
