// The Prometheus metrics of pinpipe stream, fed by the streamer's observer hooks.
#pragma once

#include <array>
#include <map>

#include "obs/metrics.hpp"
#include "stream/observer.hpp"

namespace pinpipe::stream {

class StreamMetrics : public StreamObserver {
  public:
    explicit StreamMetrics(obs::MetricsRegistry& registry);

    void on_consumed(events::EventKind kind, bool valid) override;
    void on_commit(const CommitReport& report) override;
    void on_end_to_end_latency(double seconds) override;
    void on_lag(const std::map<events::TopicPartition, int64_t>& lag) override;

  private:
    obs::MetricsRegistry& m_registry;
    std::array<obs::Counter*, 3> m_valid{};
    std::array<obs::Counter*, 3> m_dead{};
    obs::Counter& m_batches;
    obs::Counter& m_committed;
    obs::Counter& m_dead_letters;
    obs::Histogram& m_upsert_seconds;
    obs::Histogram& m_end_to_end_seconds;
    obs::Gauge& m_partitions_owned;
    std::map<events::TopicPartition, obs::Gauge*> m_lag;  // every partition ever owned
};

}  // namespace pinpipe::stream
