#include "consume/batching.hpp"

#include <gtest/gtest.h>

namespace pinpipe::consume {
namespace {

using std::chrono::milliseconds;

constexpr BatchPolicy policy{/*max_rows=*/1000, /*min_age=*/milliseconds{20},
                             /*max_latency=*/milliseconds{100}};
constexpr milliseconds idle{100};

BatchState state(size_t messages, milliseconds age, bool writer_busy) {
    return {messages, /*has_releases=*/false, age, writer_busy};
}

TEST(BatchAction, EmptyBatchIsKeptWhateverItsAge) {
    EXPECT_EQ(next_batch_action(policy, state(0, milliseconds{500}, false)), BatchAction::keep);
    EXPECT_EQ(poll_timeout(policy, state(0, milliseconds{500}, false), idle), idle);
}

TEST(BatchAction, FreeWriterTakesTheBatchOnceItIsMinAgeOld) {
    EXPECT_EQ(next_batch_action(policy, state(5, milliseconds{19}, false)), BatchAction::keep);
    EXPECT_EQ(next_batch_action(policy, state(5, milliseconds{20}, false)), BatchAction::submit);
    EXPECT_EQ(poll_timeout(policy, state(5, milliseconds{15}, false), idle), milliseconds{5});
    EXPECT_EQ(poll_timeout(policy, state(5, milliseconds{30}, false), idle), milliseconds{0});
}

TEST(BatchAction, ZeroMinAgeSendsEveryPollAtOnce) {
    BatchPolicy eager = policy;
    eager.min_age = milliseconds{0};
    EXPECT_EQ(next_batch_action(eager, state(1, milliseconds{0}, false)), BatchAction::submit);
}

TEST(BatchAction, MinAgeBeyondMaxLatencyCountsAsMaxLatency) {
    BatchPolicy slow = policy;
    slow.min_age = milliseconds{5000};
    EXPECT_EQ(next_batch_action(slow, state(5, milliseconds{100}, false)), BatchAction::submit);
    EXPECT_EQ(poll_timeout(slow, state(5, milliseconds{40}, false), idle), milliseconds{60});
}

TEST(BatchAction, BusyWriterLetsTheBatchGrowPastMaxLatency) {
    EXPECT_EQ(next_batch_action(policy, state(999, milliseconds{400}, true)), BatchAction::keep);
}

TEST(BatchAction, FullBatchWaitsForABusyWriterAndGoesAtOnceToAFreeOne) {
    EXPECT_EQ(next_batch_action(policy, state(1000, milliseconds{1}, true)),
              BatchAction::wait_then_submit);
    EXPECT_EQ(next_batch_action(policy, state(1000, milliseconds{1}, false)), BatchAction::submit);
}

TEST(BatchAction, ReleasedPartitionsGoWithoutWaitingForMinAge) {
    const BatchState releasing{/*messages=*/0, /*has_releases=*/true, milliseconds{0},
                               /*writer_busy=*/false};
    EXPECT_EQ(next_batch_action(policy, releasing), BatchAction::submit);
}

TEST(BatchAction, BatchFullByBytesGoesLikeOneFullByRows) {
    BatchPolicy bounded = policy;
    bounded.max_bytes = 4096;
    BatchState big = state(5, milliseconds{1}, false);
    big.bytes = 4096;
    EXPECT_TRUE(batch_full(bounded, big));
    EXPECT_EQ(next_batch_action(bounded, big), BatchAction::submit);
    big.writer_busy = true;
    EXPECT_EQ(next_batch_action(bounded, big), BatchAction::wait_then_submit);
    big.bytes = 4095;
    EXPECT_FALSE(batch_full(bounded, big));
}

// Regression: with a batch due and the writer busy, the poll timeout used to be 0, so the
// consuming thread spun a core polling Kafka until the writer was done.
TEST(BatchPollTimeout, NeverZeroWhileTheWriterIsBusy) {
    for (const milliseconds age : {milliseconds{0}, milliseconds{20}, milliseconds{500}}) {
        EXPECT_EQ(poll_timeout(policy, state(5, age, true), idle), busy_writer_poll_timeout);
    }
}

}  // namespace
}  // namespace pinpipe::consume
