#include "ops/retention.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "events/validation.hpp"
#include "load/batch.hpp"
#include "ops/dead_letter_store.hpp"
#include "ops/sql_text.hpp"
#include "ops/text_table.hpp"
#include "pg/failpoint.hpp"
#include "util/errors.hpp"

namespace pinpipe::ops {
namespace {

constexpr std::string_view lock_not_available = "55P03";

int64_t to_int(std::string_view text) {
    return std::stoll(std::string(text));
}

std::string cutoff_of(pg::Connection& cx, const TimeBound& age) {
    return std::string(
        cx.exec("SELECT " + iso_utc_sql("now() - $1::interval"), {age.value}).get(0, 0));
}

int64_t count_rows(pg::Connection& cx, const std::string& table, const std::string& where,
                   const std::vector<pg::Param>& params) {
    return to_int(
        cx.exec(fmt::format("SELECT count(*) FROM {}{}", table, where), params).get(0, 0));
}

// Staging day partitions that are no longer attached: detached by a run that stopped before it
// dropped them. Their rows left staging when the detach committed.
std::vector<std::string> detached_day_tables(pg::Connection& cx) {
    const pg::Result tables = cx.exec(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'staging' AND c.relkind = 'r' AND NOT c.relispartition "
        "AND c.relname ~ '^(pin|geo|user)_events_p[0-9]{8}$' ORDER BY c.relname");
    std::vector<std::string> names;
    for (int row = 0; row < tables.rows(); ++row) {
        names.emplace_back(tables.get(row, 0));
    }
    return names;
}

// Detached tables are no longer part of staging, so dropping them locks no staging table:
// loads go on while the files are truncated, the one part of a drop that grows with the data
// (about 0.7 s per GB on this project's test machines).
void drop_detached(pg::Connection& cx, const std::vector<std::string>& tables,
                   const RetentionOptions& options) {
    if (tables.empty()) {
        return;
    }
    pg::Transaction tx(cx);
    cx.exec(fmt::format("SET LOCAL lock_timeout = '{}s'", options.lock_timeout.count()));
    std::string list;
    for (const std::string& table : tables) {
        list += (list.empty() ? "" : ", ") + table;
    }
    cx.exec("DROP TABLE " + list);
    tx.commit();
}

// One staging table: its expired day partitions detached and its expired default rows deleted
// in one transaction, unless dry_run; then the detached partitions dropped. The transaction that
// holds the staging table's lock, and so makes loads wait, writes only the catalog: no file is
// truncated while it runs.
void expire_table(pg::Connection& cx, const std::string& table, const RetentionOptions& options,
                  RetentionOutcome& outcome) {
    pg::Transaction tx(cx);
    cx.exec(fmt::format("SET LOCAL lock_timeout = '{}s'", options.lock_timeout.count()));
    const pg::Result expired = cx.exec(
        fmt::format("SELECT partition_name, {}, {}, estimated_rows FROM etl.staging_partitions "
                    "WHERE staging_table = $1 AND NOT is_default AND range_to <= $2::timestamptz "
                    "ORDER BY range_from",
                    iso_utc_sql("range_from"), iso_utc_sql("range_to")),
        {table, outcome.cutoff});
    std::vector<ExpiredPartition> partitions;
    int64_t partition_rows = 0;
    for (int row = 0; row < expired.rows(); ++row) {
        ExpiredPartition partition{table,
                                   std::string(expired.get(row, 0)),
                                   std::string(expired.get(row, 1)),
                                   std::string(expired.get(row, 2)),
                                   to_int(expired.get(row, 3)),
                                   /*exact=*/false};
        // reltuples is -1 until the first vacuum or analyze: then the partition is new, count it.
        if (options.exact_counts || partition.rows < 0) {
            partition.rows = count_rows(cx, partition.partition, "", {});
            partition.exact = true;
        }
        if (!options.dry_run) {
            cx.exec(fmt::format("ALTER TABLE {} DETACH PARTITION {}", table, partition.partition));
        }
        partition_rows += partition.rows;
        partitions.push_back(std::move(partition));
    }
    ExpiredDefaultRows default_rows;
    default_rows.table = std::string(cx.exec("SELECT partition_name FROM etl.staging_partitions "
                                             "WHERE staging_table = $1 AND is_default",
                                             {table})
                                         .get(0, 0));
    const std::string where = " WHERE kafka_timestamp < $1::timestamptz";
    default_rows.rows = options.dry_run
                            ? count_rows(cx, default_rows.table, where, {outcome.cutoff})
                            : cx.exec("DELETE FROM " + default_rows.table + where, {outcome.cutoff})
                                  .affected_rows();
    // Recorded in the same transaction as the drops: refresh --rebuild reads it to say that
    // staging no longer holds everything.
    if (!options.dry_run && (!partitions.empty() || default_rows.rows > 0)) {
        cx.exec(
            "INSERT INTO etl.retention_runs (staging_table, cutoff, partitions_dropped, "
            "rows_dropped) VALUES ($1, $2::timestamptz, $3::int, $4::bigint)",
            {table, outcome.cutoff, std::to_string(partitions.size()),
             std::to_string(partition_rows + default_rows.rows)});
    }
    tx.commit();
    if (!options.dry_run) {
        pg::failpoint(obs::Failpoint::retention_after_detach);
        std::vector<std::string> detached;
        for (const ExpiredPartition& partition : partitions) {
            detached.push_back(partition.partition);
        }
        drop_detached(cx, detached, options);
    }
    outcome.partitions.insert(outcome.partitions.end(), partitions.begin(), partitions.end());
    if (default_rows.rows > 0) {
        outcome.default_rows.push_back(std::move(default_rows));
    }
}

void make_partitions_ahead(pg::Connection& cx, const RetentionOptions& options,
                           RetentionOutcome& outcome) {
    pg::Transaction tx(cx);
    cx.exec(fmt::format("SET LOCAL lock_timeout = '{}s'", options.lock_timeout.count()));
    const pg::Result made = cx.exec(
        "SELECT staging_table, partition_day::text, rows_moved "
        "FROM etl.make_staging_partitions($1::int)",
        {std::to_string(staging_days_ahead)});
    for (int row = 0; row < made.rows(); ++row) {
        outcome.made.push_back({std::string(made.get(row, 0)), std::string(made.get(row, 1)),
                                to_int(made.get(row, 2))});
    }
    tx.commit();
}

// A lock timeout becomes a message that says what waited and what to do.
template <typename Step>
void with_lock_hint(const std::string& table, const RetentionOptions& options, Step step) {
    try {
        step();
    } catch (const pg::Error& error) {
        if (error.sqlstate() != lock_not_available) {
            throw;
        }
        throw std::runtime_error(fmt::format(
            "could not lock {} within {} s to change its partitions: a long transaction holds "
            "it (see pg_stat_activity; run retention again later, or raise --lock-timeout-s)",
            table, options.lock_timeout.count()));
    }
}

}  // namespace

int64_t RetentionOutcome::staging_rows() const {
    int64_t rows = 0;
    for (const ExpiredPartition& partition : partitions) {
        rows += partition.rows;
    }
    for (const ExpiredDefaultRows& table : default_rows) {
        rows += table.rows;
    }
    return rows;
}

void require_age(std::string_view option, const TimeBound& bound) {
    if (bound.kind != TimeBound::Kind::age) {
        throw UsageError(fmt::format(
            "{} needs a duration such as 90d, 12h or 4w (a number and s, m, h, d or w)", option));
    }
}

RetentionOutcome run_retention(pg::Connection& cx, const RetentionOptions& options) {
    RetentionOutcome outcome;
    outcome.dry_run = options.dry_run;
    outcome.leftovers = detached_day_tables(cx);
    if (!options.dry_run) {
        with_lock_hint("the detached staging partitions", options,
                       [&] { drop_detached(cx, outcome.leftovers, options); });
    }
    if (options.keep) {
        outcome.cutoff = cutoff_of(cx, *options.keep);
        for (const events::EventKind kind : events::all_event_kinds) {
            const std::string table = load::staging_table(kind);
            with_lock_hint(table, options, [&] { expire_table(cx, table, options, outcome); });
        }
    }
    // After the drops: rows that waited in a default partition and are now expired were just
    // deleted instead of being filed into a partition of their own first.
    if (!options.dry_run) {
        with_lock_hint("the staging tables", options,
                       [&] { make_partitions_ahead(cx, options, outcome); });
    }
    if (options.keep_dead_letters) {
        outcome.dead_letter_cutoff = cutoff_of(cx, *options.keep_dead_letters);
        DeadLetterFilter filter;
        filter.failed_before = TimeBound{TimeBound::Kind::absolute, outcome.dead_letter_cutoff};
        outcome.dead_letters = purge_dead_letters(cx, filter, options.dry_run);
    }
    return outcome;
}

std::string render_retention(const RetentionOutcome& outcome) {
    const std::string verb = outcome.dry_run ? "would drop" : "dropped";
    std::string out;
    for (const std::string& table : outcome.leftovers) {
        out += fmt::format("{} {}, detached by an earlier run that stopped before dropping it\n",
                           verb, table);
    }
    if (!outcome.cutoff.empty()) {
        out += fmt::format("staging keeps messages from {} on (UTC)\n", outcome.cutoff);
        if (!outcome.partitions.empty()) {
            TextTable table;
            table.columns = {
                {"table"}, {"partition"}, {"from"}, {"to"}, {"rows (~ estimated)", Align::right}};
            for (const ExpiredPartition& partition : outcome.partitions) {
                table.rows.push_back(
                    {partition.table, partition.partition, partition.range_from, partition.range_to,
                     (partition.exact ? "" : "~") + group_thousands(partition.rows)});
            }
            out += render_table(table);
        }
        for (const ExpiredDefaultRows& rows : outcome.default_rows) {
            out += fmt::format("{} {} rows older than the cutoff from {}\n",
                               outcome.dry_run ? "would delete" : "deleted",
                               group_thousands(rows.rows), rows.table);
        }
        out += fmt::format("retention: {} {} partitions and {} rows of staging\n", verb,
                           outcome.partitions.size(), group_thousands(outcome.staging_rows()));
    }
    for (const MadePartition& made : outcome.made) {
        out += fmt::format("made partition of {} for {}{}\n", made.table, made.day,
                           made.rows_moved > 0
                               ? fmt::format(" ({} rows moved in from the default partition)",
                                             group_thousands(made.rows_moved))
                               : "");
    }
    if (!outcome.dead_letter_cutoff.empty()) {
        out += fmt::format("retention: {} {} dead letters that failed before {}\n",
                           outcome.dry_run ? "would delete" : "deleted",
                           group_thousands(outcome.dead_letters), outcome.dead_letter_cutoff);
    }
    return out;
}

}  // namespace pinpipe::ops
