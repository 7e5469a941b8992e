#include "consume/claims.hpp"

#include <gtest/gtest.h>

#include "consume/errors.hpp"

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
    const CronPlan plan = plan_cron_reads("g", {pin0}, {{/*low=*/0, /*high=*/100}}, {{pin0, 40}},
                                          /*rotation=*/0);
    ASSERT_EQ(plan.pending.size(), 1u);
    EXPECT_EQ(plan.pending[0].tp, pin0);
    EXPECT_EQ(plan.pending[0].watermarks.high, 100);
    EXPECT_EQ(plan.behind, 60u);
}

TEST(PlanCronReads, APartitionNeverReadStartsAtItsLowWatermark) {
    const CronPlan plan = plan_cron_reads("g", {pin0}, {{/*low=*/30, /*high=*/100}}, {}, 0);
    ASSERT_EQ(plan.pending.size(), 1u);
    EXPECT_EQ(plan.behind, 70u);
}

TEST(PlanCronReads, LeavesOutPartitionsReadUpToTheirHighWatermark) {
    const CronPlan plan = plan_cron_reads("g", {pin0, geo0, user0}, {{0, 100}, {0, 50}, {10, 10}},
                                          {{pin0, 100}, {geo0, 20}}, 0);
    EXPECT_EQ(planned(plan), (std::vector<TopicPartition>{geo0}));
    EXPECT_EQ(plan.behind, 30u);
}

// Messages deleted by retention before they were read are not counted as behind.
TEST(PlanCronReads, DoesNotCountMessagesRetentionDeleted) {
    const CronPlan plan =
        plan_cron_reads("g", {pin0}, {{/*low=*/60, /*high=*/100}}, {{pin0, 10}}, 0);
    ASSERT_EQ(plan.pending.size(), 1u);
    EXPECT_EQ(plan.behind, 40u);
}

TEST(PlanCronReads, RotatesTheOrderSoThatConcurrentLoadersStartApart) {
    const std::vector<TopicPartition> all{pin0, geo0, user0};
    const std::vector<kafka::Watermarks> marks{{0, 5}, {0, 5}, {0, 5}};
    EXPECT_EQ(planned(plan_cron_reads("g", all, marks, {}, 1)),
              (std::vector<TopicPartition>{geo0, user0, pin0}));
    EXPECT_EQ(planned(plan_cron_reads("g", all, marks, {}, 5)),
              (std::vector<TopicPartition>{user0, pin0, geo0}));
}

TEST(PlanCronReads, NothingBehindPlansNothing) {
    const CronPlan plan = plan_cron_reads("g", {pin0}, {{0, 0}}, {}, 7);
    EXPECT_TRUE(plan.pending.empty());
    EXPECT_EQ(plan.behind, 0u);
}

// A topic recreated behind the stored offset: its new messages lie below it. Leaving the
// partition out would skip them with exit 0, so the plan fails naming what to reset.
TEST(PlanCronReads, AStoredOffsetBeyondTheHighWatermarkFailsNamingItAndTheFix) {
    try {
        plan_cron_reads("pinpipe-load", {pin0, geo0}, {{0, 100}, {0, 100}},
                        {{pin0, 40}, {geo0, 5000}}, 0);
        FAIL() << "a stored offset beyond the end was planned around";
    } catch (const OffsetBeyondEnd& error) {
        EXPECT_EQ(std::string(error.what()),
                  "stored offset 5000 of group pinpipe-load on t.geo[0] is beyond the partition's "
                  "end in Kafka (high watermark 100): the topic was recreated or its log "
                  "truncated, and reading on would skip its messages, so nothing was read (to "
                  "read the partition from its oldest message, delete its stored offset: DELETE "
                  "FROM etl.consumer_offsets WHERE consumer = 'pinpipe-load' AND topic = "
                  "'t.geo' AND partition = 0; see docs/operations.md)");
    }
}

TEST(PlanCronReads, AStoredOffsetAtTheHighWatermarkIsCaughtUpNotBeyond) {
    EXPECT_TRUE(plan_cron_reads("g", {pin0}, {{0, 100}}, {{pin0, 100}}, 0).pending.empty());
    EXPECT_NO_THROW(check_stored_offset("g", pin0, 100, {0, 100}));
    EXPECT_THROW(check_stored_offset("g", pin0, 101, {0, 100}), OffsetBeyondEnd);
}

TEST(PlanCronReads, TheFixQuotesNamesAsSqlLiterals) {
    try {
        check_stored_offset("it's", {"o'clock.pin", 3}, 7, {0, 1});
        FAIL();
    } catch (const OffsetBeyondEnd& error) {
        EXPECT_NE(std::string(error.what())
                      .find("consumer = 'it''s' AND topic = 'o''clock.pin' AND partition = 3"),
                  std::string::npos)
            << error.what();
    }
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
