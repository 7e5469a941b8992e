#include "consume/claims.hpp"

#include <gtest/gtest.h>

namespace pinpipe::consume {
namespace {

using events::TopicPartition;
using std::chrono::milliseconds;

const TopicPartition pin0{"t.pin", 0};
const TopicPartition geo0{"t.geo", 0};
const TopicPartition user0{"t.user", 0};

std::vector<TopicPartition> planned(const CronPlan& plan) {
    std::vector<TopicPartition> order;
    for (const PendingPartition& pending : plan.pending) {
        order.push_back(pending.tp);
    }
    return order;
}

TEST(SpreadOverWriters, GivesEachNewPartitionToTheWriterWithTheFewest) {
    EXPECT_EQ(spread_over_writers({2, 0, 1}, 4), (std::vector<size_t>{1, 1, 2, 0}));
}

TEST(SpreadOverWriters, BreaksTiesTowardsTheFirstWriter) {
    EXPECT_EQ(spread_over_writers({1, 1}, 1), (std::vector<size_t>{0}));
    EXPECT_EQ(spread_over_writers({0}, 3), (std::vector<size_t>{0, 0, 0}));
}

TEST(SpreadOverWriters, NothingToSpreadChoosesNothing) {
    EXPECT_TRUE(spread_over_writers({0, 0}, 0).empty());
}

TEST(PlanCronReads, ReadsFromTheStoredOffsetUpToTheHighWatermark) {
    const CronPlan plan = plan_cron_reads({pin0}, {{/*low=*/0, /*high=*/100}}, {{pin0, 40}},
                                          /*rotation=*/0);
    ASSERT_EQ(plan.pending.size(), 1u);
    EXPECT_EQ(plan.pending[0].tp, pin0);
    EXPECT_EQ(plan.pending[0].watermarks.high, 100);
    EXPECT_EQ(plan.behind, 60u);
}

TEST(PlanCronReads, APartitionNeverReadStartsAtItsLowWatermark) {
    const CronPlan plan = plan_cron_reads({pin0}, {{/*low=*/30, /*high=*/100}}, {}, 0);
    ASSERT_EQ(plan.pending.size(), 1u);
    EXPECT_EQ(plan.behind, 70u);
}

TEST(PlanCronReads, LeavesOutPartitionsReadUpToTheirHighWatermark) {
    const CronPlan plan = plan_cron_reads({pin0, geo0, user0}, {{0, 100}, {0, 50}, {10, 10}},
                                          {{pin0, 100}, {geo0, 20}}, 0);
    EXPECT_EQ(planned(plan), (std::vector<TopicPartition>{geo0}));
    EXPECT_EQ(plan.behind, 30u);
}

// Messages deleted by retention before they were read are not counted as behind.
TEST(PlanCronReads, DoesNotCountMessagesRetentionDeleted) {
    const CronPlan plan = plan_cron_reads({pin0}, {{/*low=*/60, /*high=*/100}}, {{pin0, 10}}, 0);
    ASSERT_EQ(plan.pending.size(), 1u);
    EXPECT_EQ(plan.behind, 40u);
}

TEST(PlanCronReads, RotatesTheOrderSoThatConcurrentLoadersStartApart) {
    const std::vector<TopicPartition> all{pin0, geo0, user0};
    const std::vector<kafka::Watermarks> marks{{0, 5}, {0, 5}, {0, 5}};
    EXPECT_EQ(planned(plan_cron_reads(all, marks, {}, 1)),
              (std::vector<TopicPartition>{geo0, user0, pin0}));
    EXPECT_EQ(planned(plan_cron_reads(all, marks, {}, 5)),
              (std::vector<TopicPartition>{user0, pin0, geo0}));
}

TEST(PlanCronReads, NothingBehindPlansNothing) {
    const CronPlan plan = plan_cron_reads({pin0}, {{0, 0}}, {}, 7);
    EXPECT_TRUE(plan.pending.empty());
    EXPECT_EQ(plan.behind, 0u);
}

TEST(ClaimStrategy, CronRegistersOutsideTheFairShareAndEndsWhenNothingIsRead) {
    ConsumerOptions options;
    options.kafka_timeout = milliseconds{1234};
    const std::unique_ptr<ClaimStrategy> claims = make_claim_strategy(options);
    EXPECT_EQ(claims->role(), pg::MemberRole::cron);
    PartitionTable table;
    EXPECT_TRUE(claims->idle(table));
    table.start(pin0, events::EventKind::pin, 0, 0, 10);
    EXPECT_FALSE(claims->idle(table));
    EXPECT_FALSE(claims->hurries_releases());
    EXPECT_EQ(claims->kafka_silence_limit(), milliseconds{1234});
}

TEST(ClaimStrategy, FollowSharesFairlyAndWaitsForKafkaAndForPartitions) {
    ConsumerOptions options;
    options.follow = true;
    const std::unique_ptr<ClaimStrategy> claims = make_claim_strategy(options);
    EXPECT_EQ(claims->role(), pg::MemberRole::follower);
    const PartitionTable table;
    EXPECT_FALSE(claims->idle(table));
    EXPECT_TRUE(claims->hurries_releases());
    EXPECT_FALSE(claims->kafka_silence_limit());
}

}  // namespace
}  // namespace pinpipe::consume
