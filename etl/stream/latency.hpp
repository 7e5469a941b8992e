// End-to-end latency (Kafka message timestamp -> the commit that makes it visible) recorded at
// millisecond resolution, for the summary line and the benchmark's p50/p99. Pure and bounded:
// a fixed array of per-millisecond counts, whatever the run's length.
#pragma once

#include <array>
#include <cstdint>

namespace pinpipe::stream {

class LatencyRecorder {
  public:
    // Latencies at or above this many ms are counted in one overflow bucket.
    static constexpr int64_t max_tracked_ms = 60'000;

    // Negative latencies (a producer whose clock runs ahead) count as 0.
    void record(int64_t latency_ms, uint64_t count = 1);
    uint64_t count() const { return m_count; }
    // The smallest latency L (ms) such that at least q of the recorded latencies are <= L
    // (q in [0, 1]); max_tracked_ms when it falls in the overflow; 0 when nothing is recorded.
    int64_t quantile(double q) const;
    int64_t max() const { return m_max; }

  private:
    std::array<uint64_t, max_tracked_ms + 1> m_counts{};
    uint64_t m_count = 0;
    int64_t m_max = 0;
};

}  // namespace pinpipe::stream
