#include "ops/status_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "events/validation.hpp"
#include "kafka/consumer.hpp"
#include "ops/sql_text.hpp"
#include "pg/connection.hpp"
#include "pg/staging_rows.hpp"

namespace pinpipe::ops {
namespace {

std::string text_or_empty(const pqxx::field& field) {
    return field.as<std::string>(std::string());
}

std::optional<double> optional_double(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return field.as<double>();
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

StoredOffsets read_stored_offsets(pqxx::transaction_base& tx, const StatusOptions& options) {
    const pqxx::result stored = tx.exec_params(
        "SELECT consumer, topic, partition, next_offset FROM etl.consumer_offsets "
        "WHERE consumer = ANY($1::text[]) AND topic = ANY($2::text[])",
        array_literal({options.load_group, options.stream_group}),
        array_literal({options.topics.begin(), options.topics.end()}));
    StoredOffsets offsets;
    for (const pqxx::row& row : stored) {
        offsets[{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<int32_t>()}] =
            row[3].as<int64_t>();
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

std::optional<LoadRunStatus> read_last_load_run(pqxx::transaction_base& tx,
                                                const std::string& group) {
    const pqxx::result runs = tx.exec_params(
        fmt::format("SELECT id, {}, {}, extract(epoch FROM finished_at - started_at), pin_rows, "
                    "geo_rows, user_rows, dead_letters, outcome, detail, host, "
                    "(SELECT {} FROM etl.load_runs WHERE consumer = $1 AND outcome = 'ok') "
                    "FROM etl.load_runs WHERE consumer = $1 ORDER BY id DESC LIMIT 1",
                    iso_utc_sql("started_at"), iso_utc_sql("finished_at"),
                    iso_utc_sql("max(finished_at)")),
        group);
    if (runs.empty()) {
        return std::nullopt;
    }
    const pqxx::row run = runs[0];
    LoadRunStatus status;
    status.id = run[0].as<int64_t>();
    status.started_at = text_or_empty(run[1]);
    status.finished_at = text_or_empty(run[2]);
    status.seconds = optional_double(run[3]);
    status.pin_rows = run[4].as<int64_t>();
    status.geo_rows = run[5].as<int64_t>();
    status.user_rows = run[6].as<int64_t>();
    status.dead_letters = run[7].as<int64_t>();
    status.outcome = text_or_empty(run[8]);
    status.detail = text_or_empty(run[9]);
    status.host = text_or_empty(run[10]);
    status.last_ok_finished_at = text_or_empty(run[11]);
    return status;
}

TableRows count_rows(pqxx::transaction_base& tx, const std::string& table, bool exact) {
    // Summed over the partitions of a partitioned table (staging); a plain table is its own
    // only leaf.
    const auto bytes = tx.exec_params1(
                             "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) "
                             "FROM pg_partition_tree($1::regclass) WHERE isleaf",
                             table)[0]
                           .as<int64_t>();
    if (exact) {
        return {table, tx.exec1(fmt::format("SELECT count(*) FROM {}", table))[0].as<int64_t>(),
                /*exact=*/true, bytes};
    }
    // n_live_tup is kept by the statistics system as rows come and go: a count(*) of a
    // staging table with a billion rows would take minutes, and status runs from cron.
    const auto estimate =
        tx.exec_params1(
              "SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables "
              "WHERE relid IN (SELECT relid FROM pg_partition_tree($1::regclass))",
              table)[0]
            .as<int64_t>();
    return {table, estimate, /*exact=*/false, bytes};
}

std::vector<StagingPartitions> read_staging_partitions(pqxx::transaction_base& tx) {
    const pqxx::result tables = tx.exec(
        "SELECT p.staging_table, count(*) FILTER (WHERE NOT p.is_default), "
        "  coalesce(to_char(min(p.range_from) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ''), "
        "  coalesce(to_char(max(p.range_from) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ''), "
        "  coalesce(sum(s.n_live_tup) FILTER (WHERE p.is_default), 0) "
        "FROM etl.staging_partitions p "
        "LEFT JOIN pg_stat_user_tables s ON s.relid = p.partition_name::regclass "
        "GROUP BY p.staging_table ORDER BY p.staging_table");
    std::vector<StagingPartitions> out;
    for (const pqxx::row& row : tables) {
        out.push_back({row[0].as<std::string>(), row[1].as<int64_t>(), row[2].as<std::string>(),
                       row[3].as<std::string>(), row[4].as<int64_t>()});
    }
    return out;
}

std::vector<TableRows> read_realtime_tables(pqxx::transaction_base& tx, bool exact) {
    // The stream's migrations create these; before they land the schema is empty.
    const pqxx::result tables = tx.exec(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'realtime' AND c.relkind IN ('r', 'p') ORDER BY c.relname");
    std::vector<TableRows> counts;
    for (const pqxx::row& row : tables) {
        counts.push_back(count_rows(tx, row[0].as<std::string>(), exact));
    }
    return counts;
}

std::vector<DeadLetterGroup> read_dead_letters(pqxx::transaction_base& tx,
                                               const StatusOptions& options) {
    const pqxx::result groups = tx.exec_params(
        fmt::format("SELECT consumer, topic, reason, count(*), {} FROM etl.dead_letters "
                    "WHERE topic = ANY($1::text[]) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                    iso_utc_sql("max(failed_at)")),
        array_literal({options.topics.begin(), options.topics.end()}));
    std::vector<DeadLetterGroup> out;
    for (const pqxx::row& row : groups) {
        out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                       row[3].as<int64_t>(), text_or_empty(row[4])});
    }
    return out;
}

TopicFreshness read_freshness(pqxx::transaction_base& tx, const std::string& topic,
                              events::EventKind kind, int32_t partition_count) {
    // The newest message of each partition is the one with the highest offset: the unique
    // index on (topic, partition, offset) finds it without scanning, whereas max(timestamp)
    // over the whole table would read every row.
    const std::string ts = "t.kafka_timestamp";
    const pqxx::row newest = tx.exec_params1(
        fmt::format("SELECT {}, extract(epoch FROM now() - max({})) "
                    "FROM generate_series(0, $2::int - 1) AS p(partition) "
                    "CROSS JOIN LATERAL (SELECT s.kafka_timestamp FROM {} s "
                    "  WHERE s.kafka_topic = $1 AND s.kafka_partition = p.partition "
                    "  ORDER BY s.kafka_offset DESC LIMIT 1) t",
                    iso_utc_sql("max(" + ts + ")"), ts, pg::staging_table(kind)),
        topic, partition_count);
    std::optional<double> age = optional_double(newest[1]);
    if (age && *age < 0) {
        age = 0;  // a producer clock ahead of the database's
    }
    return {topic, text_or_empty(newest[0]), age};
}

// The primary's WAL position after the report's snapshot, so that a lag of 0 bytes means the
// standby shows at least everything the report does.
ReplicaStatus read_replica(pqxx::connection_base& primary, const std::string& replica_dsn) {
    const auto primary_lsn = pqxx::nontransaction(primary)
                                 .exec1("SELECT pg_current_wal_lsn()::text")[0]
                                 .as<std::string>();
    pg::Connection standby(replica_dsn, "pinpipe-status");
    ReplicaStatus status;
    status.server = pg::describe(standby);
    const pqxx::row replay = pqxx::nontransaction(standby).exec_params1(
        "SELECT pg_is_in_recovery(), pg_wal_lsn_diff($1::pg_lsn, "
        "pg_last_wal_replay_lsn())::bigint, "
        "extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
        primary_lsn);
    status.in_recovery = replay[0].as<bool>();
    if (!status.in_recovery || replay[1].is_null()) {
        return status;
    }
    status.lag_bytes = std::max<int64_t>(replay[1].as<int64_t>(), 0);
    // An idle primary commits nothing, so the last replayed commit grows old while the standby
    // is fully caught up: time counts only while WAL is still to be replayed.
    status.lag_seconds = *status.lag_bytes == 0 ? 0.0 : optional_double(replay[2]).value_or(0);
    return status;
}

}  // namespace

StatusReport collect_status(const StatusOptions& options) {
    StatusReport report;
    report.load_group = options.load_group;
    report.stream_group = options.stream_group;
    pg::Connection cx(options.dsn, "pinpipe-status");
    // One snapshot for every statement, so that the figures agree with each other.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(cx);
    report.generated_at = tx.exec1("SELECT " + iso_utc_sql("now()"))[0].as<std::string>();
    // Offsets before watermarks: a commit in between can only make the lag look larger, never
    // hide any.
    const StoredOffsets stored = read_stored_offsets(tx, options);
    report.partitions = read_kafka(options);
    apply_stored_offsets(stored, options, report.partitions);
    compute_lags(report.partitions);
    if (!options.load_group.empty()) {
        report.last_load_run = read_last_load_run(tx, options.load_group);
    }
    for (const events::EventKind kind : events::all_event_kinds) {
        report.staging.push_back(count_rows(tx, pg::staging_table(kind), options.exact_counts));
    }
    report.staging_partitions = read_staging_partitions(tx);
    report.realtime = read_realtime_tables(tx, options.exact_counts);
    report.dead_letters = read_dead_letters(tx, options);
    for (const events::EventKind kind : events::all_event_kinds) {
        const std::string& topic = options.topics[events::kind_index(kind)];
        int32_t partition_count = 0;
        for (const PartitionStatus& p : report.partitions) {
            partition_count += p.topic == topic ? 1 : 0;
        }
        report.freshness.push_back(read_freshness(tx, topic, kind, partition_count));
    }
    tx.commit();
    if (!options.replica_dsn.empty()) {
        report.replica = read_replica(cx, options.replica_dsn);
    }
    return report;
}

}  // namespace pinpipe::ops
