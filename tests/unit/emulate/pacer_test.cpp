#include <gtest/gtest.h>

#include "emulate/emulator.hpp"

namespace pinpipe::emulate {
namespace {

using namespace std::chrono_literals;

TEST(Pacer, SchedulesEventsFromTheStartByRate) {
    const Pacer::Clock::time_point started{};
    const Pacer pacer(/*rate=*/5, started);
    EXPECT_EQ(pacer.due(0), started);
    EXPECT_EQ(pacer.due(10), started + 2s);
    EXPECT_EQ(Pacer(/*rate=*/0, started).due(1000), started);  // as fast as possible
}

// Drift fixed: event / rate beyond 2^63 ns (292 years) overflowed the conversion to the clock's
// duration, and the due time came out before the start.
TEST(Pacer, ATinyRateGivesADueTimeFarAheadNotAnOverflow) {
    const Pacer::Clock::time_point started{};
    const Pacer pacer(/*rate=*/1e-12, started);
    EXPECT_GT(pacer.due(1), started + std::chrono::hours(24 * 365));
    EXPECT_GE(pacer.due(2), pacer.due(1));
}

}  // namespace
}  // namespace pinpipe::emulate
