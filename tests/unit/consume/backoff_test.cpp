#include "consume/backoff.hpp"

#include <gtest/gtest.h>

#include <thread>

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
TEST(PauseUnlessStopped, WakesAsSoonAsAStopIsRequested) {
    util::reset_stop_request();
    const auto started = std::chrono::steady_clock::now();
    std::thread stopper([] { util::request_stop(); });
    const bool slept_out = pause_unless_stopped(std::chrono::minutes(10));
    stopper.join();
    EXPECT_FALSE(slept_out);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
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
