// Writes a LoadBatch in one transaction: COPY into staging, dead letters, fenced offsets.
#pragma once

#include <pqxx/connection_base>

#include "load/batch.hpp"
#include "pg/offset_store.hpp"

namespace pinpipe::load {

// Commits the batch. The rows go through pg::write_staging_rows: a row PostgreSQL rejects that
// the validator let through (a data exception) becomes a dead letter with PostgreSQL's message
// in the same transaction, and the other rows go in, so one bad row never blocks a partition.
// Throws libpqxx's errors for anything else (a lost connection, a missing table).
CommitResult commit_batch(pqxx::connection_base& cx, const pg::OffsetStore& store,
                          const LoadBatch& batch);

}  // namespace pinpipe::load
