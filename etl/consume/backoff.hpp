// The pause before a consumer's next session: doubling while sessions fail without progress,
// back to the first delay after one that committed something, and cut short by SIGTERM.
#pragma once

#include <algorithm>
#include <chrono>

namespace pinpipe::consume {

class RetryBackoff {
  public:
    RetryBackoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
        : m_first(first), m_max(std::max(first, max)), m_next(first) {}

    // The pause after a session that ended in an outage; progressed: it committed something.
    std::chrono::milliseconds after_session(bool progressed) {
        if (progressed) {
            m_next = m_first;
        }
        const std::chrono::milliseconds delay = m_next;
        m_next = std::min(m_next * 2, m_max);
        return delay;
    }

  private:
    std::chrono::milliseconds m_first;
    std::chrono::milliseconds m_max;
    std::chrono::milliseconds m_next;
};

// Sleeps up to delay, waking early when a stop is requested (util::stop_requested); returns
// false when it was.
bool pause_unless_stopped(std::chrono::milliseconds delay);

}  // namespace pinpipe::consume
