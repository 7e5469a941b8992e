#include "ops/status_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "events/validation.hpp"
#include "kafka/consumer.hpp"
#include "load/batch.hpp"
#include "ops/sql_text.hpp"
#include "pg/connection.hpp"

namespace pinpipe::ops {
namespace {

int64_t to_int(std::string_view text) {
    return std::stoll(std::string(text));
}

std::string text_or_empty(const pg::Result& result, int row, int column) {
    return result.is_null(row, column) ? std::string() : std::string(result.get(row, column));
}

std::optional<double> optional_double(const pg::Result& result, int row, int column) {
    if (result.is_null(row, column)) {
        return std::nullopt;
    }
    return std::stod(std::string(result.get(row, column)));
}

std::vector<PartitionStatus> read_kafka(const StatusOptions& options) {
    // Never joins the group: watermark and metadata requests only.
    kafka::Consumer consumer(options.kafka_properties);
    const std::vector<std::string> topics(options.topics.begin(), options.topics.end());
    const std::vector<int32_t> counts = consumer.partition_counts(topics, options.kafka_timeout);
    std::vector<PartitionStatus> partitions;
    for (size_t t = 0; t < topics.size(); ++t) {
        for (int32_t partition = 0; partition < counts[t]; ++partition) {
            const kafka::Watermarks watermarks =
                consumer.watermarks({topics[t], partition}, options.kafka_timeout);
            PartitionStatus status;
            status.topic = topics[t];
            status.partition = partition;
            status.low = watermarks.low;
            status.high = watermarks.high;
            partitions.push_back(std::move(status));
        }
    }
    return partitions;
}

using StoredOffsets = std::map<std::tuple<std::string, std::string, int32_t>, int64_t>;

StoredOffsets read_stored_offsets(pg::Connection& cx, const StatusOptions& options) {
    const pg::Result stored = cx.exec(
        "SELECT consumer, topic, partition, next_offset FROM etl.consumer_offsets "
        "WHERE consumer = ANY($1::text[]) AND topic = ANY($2::text[])",
        {array_literal({options.load_group, options.stream_group}),
         array_literal({options.topics.begin(), options.topics.end()})});
    StoredOffsets offsets;
    for (int row = 0; row < stored.rows(); ++row) {
        offsets[{std::string(stored.get(row, 0)), std::string(stored.get(row, 1)),
                 static_cast<int32_t>(to_int(stored.get(row, 2)))}] = to_int(stored.get(row, 3));
    }
    return offsets;
}

void apply_stored_offsets(const StoredOffsets& offsets, const StatusOptions& options,
                          std::vector<PartitionStatus>& partitions) {
    auto lookup = [&](const std::string& group,
                      const PartitionStatus& p) -> std::optional<int64_t> {
        if (group.empty()) {
            return std::nullopt;
        }
        const auto found = offsets.find({group, p.topic, p.partition});
        return found == offsets.end() ? std::nullopt : std::optional(found->second);
    };
    for (PartitionStatus& p : partitions) {
        p.load.next_offset = lookup(options.load_group, p);
        p.stream.next_offset = lookup(options.stream_group, p);
    }
}

std::optional<LoadRunStatus> read_last_load_run(pg::Connection& cx, const std::string& group) {
    const pg::Result run = cx.exec(
        fmt::format("SELECT id, {}, {}, extract(epoch FROM finished_at - started_at), pin_rows, "
                    "geo_rows, user_rows, dead_letters, outcome, detail, host, "
                    "(SELECT {} FROM etl.load_runs WHERE consumer = $1 AND outcome = 'ok') "
                    "FROM etl.load_runs WHERE consumer = $1 ORDER BY id DESC LIMIT 1",
                    iso_utc_sql("started_at"), iso_utc_sql("finished_at"),
                    iso_utc_sql("max(finished_at)")),
        {group});
    if (run.rows() == 0) {
        return std::nullopt;
    }
    LoadRunStatus status;
    status.id = to_int(run.get(0, 0));
    status.started_at = text_or_empty(run, 0, 1);
    status.finished_at = text_or_empty(run, 0, 2);
    status.seconds = optional_double(run, 0, 3);
    status.pin_rows = to_int(run.get(0, 4));
    status.geo_rows = to_int(run.get(0, 5));
    status.user_rows = to_int(run.get(0, 6));
    status.dead_letters = to_int(run.get(0, 7));
    status.outcome = text_or_empty(run, 0, 8);
    status.detail = text_or_empty(run, 0, 9);
    status.host = text_or_empty(run, 0, 10);
    status.last_ok_finished_at = text_or_empty(run, 0, 11);
    return status;
}

TableRows count_rows(pg::Connection& cx, const std::string& table, bool exact) {
    // Summed over the partitions of a partitioned table (staging); a plain table is its own
    // only leaf.
    const int64_t bytes = to_int(cx.exec("SELECT coalesce(sum(pg_total_relation_size(relid)), 0) "
                                         "FROM pg_partition_tree($1::regclass) WHERE isleaf",
                                         {table})
                                     .get(0, 0));
    if (exact) {
        return {table, to_int(cx.exec(fmt::format("SELECT count(*) FROM {}", table)).get(0, 0)),
                /*exact=*/true, bytes};
    }
    // n_live_tup is kept by the statistics system as rows come and go: a count(*) of a
    // staging table with a billion rows would take minutes, and status runs from cron.
    const pg::Result estimate = cx.exec(
        "SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables "
        "WHERE relid IN (SELECT relid FROM pg_partition_tree($1::regclass))",
        {table});
    return {table, to_int(estimate.get(0, 0)), /*exact=*/false, bytes};
}

std::vector<StagingPartitions> read_staging_partitions(pg::Connection& cx) {
    const pg::Result tables = cx.exec(
        "SELECT p.staging_table, count(*) FILTER (WHERE NOT p.is_default), "
        "  coalesce(to_char(min(p.range_from) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ''), "
        "  coalesce(to_char(max(p.range_from) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ''), "
        "  coalesce(sum(s.n_live_tup) FILTER (WHERE p.is_default), 0) "
        "FROM etl.staging_partitions p "
        "LEFT JOIN pg_stat_user_tables s ON s.relid = p.partition_name::regclass "
        "GROUP BY p.staging_table ORDER BY p.staging_table");
    std::vector<StagingPartitions> out;
    for (int row = 0; row < tables.rows(); ++row) {
        out.push_back({std::string(tables.get(row, 0)), to_int(tables.get(row, 1)),
                       std::string(tables.get(row, 2)), std::string(tables.get(row, 3)),
                       to_int(tables.get(row, 4))});
    }
    return out;
}

std::vector<TableRows> read_realtime_tables(pg::Connection& cx, bool exact) {
    // The stream's migrations create these; before they land the schema is empty.
    const pg::Result tables = cx.exec(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'realtime' AND c.relkind IN ('r', 'p') ORDER BY c.relname");
    std::vector<TableRows> counts;
    for (int row = 0; row < tables.rows(); ++row) {
        counts.push_back(count_rows(cx, std::string(tables.get(row, 0)), exact));
    }
    return counts;
}

std::vector<DeadLetterGroup> read_dead_letters(pg::Connection& cx, const StatusOptions& options) {
    const pg::Result groups =
        cx.exec(fmt::format("SELECT consumer, topic, reason, count(*), {} FROM etl.dead_letters "
                            "WHERE topic = ANY($1::text[]) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                            iso_utc_sql("max(failed_at)")),
                {array_literal({options.topics.begin(), options.topics.end()})});
    std::vector<DeadLetterGroup> out;
    for (int row = 0; row < groups.rows(); ++row) {
        out.push_back({std::string(groups.get(row, 0)), std::string(groups.get(row, 1)),
                       std::string(groups.get(row, 2)), to_int(groups.get(row, 3)),
                       text_or_empty(groups, row, 4)});
    }
    return out;
}

TopicFreshness read_freshness(pg::Connection& cx, const std::string& topic, events::EventKind kind,
                              int32_t partition_count) {
    // The newest message of each partition is the one with the highest offset: the unique
    // index on (topic, partition, offset) finds it without scanning, whereas max(timestamp)
    // over the whole table would read every row.
    const std::string ts = "t.kafka_timestamp";
    const pg::Result newest =
        cx.exec(fmt::format("SELECT {}, extract(epoch FROM now() - max({})) "
                            "FROM generate_series(0, $2::int - 1) AS p(partition) "
                            "CROSS JOIN LATERAL (SELECT s.kafka_timestamp FROM {} s "
                            "  WHERE s.kafka_topic = $1 AND s.kafka_partition = p.partition "
                            "  ORDER BY s.kafka_offset DESC LIMIT 1) t",
                            iso_utc_sql("max(" + ts + ")"), ts, load::staging_table(kind)),
                {topic, std::to_string(partition_count)});
    std::optional<double> age = optional_double(newest, 0, 1);
    if (age && *age < 0) {
        age = 0;  // a producer clock ahead of the database's
    }
    return {topic, text_or_empty(newest, 0, 0), age};
}

// The primary's WAL position after the report's snapshot, so that a lag of 0 bytes means the
// standby shows at least everything the report does.
ReplicaStatus read_replica(pg::Connection& primary, const std::string& replica_dsn) {
    const std::string primary_lsn(primary.exec("SELECT pg_current_wal_lsn()::text").get(0, 0));
    pg::Connection standby = pg::Connection::open(replica_dsn, "pinpipe-status");
    ReplicaStatus status;
    status.server = standby.describe();
    const pg::Result replay = standby.exec(
        "SELECT pg_is_in_recovery(), pg_wal_lsn_diff($1::pg_lsn, "
        "pg_last_wal_replay_lsn())::bigint, "
        "extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
        {primary_lsn});
    status.in_recovery = replay.get(0, 0) == "t";
    if (!status.in_recovery || replay.is_null(0, 1)) {
        return status;
    }
    status.lag_bytes = std::max<int64_t>(to_int(replay.get(0, 1)), 0);
    // An idle primary commits nothing, so the last replayed commit grows old while the standby
    // is fully caught up: time counts only while WAL is still to be replayed.
    status.lag_seconds = *status.lag_bytes == 0 ? 0.0 : optional_double(replay, 0, 2).value_or(0);
    return status;
}

}  // namespace

StatusReport collect_status(const StatusOptions& options) {
    StatusReport report;
    report.load_group = options.load_group;
    report.stream_group = options.stream_group;
    pg::Connection cx = pg::Connection::open(options.dsn, "pinpipe-status");
    // One snapshot for every statement, so that the figures agree with each other.
    pg::Transaction tx(cx);
    cx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    report.generated_at = std::string(cx.exec("SELECT " + iso_utc_sql("now()")).get(0, 0));
    // Offsets before watermarks: a commit in between can only make the lag look larger, never
    // hide any.
    const StoredOffsets stored = read_stored_offsets(cx, options);
    report.partitions = read_kafka(options);
    apply_stored_offsets(stored, options, report.partitions);
    compute_lags(report.partitions);
    if (!options.load_group.empty()) {
        report.last_load_run = read_last_load_run(cx, options.load_group);
    }
    for (const events::EventKind kind : events::all_event_kinds) {
        report.staging.push_back(count_rows(cx, load::staging_table(kind), options.exact_counts));
    }
    report.staging_partitions = read_staging_partitions(cx);
    report.realtime = read_realtime_tables(cx, options.exact_counts);
    report.dead_letters = read_dead_letters(cx, options);
    for (const events::EventKind kind : events::all_event_kinds) {
        const std::string& topic = options.topics[events::kind_index(kind)];
        int32_t partition_count = 0;
        for (const PartitionStatus& p : report.partitions) {
            partition_count += p.topic == topic ? 1 : 0;
        }
        report.freshness.push_back(read_freshness(cx, topic, kind, partition_count));
    }
    tx.commit();
    if (!options.replica_dsn.empty()) {
        report.replica = read_replica(cx, options.replica_dsn);
    }
    return report;
}

}  // namespace pinpipe::ops
