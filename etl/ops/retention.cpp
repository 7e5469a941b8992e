#include "ops/retention.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "events/validation.hpp"
#include "ops/dead_letter_store.hpp"
#include "ops/sql_text.hpp"
#include "ops/text_table.hpp"
#include "pg/connection.hpp"
#include "pg/failpoint.hpp"
#include "pg/staging_rows.hpp"
#include "util/errors.hpp"
#include "util/thousands.hpp"

namespace pinpipe::ops {
namespace {

constexpr std::string_view lock_not_available = "55P03";
// The comment a run gives a partition in the transaction that detaches it: a later run drops
// only tables that carry it, never one an operator detached to keep (to archive it, say).
constexpr std::string_view detached_for_drop =
    "Detached by pinpipe retention, to be dropped: its rows have left staging";

std::string cutoff_of(pqxx::connection_base& cx, const TimeBound& age) {
    return pqxx::nontransaction(cx)
        .exec_params1("SELECT " + iso_utc_sql("now() - $1::interval"), age.value)[0]
        .as<std::string>();
}

int64_t count_rows(pqxx::transaction_base& tx, const std::string& table, const std::string& where,
                   const std::vector<pg::Param>& params) {
    return pg::exec_params(tx, fmt::format("SELECT count(*) FROM {}{}", table, where), params)[0][0]
        .as<int64_t>();
}

// Staging day partitions that are no longer attached: those a run detached and stopped before
// dropping (their rows left staging when the detach committed) into leftovers, the others, which
// somebody else detached, into kept.
void find_detached_day_tables(pqxx::connection_base& cx, RetentionOutcome& outcome) {
    const pqxx::result tables = pqxx::nontransaction(cx).exec_params(
        "SELECT format('%I.%I', n.nspname, c.relname), "
        "coalesce(pg_catalog.obj_description(c.oid, 'pg_class') = $1, false) "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'staging' AND c.relkind = 'r' AND NOT c.relispartition "
        "AND c.relname ~ '^(pin|geo|user)_events_p[0-9]{8}$' ORDER BY c.relname",
        std::string(detached_for_drop));
    for (const pqxx::row& row : tables) {
        (row[1].as<bool>() ? outcome.leftovers : outcome.kept_detached)
            .push_back(row[0].as<std::string>());
    }
}

// Detached tables are no longer part of staging, so dropping them locks no staging table:
// loads go on while the files are truncated, the one part of a drop that grows with the data
// (8.7 GB: 0.06 s on ext4 without online discard, out of the page cache; 2-3.6 s with it).
void drop_detached(pqxx::connection_base& cx, const std::vector<std::string>& tables,
                   const RetentionOptions& options) {
    if (tables.empty()) {
        return;
    }
    pqxx::work tx(cx);
    pg::set_local_lock_timeout(tx, options.lock_timeout);
    std::string list;
    for (const std::string& table : tables) {
        list += (list.empty() ? "" : ", ") + table;
    }
    tx.exec("DROP TABLE " + list);
    tx.commit();
}

// One staging table: its expired day partitions detached and its expired default rows deleted
// in one transaction, unless dry_run; then the detached partitions dropped. The transaction that
// holds the staging table's lock, and so makes loads wait, writes only the catalog: no file is
// truncated while it runs.
void expire_table(pqxx::connection_base& cx, const std::string& table,
                  const RetentionOptions& options, RetentionOutcome& outcome) {
    pqxx::work tx(cx);
    pg::set_local_lock_timeout(tx, options.lock_timeout);
    const pqxx::result expired = tx.exec_params(
        fmt::format("SELECT partition_name, {}, {}, estimated_rows FROM etl.staging_partitions "
                    "WHERE staging_table = $1 AND NOT is_default AND range_to <= $2::timestamptz "
                    "ORDER BY range_from",
                    iso_utc_sql("range_from"), iso_utc_sql("range_to")),
        table, outcome.cutoff);
    std::vector<ExpiredPartition> partitions;
    int64_t partition_rows = 0;
    for (const pqxx::row& row : expired) {
        ExpiredPartition partition{table,
                                   row[0].as<std::string>(),
                                   row[1].as<std::string>(),
                                   row[2].as<std::string>(),
                                   row[3].as<int64_t>(),
                                   /*exact=*/false};
        // reltuples is -1 until the first vacuum or analyze: then the partition is new, count it.
        if (options.exact_counts || partition.rows < 0) {
            partition.rows = count_rows(tx, partition.partition, "", {});
            partition.exact = true;
        }
        if (!options.dry_run) {
            tx.exec(fmt::format("ALTER TABLE {} DETACH PARTITION {}", table, partition.partition));
            tx.exec(fmt::format("COMMENT ON TABLE {} IS {}", partition.partition,
                                tx.quote(std::string(detached_for_drop))));
        }
        partition_rows += partition.rows;
        partitions.push_back(std::move(partition));
    }
    ExpiredDefaultRows default_rows;
    default_rows.table = tx.exec_params1(
                               "SELECT partition_name FROM etl.staging_partitions "
                               "WHERE staging_table = $1 AND is_default",
                               table)[0]
                             .as<std::string>();
    const std::string where = " WHERE kafka_timestamp < $1::timestamptz";
    default_rows.rows =
        options.dry_run
            ? count_rows(tx, default_rows.table, where, {outcome.cutoff})
            : static_cast<int64_t>(
                  tx.exec_params("DELETE FROM " + default_rows.table + where, outcome.cutoff)
                      .affected_rows());
    // Recorded in the same transaction as the drops: refresh --rebuild reads it to say that
    // staging no longer holds everything.
    if (!options.dry_run && (!partitions.empty() || default_rows.rows > 0)) {
        tx.exec_params(
            "INSERT INTO etl.retention_runs (staging_table, cutoff, partitions_dropped, "
            "rows_dropped) VALUES ($1, $2::timestamptz, $3::int, $4::bigint)",
            table, outcome.cutoff, partitions.size(), partition_rows + default_rows.rows);
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

void make_partitions_ahead(pqxx::connection_base& cx, const RetentionOptions& options,
                           RetentionOutcome& outcome) {
    pqxx::work tx(cx);
    pg::set_local_lock_timeout(tx, options.lock_timeout);
    const pqxx::result made = tx.exec_params(
        "SELECT staging_table, partition_day::text, rows_moved "
        "FROM etl.make_staging_partitions($1::int)",
        staging_days_ahead);
    for (const pqxx::row& row : made) {
        outcome.made.push_back(
            {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<int64_t>()});
    }
    tx.commit();
}

// A lock timeout becomes a message that says what waited and what to do.
template <typename Step>
void with_lock_hint(const std::string& table, const RetentionOptions& options, Step step) {
    try {
        step();
    } catch (const pqxx::sql_error& error) {
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

RetentionOutcome run_retention(pqxx::connection_base& cx, const RetentionOptions& options) {
    RetentionOutcome outcome;
    const auto step = [&](std::string_view what) {
        if (options.on_step) {
            options.on_step(what, outcome.partitions.size());
        }
    };
    outcome.dry_run = options.dry_run;
    step("detached partitions");
    find_detached_day_tables(cx, outcome);
    if (!options.dry_run) {
        with_lock_hint("the detached staging partitions", options,
                       [&] { drop_detached(cx, outcome.leftovers, options); });
    }
    if (options.keep) {
        outcome.cutoff = cutoff_of(cx, *options.keep);
        for (const events::EventKind kind : events::all_event_kinds) {
            const std::string table = pg::staging_table(kind);
            step(table);
            with_lock_hint(table, options, [&] { expire_table(cx, table, options, outcome); });
        }
    }
    // After the drops: rows that waited in a default partition and are now expired were just
    // deleted instead of being filed into a partition of their own first.
    if (!options.dry_run) {
        step("partitions ahead");
        with_lock_hint("the staging tables", options,
                       [&] { make_partitions_ahead(cx, options, outcome); });
    }
    if (options.keep_dead_letters) {
        step("etl.dead_letters");
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
    for (const std::string& table : outcome.kept_detached) {
        out += fmt::format(
            "kept {}: detached by hand, or by an older pinpipe's retention run that stopped "
            "before dropping it (archive or drop it yourself)\n",
            table);
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
                     (partition.exact ? "" : "~") + util::group_thousands(partition.rows)});
            }
            out += render_table(table);
        }
        for (const ExpiredDefaultRows& rows : outcome.default_rows) {
            out += fmt::format("{} {} rows older than the cutoff from {}\n",
                               outcome.dry_run ? "would delete" : "deleted",
                               util::group_thousands(rows.rows), rows.table);
        }
        out +=
            fmt::format("retention: {} {} partitions and {} rows of staging\n", verb,
                        outcome.partitions.size(), util::group_thousands(outcome.staging_rows()));
    }
    for (const MadePartition& made : outcome.made) {
        out += fmt::format("made partition of {} for {}{}\n", made.table, made.day,
                           made.rows_moved > 0
                               ? fmt::format(" ({} rows moved in from the default partition)",
                                             util::group_thousands(made.rows_moved))
                               : "");
    }
    if (!outcome.dead_letter_cutoff.empty()) {
        out += fmt::format("retention: {} {} dead letters that failed before {}\n",
                           outcome.dry_run ? "would delete" : "deleted",
                           util::group_thousands(outcome.dead_letters), outcome.dead_letter_cutoff);
    }
    return out;
}

}  // namespace pinpipe::ops
