// What pinpipe status reports (DESIGN §5, §8): per-partition lag of the load and stream groups,
// freshness, the last load run, table sizes and dead letters; the alert thresholds; and both
// renderings (aligned text, JSON). Pure: status_source.hpp fills it from Kafka and Postgres.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pinpipe::ops {

// One consumer group's position on one partition. A group with no stored offset at all is not
// deployed (lag unknown); once it has any, a partition it has never stored will be read from
// the low watermark, so all of it counts as lag.
struct GroupPosition {
    std::optional<int64_t> next_offset;  // etl.consumer_offsets, when stored
    std::optional<int64_t> lag;          // nullopt when the group is not deployed
};

struct PartitionStatus {
    std::string topic;
    int32_t partition = 0;
    int64_t low = 0;   // oldest offset Kafka still holds
    int64_t high = 0;  // offset of the next message to be written
    GroupPosition load;
    GroupPosition stream;
};

// Messages a consumer at next_offset still has to read; never negative. Without a stored
// offset the consumer starts at the low watermark; offsets below it were deleted by retention
// and can no longer be read, so they do not count.
int64_t partition_lag(int64_t low, int64_t high, std::optional<int64_t> next_offset);

// Whether a stored next offset lies beyond the partition's high watermark: the topic was
// recreated or its log truncated. Not caught up but stuck: load and stream exit 1 on it until
// the offset is reset, and its lag (0) says nothing.
bool offset_beyond_end(int64_t high, std::optional<int64_t> next_offset);

// Fills lag for every partition of a group that has at least one stored offset.
void compute_lags(std::vector<PartitionStatus>& partitions);

struct LoadRunStatus {
    int64_t id = 0;
    std::string started_at;   // ISO 8601 UTC
    std::string finished_at;  // empty while running or after a crash
    std::optional<double> seconds;
    int64_t pin_rows = 0;
    int64_t geo_rows = 0;
    int64_t user_rows = 0;
    int64_t dead_letters = 0;
    std::string outcome;  // running, ok, failed
    std::string detail;
    std::string host;
    std::string last_ok_finished_at;  // the newest run with outcome ok (empty when none)
};

struct TableRows {
    std::string table;  // schema-qualified
    int64_t rows = 0;
    bool exact = false;  // false: the statistics collector's estimate (n_live_tup)
    int64_t bytes = 0;   // on disk, indexes and TOAST included, all partitions summed
};

// The day partitions of one staging table (migration 0031), which pinpipe retention drops.
struct StagingPartitions {
    std::string table;
    int64_t day_partitions = 0;
    std::string oldest_day;    // YYYY-MM-DD (UTC) of the oldest; empty when none
    std::string newest_day;    // of the newest, normally a few days ahead
    int64_t default_rows = 0;  // estimate: rows waiting in the default partition
};

// A streaming-replication standby that BI reads (status --replica-dsn).
struct ReplicaStatus {
    std::string server;                 // where, never the password
    bool in_recovery = false;           // false: not a standby at all
    std::optional<int64_t> lag_bytes;   // WAL the primary wrote that the standby has not replayed
    std::optional<double> lag_seconds;  // 0 when caught up, else now - last replayed commit
};

struct DeadLetterGroup {
    std::string consumer;
    std::string topic;
    std::string reason;
    int64_t count = 0;
    std::string newest_failed_at;
};

struct TopicFreshness {
    std::string topic;
    std::string newest_kafka_timestamp;  // empty when nothing was loaded from the topic
    std::optional<double> age_seconds;   // now - newest_kafka_timestamp
};

struct StatusReport {
    std::string generated_at;
    std::string load_group;    // empty: not shown
    std::string stream_group;  // empty: not shown
    std::vector<PartitionStatus> partitions;
    std::optional<LoadRunStatus> last_load_run;
    std::vector<TableRows> staging;
    std::vector<StagingPartitions> staging_partitions;
    std::vector<TableRows> realtime;  // every table in schema realtime (none before stream)
    std::vector<DeadLetterGroup> dead_letters;
    std::vector<TopicFreshness> freshness;
    std::optional<ReplicaStatus> replica;
};

// Total lag of a group on one topic; nullopt when the group is not deployed.
std::optional<int64_t> topic_lag(const StatusReport& report, const std::string& topic,
                                 bool stream_group);

// Whether the load group has read everything Kafka holds of a topic. Staging that is old while
// the load is caught up means no events arrived: that is not the pipeline being behind.
// offset_beyond_end: a partition of the topic has a stored offset beyond its end, which load
// refuses to read past (offset_beyond_end()).
enum class LoadProgress { caught_up, behind, offset_beyond_end, unknown };
struct TopicLoadProgress {
    LoadProgress state =
        LoadProgress::unknown;  // unknown: the load group is left out or not deployed
    int64_t messages_to_load = 0;
};
TopicLoadProgress load_progress(const StatusReport& report, const std::string& topic);

struct Thresholds {
    std::optional<int64_t> max_lag = std::nullopt;         // per group and topic, messages
    std::optional<double> max_freshness_s = std::nullopt;  // per topic, while it is not caught up
    std::optional<double> max_replica_lag_s = std::nullopt;
};

// Every stored offset beyond its partition's end, whatever the thresholds, then every exceeded
// threshold: one sentence each, in the order of the report.
std::vector<std::string> threshold_violations(const StatusReport& report,
                                              const Thresholds& thresholds);

std::string render_status_text(const StatusReport& report);
nlohmann::ordered_json status_json(const StatusReport& report, const Thresholds& thresholds,
                                   const std::vector<std::string>& violations);

}  // namespace pinpipe::ops
