// Writes a LoadBatch in one transaction: COPY into staging, dead letters, fenced offsets.
#pragma once

#include <functional>

#include "load/batch.hpp"
#include "pg/connection.hpp"
#include "pg/offset_store.hpp"

namespace pinpipe::load {

// Commits the batch. When PostgreSQL rejects a row the validator let through (a data
// exception), the batch is redone row by row under savepoints and each rejected row becomes a
// dead letter with PostgreSQL's message, so one bad row never blocks a partition. Throws
// pg::Error for anything else (a lost connection, a missing table).
// first_step, when given, runs first inside the transaction (again if the batch is redone row
// by row): dlq replay deletes the dead letters it moves there, so that both commit together.
using TransactionStep = std::function<void(pg::Connection&)>;
CommitResult commit_batch(pg::Connection& cx, const pg::OffsetStore& store, const LoadBatch& batch,
                          const TransactionStep& first_step = {});

}  // namespace pinpipe::load
