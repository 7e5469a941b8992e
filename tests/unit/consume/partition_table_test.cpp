#include "consume/partition_table.hpp"

#include <gtest/gtest.h>

namespace pinpipe::consume {
namespace {

using events::EventKind;
using events::TopicPartition;

const TopicPartition pin0{"t.pin", 0};
const TopicPartition geo1{"t.geo", 1};
constexpr size_t writer = 1;

// A cron partition: stored offset 10, high watermark 20 at the run's start.
PartitionTable cron_table() {
    PartitionTable table;
    table.start(pin0, EventKind::pin, writer, /*stored=*/10, /*target=*/20);
    return table;
}

TEST(PartitionTable, StartsAtTheStoredOffsetFencedOnIt) {
    const PartitionTable table = cron_table();
    const PartitionState* state = table.find(pin0);
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(state->kind, EventKind::pin);
    EXPECT_EQ(state->writer, writer);
    EXPECT_EQ(state->fence, 10);
    EXPECT_EQ(state->next, 10);
    EXPECT_EQ(state->target, 20);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.find(geo1), nullptr);
}

TEST(PartitionTable, TakesAMessageFencedOnTheStoredOffset) {
    PartitionTable table = cron_table();
    const MessageStep step = table.take(pin0, 10);
    EXPECT_EQ(step.fate, MessageFate::taken);
    EXPECT_EQ(step.fence, 10);
    EXPECT_FALSE(step.finished);
    ASSERT_EQ(step.partition, table.find(pin0));
    EXPECT_EQ(step.partition->next, 11);
    EXPECT_EQ(step.partition->fence, 10);  // moves only when the batch is submitted
}

// Offsets have gaps (compaction, transaction markers): the fence is where the batch started,
// never the first message's offset.
TEST(PartitionTable, TakesAMessageBeyondAGapStillFencedWhereTheBatchStarted) {
    PartitionTable table = cron_table();
    const MessageStep step = table.take(pin0, 14);
    EXPECT_EQ(step.fate, MessageFate::taken);
    EXPECT_EQ(step.fence, 10);
    EXPECT_EQ(table.find(pin0)->next, 15);
}

TEST(PartitionTable, DropsAMessageOfAPartitionItDoesNotRead) {
    PartitionTable table = cron_table();
    const MessageStep step = table.take(geo1, 10);
    EXPECT_EQ(step.fate, MessageFate::not_owned);
    EXPECT_EQ(step.partition, nullptr);
    EXPECT_FALSE(step.finished);
    EXPECT_EQ(table.find(geo1), nullptr);
}

TEST(PartitionTable, DropsARedeliveryBelowTheNextOffset) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    table.take(pin0, 11);
    const MessageStep step = table.take(pin0, 11);
    EXPECT_EQ(step.fate, MessageFate::already_taken);
    EXPECT_FALSE(step.finished);
    EXPECT_EQ(table.find(pin0)->next, 12);
}

TEST(PartitionTable, TheMessageBeforeTheTargetFinishesThePartition) {
    PartitionTable table = cron_table();
    const MessageStep step = table.take(pin0, 19);
    EXPECT_EQ(step.fate, MessageFate::taken);
    EXPECT_TRUE(step.finished);
    EXPECT_EQ(table.find(pin0)->next, 20);
}

TEST(PartitionTable, AMessageAtOrBeyondTheTargetIsLeftForTheNextRunAndFinishes) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    for (const int64_t offset : {20, 25}) {
        const MessageStep step = table.take(pin0, offset);
        EXPECT_EQ(step.fate, MessageFate::past_target) << offset;
        EXPECT_TRUE(step.finished) << offset;
        EXPECT_EQ(table.find(pin0)->next, 11) << offset;
    }
}

TEST(PartitionTable, AFollowPartitionNeverFinishes) {
    PartitionTable table;
    table.start(geo1, EventKind::geo, writer, /*stored=*/0, no_end);
    const MessageStep step = table.take(geo1, no_end - 2);
    EXPECT_EQ(step.fate, MessageFate::taken);
    EXPECT_FALSE(step.finished);
    const EndStep end = table.reach_end(geo1, no_end - 1);
    EXPECT_FALSE(end.finished);
}

TEST(PartitionTable, ASubmittedBatchFencesTheNextOnItsEnd) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    table.take(pin0, 11);
    table.submitted(pin0, 12);
    EXPECT_EQ(table.find(pin0)->fence, 12);
    const MessageStep step = table.take(pin0, 12);
    EXPECT_EQ(step.fence, 12);
}

TEST(PartitionTable, ASubmittedBatchOfAFinishedPartitionAddsNothing) {
    PartitionTable table = cron_table();
    table.finish(pin0);
    table.submitted(pin0, 12);
    EXPECT_EQ(table.find(pin0), nullptr);
    EXPECT_TRUE(table.empty());
}

TEST(PartitionTable, TheEndOfAPartitionItDoesNotReadChangesNothing) {
    PartitionTable table = cron_table();
    const EndStep end = table.reach_end(geo1, 30);
    EXPECT_EQ(end.partition, nullptr);
    EXPECT_FALSE(end.gap);
    EXPECT_FALSE(end.finished);
}

// b505909: a partition whose end lies past its last message (a commit marker, a compaction gap)
// is stored at its end, or a cron run would claim and read it again every time.
TEST(PartitionTable, TheEndBeyondTheLastMessageMovesPastTheGap) {
    PartitionTable table;
    table.start(pin0, EventKind::pin, writer, /*stored=*/10, no_end);
    table.take(pin0, 10);
    const EndStep end = table.reach_end(pin0, 13);
    ASSERT_TRUE(end.gap);
    EXPECT_EQ(end.gap->fence, 10);
    EXPECT_EQ(end.gap->to, 13);
    EXPECT_FALSE(end.finished);
    EXPECT_EQ(table.find(pin0)->next, 13);
}

TEST(PartitionTable, TheEndRightAfterTheLastMessageMovesNothing) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    const EndStep end = table.reach_end(pin0, 11);
    EXPECT_EQ(end.partition, table.find(pin0));
    EXPECT_FALSE(end.gap);
    EXPECT_FALSE(end.finished);
    EXPECT_EQ(table.find(pin0)->next, 11);
}

// An end that arrives late (fetched before messages now taken) never moves next back.
TEST(PartitionTable, AnEndBelowTheNextOffsetMovesNothing) {
    PartitionTable table = cron_table();
    table.take(pin0, 15);
    const EndStep end = table.reach_end(pin0, 12);
    EXPECT_FALSE(end.gap);
    EXPECT_EQ(table.find(pin0)->next, 16);
}

// 32c438b: a cron load never moves a stored offset past its target when a partition ends in a
// gap; what lies beyond is the next run's to read.
TEST(PartitionTable, TheEndBeyondTheTargetMovesOnlyUpToTheTargetAndFinishes) {
    PartitionTable table = cron_table();
    table.take(pin0, 17);
    const EndStep end = table.reach_end(pin0, 25);
    ASSERT_TRUE(end.gap);
    EXPECT_EQ(end.gap->fence, 10);
    EXPECT_EQ(end.gap->to, 20);
    EXPECT_TRUE(end.finished);
    EXPECT_EQ(table.find(pin0)->next, 20);
}

TEST(PartitionTable, TheEndAtTheTargetAfterItsLastMessageFinishesWithoutAGap) {
    PartitionTable table = cron_table();
    table.take(pin0, 19);
    const EndStep end = table.reach_end(pin0, 20);
    EXPECT_FALSE(end.gap);
    EXPECT_TRUE(end.finished);
}

TEST(PartitionTable, TheGapIsFencedOnTheLastSubmittedBatch) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    table.submitted(pin0, 11);
    const EndStep end = table.reach_end(pin0, 14);
    ASSERT_TRUE(end.gap);
    EXPECT_EQ(end.gap->fence, 11);
    EXPECT_EQ(end.gap->to, 14);
}

TEST(PartitionTable, FinishingReturnsTheLastStateAndForgetsThePartition) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    const std::optional<PartitionState> last = table.finish(pin0);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->writer, writer);
    EXPECT_EQ(last->next, 11);
    EXPECT_TRUE(table.empty());
    EXPECT_FALSE(table.finish(pin0));
    EXPECT_EQ(table.take(pin0, 11).fate, MessageFate::not_owned);
}

// A partition given up and claimed again (follow) starts from the offset stored meanwhile.
TEST(PartitionTable, StartingAgainAfterFinishingStartsAfresh) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    table.finish(pin0);
    table.start(pin0, EventKind::pin, /*writer=*/0, /*stored=*/15, no_end);
    const PartitionState* state = table.find(pin0);
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(state->writer, 0u);
    EXPECT_EQ(state->fence, 15);
    EXPECT_EQ(state->next, 15);
    EXPECT_EQ(table.take(pin0, 14).fate, MessageFate::already_taken);
}

}  // namespace
}  // namespace pinpipe::consume
