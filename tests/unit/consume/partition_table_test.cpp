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

// The partition's end moved pin0 past a gap from fence to `to` (exclusive): the batch records
// that advance, and the next message taken must lie beyond it.
void expect_gap(const PartitionTable& table, const EndStep& end, int64_t fence, int64_t to) {
    ASSERT_TRUE(end.gap);
    EXPECT_EQ(end.gap->fence, fence);
    EXPECT_EQ(end.gap->to, to);
    EXPECT_EQ(table.find(pin0)->next, to);
}

// What a message did to pin0: its fate, whether it finished the partition, the next offset.
void expect_step(const PartitionTable& table, const MessageStep& step, MessageFate fate,
                 bool finished, int64_t next) {
    EXPECT_EQ(step.fate, fate);
    EXPECT_EQ(step.finished, finished);
    EXPECT_EQ(table.find(pin0)->next, next);
}

// Takes pin0's message at `taken`, then Kafka says the partition ends at end_offset.
EndStep end_after_taking(PartitionTable& table, int64_t taken, int64_t end_offset) {
    table.take(pin0, taken);
    return table.reach_end(pin0, end_offset);
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
    expect_step(table, step, MessageFate::taken, /*finished=*/false, /*next=*/11);
    EXPECT_EQ(step.fence, 10);
    EXPECT_EQ(step.partition, table.find(pin0));
    EXPECT_EQ(table.find(pin0)->fence, 10);  // moves only when the batch is submitted
}

// Offsets have gaps (compaction, transaction markers): the fence is where the batch started,
// never the first message's offset.
TEST(PartitionTable, TakesAMessageBeyondAGapStillFencedWhereTheBatchStarted) {
    PartitionTable table = cron_table();
    const MessageStep step = table.take(pin0, 14);
    expect_step(table, step, MessageFate::taken, /*finished=*/false, /*next=*/15);
    EXPECT_EQ(step.fence, 10);
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
    expect_step(table, step, MessageFate::already_taken, /*finished=*/false, /*next=*/12);
}

TEST(PartitionTable, TheMessageBeforeTheTargetFinishesThePartition) {
    PartitionTable table = cron_table();
    const MessageStep step = table.take(pin0, 19);
    expect_step(table, step, MessageFate::taken, /*finished=*/true, /*next=*/20);
}

TEST(PartitionTable, AMessageAtOrBeyondTheTargetIsLeftForTheNextRunAndFinishes) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    for (const int64_t offset : {20, 25}) {
        const MessageStep step = table.take(pin0, offset);
        SCOPED_TRACE(offset);
        expect_step(table, step, MessageFate::past_target, /*finished=*/true, /*next=*/11);
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
    const EndStep end = end_after_taking(table, 10, 13);
    expect_gap(table, end, 10, 13);
    EXPECT_FALSE(end.finished);
}

TEST(PartitionTable, TheEndRightAfterTheLastMessageMovesNothing) {
    PartitionTable table = cron_table();
    const EndStep end = end_after_taking(table, 10, 11);
    EXPECT_EQ(end.partition, table.find(pin0));
    EXPECT_FALSE(end.gap);
    EXPECT_FALSE(end.finished);
    EXPECT_EQ(table.find(pin0)->next, 11);
}

// An end that arrives late (fetched before messages now taken) never moves next back.
TEST(PartitionTable, AnEndBelowTheNextOffsetMovesNothing) {
    PartitionTable table = cron_table();
    const EndStep end = end_after_taking(table, 15, 12);
    EXPECT_FALSE(end.gap);
    EXPECT_EQ(table.find(pin0)->next, 16);
}

TEST(PartitionTable, TheEndAtTheTargetAfterItsLastMessageFinishesWithoutAGap) {
    PartitionTable table = cron_table();
    const EndStep end = end_after_taking(table, 19, 20);
    EXPECT_FALSE(end.gap);
    EXPECT_TRUE(end.finished);
}

// 32c438b: a cron load never moves a stored offset past its target when a partition ends in a
// gap; what lies beyond is the next run's to read.
TEST(PartitionTable, TheEndBeyondTheTargetMovesOnlyUpToTheTargetAndFinishes) {
    PartitionTable table = cron_table();
    const EndStep end = end_after_taking(table, 17, 25);
    expect_gap(table, end, 10, 20);
    EXPECT_TRUE(end.finished);
}

TEST(PartitionTable, TheGapIsFencedOnTheLastSubmittedBatch) {
    PartitionTable table = cron_table();
    table.take(pin0, 10);
    table.submitted(pin0, 11);
    const EndStep end = table.reach_end(pin0, 14);
    expect_gap(table, end, 11, 14);
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
