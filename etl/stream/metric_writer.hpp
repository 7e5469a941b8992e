// Commits a StreamBatch in one transaction: additive upserts of the metric deltas, dead
// letters, and the fenced offset advance (DESIGN §8): all of it or nothing.
#pragma once

#include <pqxx/connection_base>

#include "pg/offset_store.hpp"
#include "stream/batch.hpp"

namespace pinpipe::stream {

// Records where the time went in batch.timings. Throws libpqxx's errors when PostgreSQL fails the
// transaction (the engine decides whether to run it again: consume::next_step).
pg::CommitOutcome commit_metrics(pqxx::connection_base& cx, const pg::OffsetStore& store,
                                 StreamBatch& batch);

}  // namespace pinpipe::stream
