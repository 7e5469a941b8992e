#include "consume/backoff.hpp"

#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "util/signals.hpp"

namespace pinpipe::consume {
namespace {

using std::chrono::milliseconds;

TEST(RetryBackoff, DoublesWhileSessionsFailWithoutProgressUpToTheMaximum) {
    RetryBackoff backoff(milliseconds{500}, milliseconds{3000});
    EXPECT_EQ(backoff.after_session(false), milliseconds{500});
    EXPECT_EQ(backoff.after_session(false), milliseconds{1000});
    EXPECT_EQ(backoff.after_session(false), milliseconds{2000});
    EXPECT_EQ(backoff.after_session(false), milliseconds{3000});
    EXPECT_EQ(backoff.after_session(false), milliseconds{3000});
}

// Regression: load's delay never came back down, so a loader that had survived a few outages
// waited 30 s after every later one, however long it had run in between.
TEST(RetryBackoff, ResetsAfterASessionThatMadeProgress) {
    RetryBackoff backoff(milliseconds{500}, milliseconds{30000});
    backoff.after_session(false);
    backoff.after_session(false);
    EXPECT_EQ(backoff.after_session(false), milliseconds{2000});
    EXPECT_EQ(backoff.after_session(true), milliseconds{500});
    EXPECT_EQ(backoff.after_session(false), milliseconds{1000});
}

// Regression: load slept out its retry delay (up to 30 s) ignoring SIGTERM.
// The state letter of one of this process's threads ('S' while it sleeps).
char thread_state(pid_t tid) {
    std::ifstream stat(fmt::format("/proc/self/task/{}/stat", tid));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t after_name = text.rfind(')');
    return after_name == std::string::npos || after_name + 2 >= text.size() ? '?'
                                                                            : text[after_name + 2];
}

TEST(PauseUnlessStopped, WakesAsSoonAsAStopIsRequested) {
    util::reset_stop_request();
    std::atomic<pid_t> pausing_thread{0};
    std::atomic<bool> slept_out{true};
    std::thread pauser([&] {
        pausing_thread = static_cast<pid_t>(syscall(SYS_gettid));
        slept_out = pause_unless_stopped(std::chrono::minutes(10));
    });
    // The stop comes once the pause is under way (the thread asleep in it), not before it.
    while (pausing_thread == 0 || thread_state(pausing_thread) != 'S') {
        std::this_thread::yield();
    }
    const auto stopped = std::chrono::steady_clock::now();
    util::request_stop();
    pauser.join();
    EXPECT_FALSE(slept_out);
    EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(5));
    util::reset_stop_request();
}

TEST(PauseUnlessStopped, SleepsTheWholeDelayOtherwise) {
    util::reset_stop_request();
    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(pause_unless_stopped(milliseconds{120}));
    EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds{120});
}

}  // namespace
}  // namespace pinpipe::consume
