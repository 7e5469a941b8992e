// Writes a LoadBatch in one transaction: COPY into staging, dead letters, fenced offsets.
#pragma once

#include <functional>

#include <pqxx/connection_base>
#include <pqxx/transaction>
#include "load/batch.hpp"

#include "pg/offset_store.hpp"

namespace pinpipe::load {

// Commits the batch. When PostgreSQL rejects a row the validator let through (a data
// exception), the batch is redone row by row, each row in a pqxx::subtransaction (a savepoint),
// and each rejected row becomes a dead letter with PostgreSQL's message, so one bad row never
// blocks a partition. Throws libpqxx's errors for anything else (a lost connection, a missing
// table).
// first_step, when given, runs first inside the transaction (again if the batch is redone row
// by row): dlq replay deletes the dead letters it moves there, so that both commit together.
using TransactionStep = std::function<void(pqxx::work&)>;
CommitResult commit_batch(pqxx::connection_base& cx, const pg::OffsetStore& store,
                          const LoadBatch& batch, const TransactionStep& first_step = {});

}  // namespace pinpipe::load
