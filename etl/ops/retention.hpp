// pinpipe retention (DESIGN §5): staging keeps a bounded window of the Kafka log. Detaches, then
// drops, the day partitions of the staging tables wholly older than now - keep (no row is read) and
// the older rows of their default partitions, makes day partitions ahead, and deletes old dead
// letters. clean.* and the answers are kept outside staging, so none of this changes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/dead_letters.hpp"
#include "pg/connection.hpp"

namespace pinpipe::ops {

// Day partitions made ahead of today by every run (and by migration 0031): a daily run that
// fails for up to a week still leaves every new row in its own day's partition.
constexpr int staging_days_ahead = 7;

struct RetentionOptions {
    std::optional<TimeBound> keep;               // an age; nullopt: drop no staging row
    std::optional<TimeBound> keep_dead_letters;  // an age; nullopt: keep every dead letter
    bool dry_run = false;
    bool exact_counts = false;  // count(*) each dropped partition instead of its estimate
    // How long a DETACH may wait for running loads: it locks the whole staging table, and loads
    // queued behind a waiting DETACH wait too.
    std::chrono::seconds lock_timeout{10};
    // Before each step (a table, the partitions ahead, the dead letters), with the expired
    // partitions found so far: for a status line.
    std::function<void(std::string_view step, size_t expired_partitions)> on_step;
};

struct ExpiredPartition {
    std::string table;
    std::string partition;
    std::string range_from;  // ISO 8601 UTC
    std::string range_to;
    int64_t rows = 0;
    bool exact = false;  // false: pg_class.reltuples, as of the last vacuum or analyze
};

struct ExpiredDefaultRows {
    std::string table;  // the default partition
    int64_t rows = 0;
};

struct MadePartition {
    std::string table;
    std::string day;  // YYYY-MM-DD, UTC
    int64_t rows_moved = 0;
};

struct RetentionOutcome {
    bool dry_run = false;
    std::string cutoff;  // ISO 8601 UTC; empty without --keep
    std::vector<ExpiredPartition> partitions;
    std::vector<ExpiredDefaultRows> default_rows;  // only tables with such rows
    std::vector<MadePartition> made;               // empty in a dry run
    // Day tables detached by an earlier run that stopped before dropping them: dropped first.
    std::vector<std::string> leftovers;
    // Day tables detached without this pinpipe's mark (by an operator archiving one, or by an
    // older pinpipe's run that stopped before dropping): never dropped.
    std::vector<std::string> kept_detached;
    std::string dead_letter_cutoff;  // empty without --keep-dead-letters
    int64_t dead_letters = 0;

    int64_t staging_rows() const;
};

// Throws UsageError naming the option when bound is not an age ("90d", "12h").
void require_age(std::string_view option, const TimeBound& bound);

// Unless dry_run, commits per staging table one transaction that detaches its expired partitions
// and deletes its expired default rows, and one that drops the detached tables; then one for the
// partitions made ahead and one for the dead letters. Throws naming the table when a DETACH
// cannot get its lock within lock_timeout (nothing of that table is dropped then).
RetentionOutcome run_retention(pqxx::connection_base& cx, const RetentionOptions& options);

// What was (or in a dry run, would be) dropped, made and deleted, for people. Pure.
std::string render_retention(const RetentionOutcome& outcome);

}  // namespace pinpipe::ops
