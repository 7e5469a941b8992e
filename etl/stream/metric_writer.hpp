// Commits a StreamBatch in one transaction: additive upserts of the metric deltas, dead
// letters, and the fenced offset advance (DESIGN §8): all of it or nothing.
#pragma once

#include "pg/connection.hpp"
#include "pg/offset_store.hpp"
#include "stream/batch.hpp"

namespace pinpipe::stream {

// Records where the time went in batch.timings. Throws pg::Error when PostgreSQL fails the
// transaction (the engine decides whether to run it again: consume::next_step).
pg::CommitOutcome commit_metrics(pg::Connection& cx, const pg::OffsetStore& store,
                                 StreamBatch& batch);

}  // namespace pinpipe::stream
