// Commits a StreamBatch in one transaction: additive upserts of the metric deltas, dead
// letters, and the fenced offset advance (DESIGN §8): all of it or nothing.
#pragma once

#include "pg/connection.hpp"
#include "pg/offset_store.hpp"
#include "stream/batch.hpp"

namespace pinpipe::stream {

enum class CommitOutcome { committed, fence_lost };

// Where the transaction's time went (seconds, last attempt), for the per-batch debug line.
struct CommitTimings {
    double build = 0;    // the statements' array literals, before BEGIN
    double upserts = 0;  // BEGIN and the metric upserts
    double dead_letters = 0;
    double offsets = 0;  // the fenced offset advance
    double commit = 0;   // COMMIT: the WAL flush unless synchronous_commit is off
    int attempts = 0;
};

// Retries the transaction a few times when PostgreSQL aborts it as a deadlock or serialization
// victim (the other writer goes on; redoing ours is safe because nothing of it committed).
// Throws pg::Error for anything else (a lost connection, a missing table).
CommitOutcome commit_metrics(pg::Connection& cx, const pg::OffsetStore& store,
                             const StreamBatch& batch, CommitTimings* timings = nullptr);

// True for the errors after which the same transaction may simply be run again.
bool is_retryable_transaction_error(const pg::Error& error);

}  // namespace pinpipe::stream
