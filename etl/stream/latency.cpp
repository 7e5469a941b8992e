#include "stream/latency.hpp"

#include <algorithm>
#include <cmath>

namespace pinpipe::stream {

void LatencyRecorder::record(int64_t latency_ms, uint64_t count) {
    const int64_t bucket = std::clamp<int64_t>(latency_ms, 0, max_tracked_ms);
    m_counts[static_cast<size_t>(bucket)] += count;
    m_count += count;
    m_max = std::max(m_max, std::max<int64_t>(latency_ms, 0));
}

int64_t LatencyRecorder::quantile(double q) const {
    if (m_count == 0) {
        return 0;
    }
    // Rank of the wanted latency among the recorded ones, 1-based (nearest-rank method).
    const auto rank = std::max<uint64_t>(
        1,
        static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(m_count))));
    uint64_t seen = 0;
    for (size_t bucket = 0; bucket < m_counts.size(); ++bucket) {
        seen += m_counts[bucket];
        if (seen >= rank) {
            return static_cast<int64_t>(bucket);
        }
    }
    return max_tracked_ms;
}

}  // namespace pinpipe::stream
