#include "stream/latency.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace pinpipe::stream {
namespace {

TEST(LatencyRecorder, NearestRankQuantiles) {
    auto recorder = std::make_unique<LatencyRecorder>();
    for (int ms = 1; ms <= 100; ++ms) {
        recorder->record(ms);
    }
    EXPECT_EQ(recorder->count(), 100U);
    EXPECT_EQ(recorder->quantile(0.5), 50);
    EXPECT_EQ(recorder->quantile(0.99), 99);
    EXPECT_EQ(recorder->quantile(1.0), 100);
    EXPECT_EQ(recorder->quantile(0.0), 1);
    EXPECT_EQ(recorder->max(), 100);
}

TEST(LatencyRecorder, EmptyNegativeAndOverflow) {
    auto recorder = std::make_unique<LatencyRecorder>();
    EXPECT_EQ(recorder->quantile(0.5), 0);
    recorder->record(-5);
    EXPECT_EQ(recorder->quantile(1.0), 0);
    recorder->record(LatencyRecorder::max_tracked_ms * 3, 10);
    EXPECT_EQ(recorder->quantile(0.99), LatencyRecorder::max_tracked_ms);
    EXPECT_EQ(recorder->max(), LatencyRecorder::max_tracked_ms * 3);
}

}  // namespace
}  // namespace pinpipe::stream
