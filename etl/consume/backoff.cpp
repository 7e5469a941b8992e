#include "consume/backoff.hpp"

#include <thread>

#include "util/signals.hpp"

namespace pinpipe::consume {

bool pause_unless_stopped(std::chrono::milliseconds delay) {
    using Clock = std::chrono::steady_clock;
    // The stop flag is set by a signal handler, which cannot notify a condition variable:
    // looking every 50 ms bounds how long SIGTERM waits.
    constexpr auto check_interval = std::chrono::milliseconds(50);
    const auto until = Clock::now() + delay;
    while (!util::stop_requested()) {
        const auto now = Clock::now();
        if (now >= until) {
            return true;
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(check_interval, until - now));
    }
    return false;
}

}  // namespace pinpipe::consume
