#include "ops/status_report.hpp"

#include <gtest/gtest.h>

namespace pinpipe::ops {
namespace {

PartitionStatus partition(const std::string& topic, int32_t number, int64_t low, int64_t high,
                          std::optional<int64_t> load, std::optional<int64_t> stream) {
    PartitionStatus p;
    p.topic = topic;
    p.partition = number;
    p.low = low;
    p.high = high;
    p.load.next_offset = load;
    p.stream.next_offset = stream;
    return p;
}

StatusReport sample_report() {
    StatusReport report;
    report.generated_at = "2024-05-01T10:00:00.000Z";
    report.load_group = "pinpipe-load";
    report.stream_group = "pinpipe-stream";
    report.partitions = {partition("p.pin", 0, 0, 100, 90, std::nullopt),
                         partition("p.pin", 1, 10, 50, std::nullopt, std::nullopt),
                         partition("p.geo", 0, 0, 30, 30, std::nullopt)};
    compute_lags(report.partitions);
    report.freshness = {{"p.pin", "2024-05-01T09:59:00.000Z", 60.0},
                        {"p.geo", "", std::nullopt},
                        {"p.user", "", std::nullopt}};
    return report;
}

TEST(PartitionLag, IsHighMinusStoredOffset) {
    EXPECT_EQ(partition_lag(0, 100, 90), 10);
    EXPECT_EQ(partition_lag(0, 100, 100), 0);
}

TEST(PartitionLag, WithoutStoredOffsetCountsFromTheLowWatermark) {
    EXPECT_EQ(partition_lag(10, 50, std::nullopt), 40);
}

TEST(PartitionLag, OffsetsDeletedByRetentionDoNotCount) {
    EXPECT_EQ(partition_lag(80, 100, 20), 20);
}

TEST(PartitionLag, IsNeverNegative) {
    EXPECT_EQ(partition_lag(0, 10, 15), 0);  // a topic re-created behind the stored offset
}

// A topic recreated behind the stored offset: a lag of 0 would read as caught up while load and
// stream refuse to read the partition, so status shows it as a problem whatever the thresholds.
TEST(OffsetBeyondEnd, IsAProblemNotCaughtUp) {
    StatusReport report = sample_report();
    report.partitions = {partition("p.pin", 0, 0, 100, 5000, 100),
                         partition("p.geo", 0, 0, 30, 30, std::nullopt)};
    compute_lags(report.partitions);
    EXPECT_TRUE(offset_beyond_end(100, 5000));
    EXPECT_FALSE(offset_beyond_end(100, 100));
    EXPECT_FALSE(offset_beyond_end(100, std::nullopt));
    EXPECT_EQ(load_progress(report, "p.pin").state, LoadProgress::offset_beyond_end);
    EXPECT_EQ(load_progress(report, "p.geo").state, LoadProgress::caught_up);

    const auto violations = threshold_violations(report, {});
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0],
              "pinpipe-load's stored offset 5000 on p.pin partition 0 is beyond its high "
              "watermark 100 (the topic was recreated or its log truncated: reset the offset as "
              "docs/operations.md shows)");
    // Stale while stuck: the problem above says why; no second sentence for it.
    EXPECT_EQ(threshold_violations(report, {.max_freshness_s = 30}), violations);

    const std::string text = render_status_text(report);
    EXPECT_NE(text.find("beyond end!"), std::string::npos) << text;
    EXPECT_NE(text.find("stuck: a stored offset is beyond Kafka's end"), std::string::npos) << text;
    const size_t caught_up = text.find("caught up (no newer events");
    EXPECT_NE(caught_up, std::string::npos) << text;
    EXPECT_EQ(text.find("caught up (no newer events", caught_up + 1), std::string::npos)
        << "only p.geo is caught up\n"
        << text;
    const auto doc = status_json(report, {}, violations);
    EXPECT_EQ(doc["partitions"][0]["load"]["beyond_end"], true);
    EXPECT_EQ(doc["partitions"][0]["stream"]["beyond_end"], false);
    EXPECT_EQ(doc["partitions"][1]["load"]["beyond_end"], false);
    EXPECT_EQ(doc["freshness"][0]["load"], "offset_beyond_end");
    EXPECT_EQ(doc["ok"], false);
}

TEST(ComputeLags, GroupWithoutAnyStoredOffsetIsNotDeployed) {
    const StatusReport report = sample_report();
    EXPECT_EQ(report.partitions[0].load.lag, 10);
    EXPECT_EQ(report.partitions[1].load.lag, 40);
    EXPECT_FALSE(report.partitions[0].stream.lag.has_value());
    EXPECT_EQ(topic_lag(report, "p.pin", /*stream_group=*/false), 50);
    EXPECT_EQ(topic_lag(report, "p.geo", /*stream_group=*/false), 0);
    EXPECT_FALSE(topic_lag(report, "p.pin", /*stream_group=*/true).has_value());
}

TEST(Thresholds, NoneGivenNothingViolated) {
    EXPECT_TRUE(threshold_violations(sample_report(), {}).empty());
}

TEST(Thresholds, MaxLagIsPerGroupAndTopicAndInclusive) {
    EXPECT_TRUE(threshold_violations(sample_report(), {.max_lag = 50}).empty());
    const auto violations = threshold_violations(sample_report(), {.max_lag = 49});
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0], "pinpipe-load is 50 messages behind on p.pin (--max-lag 49)");
}

TEST(Thresholds, MaxLagIgnoresGroupsLeftOut) {
    StatusReport report = sample_report();
    report.load_group.clear();
    EXPECT_TRUE(threshold_violations(report, {.max_lag = 0}).empty());
}

TEST(Thresholds, StaleWhileMessagesWaitToBeLoadedIsAViolation) {
    const auto violations = threshold_violations(sample_report(), {.max_freshness_s = 30});
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0],
              "newest row loaded from p.pin is 60 s old while 50 messages wait to be loaded "
              "(--max-freshness-s 30)");
    EXPECT_TRUE(threshold_violations(sample_report(), {.max_freshness_s = 60}).empty());
}

TEST(Thresholds, StaleButCaughtUpMeansNoEventsArrivedAndIsNoViolation) {
    StatusReport report = sample_report();
    report.partitions = {partition("p.pin", 0, 0, 100, 100, std::nullopt),
                         partition("p.geo", 0, 0, 30, 30, std::nullopt)};
    compute_lags(report.partitions);
    EXPECT_TRUE(threshold_violations(report, {.max_freshness_s = 30}).empty());
    EXPECT_EQ(load_progress(report, "p.pin").state, LoadProgress::caught_up);
    const std::string text = render_status_text(report);
    EXPECT_NE(text.find("caught up (no newer events in Kafka)"), std::string::npos) << text;
    const auto doc = status_json(report, {}, {});
    EXPECT_EQ(doc["freshness"][0]["load"], "caught_up");
    EXPECT_EQ(doc["freshness"][0]["messages_to_load"], 0);
}

TEST(Thresholds, WithoutTheLoadGroupStaleIsAViolationAsBefore) {
    StatusReport report = sample_report();
    report.load_group.clear();
    const auto violations = threshold_violations(report, {.max_freshness_s = 30});
    ASSERT_EQ(violations.size(), 2u);
    EXPECT_EQ(violations[0], "newest row loaded from p.pin is 60 s old (--max-freshness-s 30)");
    EXPECT_EQ(violations[1],
              "nothing loaded from p.geo yet while Kafka holds 30 messages (--max-freshness-s "
              "30)");
    EXPECT_TRUE(status_json(report, {}, {})["freshness"][0]["messages_to_load"].is_null());
    // p.user holds nothing in Kafka: nothing to be stale about.
    EXPECT_EQ(threshold_violations(report, {.max_freshness_s = 60}).size(), 1u);
}

TEST(StatusText, ShowsGroupsLagAndNotDeployed) {
    const std::string text = render_status_text(sample_report());
    EXPECT_NE(text.find("pinpipe-load lag: p.pin 50, p.geo 0"), std::string::npos) << text;
    EXPECT_NE(text.find("pinpipe-stream: no stored offsets"), std::string::npos) << text;
    EXPECT_NE(text.find("none recorded in etl.load_runs"), std::string::npos) << text;
    EXPECT_NE(text.find("nothing loaded"), std::string::npos) << text;
}

TEST(Thresholds, ReplicaLagOverTheLimitOrNoStandbyAtAll) {
    StatusReport report = sample_report();
    report.replica = ReplicaStatus{"host=standby", true, 4096, 90.0};
    const auto behind = threshold_violations(report, {.max_replica_lag_s = 60});
    ASSERT_EQ(behind.size(), 1u);
    EXPECT_EQ(behind[0], "replica host=standby is 90 s behind (--max-replica-lag-s 60)");
    EXPECT_TRUE(threshold_violations(report, {.max_replica_lag_s = 90}).empty());
    report.replica = ReplicaStatus{"host=primary", false, std::nullopt, std::nullopt};
    const auto primary = threshold_violations(report, {.max_replica_lag_s = 60});
    ASSERT_EQ(primary.size(), 1u);
    EXPECT_EQ(primary[0], "host=primary is not a standby (--max-replica-lag-s 60)");
}

TEST(StatusText, ShowsStagingPartitionsSizesAndTheReplica) {
    StatusReport report = sample_report();
    report.staging = {{"staging.pin_events", 1200, /*exact=*/false, /*bytes=*/3 * 1024 * 1024}};
    report.staging_partitions = {{"staging.pin_events", 98, "2024-02-01", "2024-05-08", 3}};
    report.replica = ReplicaStatus{"host=standby", true, 0, 0.0};
    const std::string text = render_status_text(report);
    EXPECT_NE(text.find("staging.pin_events  ~1,200  3.0 MB"), std::string::npos) << text;
    EXPECT_NE(text.find("staging.pin_events    98  2024-02-01  2024-05-08"), std::string::npos)
        << text;
    EXPECT_NE(text.find("Replica host=standby\nreplay lag: 0 B of WAL"), std::string::npos) << text;
}

TEST(StatusJson, CarriesLagThresholdsAndVerdict) {
    const Thresholds thresholds{.max_lag = 49};
    const StatusReport report = sample_report();
    const auto doc = status_json(report, thresholds, threshold_violations(report, thresholds));
    EXPECT_EQ(doc["lag"]["pinpipe-load"]["p.pin"], 50);
    EXPECT_TRUE(doc["lag"]["pinpipe-stream"]["p.pin"].is_null());
    EXPECT_EQ(doc["partitions"][1]["load"]["next_offset"], nullptr);
    EXPECT_EQ(doc["partitions"][1]["load"]["lag"], 40);
    EXPECT_EQ(doc["thresholds"]["max_lag"], 49);
    EXPECT_TRUE(doc["thresholds"]["max_freshness_s"].is_null());
    EXPECT_EQ(doc["ok"], false);
    EXPECT_EQ(doc["violations"].size(), 1u);
    EXPECT_TRUE(doc["last_load_run"].is_null());
}

}  // namespace
}  // namespace pinpipe::ops
