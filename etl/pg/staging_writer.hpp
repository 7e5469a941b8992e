// The one way staging rows are written: load, dlq replay and import all call write_staging_rows,
// so that all of them store events the same way and lose no row to one PostgreSQL rejects.
#pragma once

#include <pqxx/dbtransaction>
#include <pqxx/transaction_base>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "events/validation.hpp"
#include "pg/staging_rows.hpp"

namespace pinpipe::pg {

// What write_staging_rows wrote.
struct StagingWrite {
    std::array<uint64_t, events::event_kind_count> rows{};  // rows now in staging, per kind
    // COPY text for etl.dead_letters (pg::copy_dead_letters): one dead letter per row
    // PostgreSQL rejected, reason rejected_by_postgres, with PostgreSQL's message.
    std::string dead_letters;
    uint64_t rejected = 0;
    // COPY statements sent: one per staging table with rows when PostgreSQL took them all.
    uint64_t copy_statements = 0;

    uint64_t total_rows() const { return rows[0] + rows[1] + rows[2]; }
};

// Writes every row of rows into its staging table inside tx, the caller's transaction: one COPY
// per table, in a savepoint. When PostgreSQL rejects it for a row's own sake (a data exception,
// SQLSTATE class 22: bad jsonb, a value out of range, a cast a CHECK makes fail; or a CHECK that
// is false, 23514, or a NOT NULL broken, 23502), the rows are sent again in halves, each in a
// savepoint (pg/row_bisection.hpp), until every row is either written or rejected on its own;
// each rejected row becomes a dead letter of consumer in the result, the caller writing it in
// the same transaction. Any other error (a lost connection, a lock timeout, a missing table, a
// unique violation) is not a row's fault: it is thrown, libpqxx's class, and tx must roll back.
StagingWrite write_staging_rows(pqxx::dbtransaction& tx, const StagingBatch& rows,
                                std::string_view consumer);

// COPY of rows into staging.<kind>_events inside tx, in partition order: all of them or
// libpqxx's exception. For rows that cannot be rejected (tests, seeds); anything else calls
// write_staging_rows.
void copy_staging_rows(pqxx::transaction_base& tx, events::EventKind kind, const StagingRows& rows);

}  // namespace pinpipe::pg
