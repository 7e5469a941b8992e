#include "stream/metric_writer.hpp"

#include <chrono>

#include "pg/connection.hpp"
#include "pg/dead_letters.hpp"
#include "pg/failpoint.hpp"
#include "stream/upsert_sql.hpp"

namespace pinpipe::stream {
namespace {

using Clock = std::chrono::steady_clock;

// Seconds since `since`, and moves `since` to now.
double lap(Clock::time_point& since) {
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - since).count();
    since = now;
    return seconds;
}

}  // namespace

pg::CommitOutcome commit_metrics(pqxx::connection_base& cx, const pg::OffsetStore& store,
                                 StreamBatch& batch) {
    CommitTimings& timings = batch.timings;
    timings = {};
    auto since = Clock::now();
    const std::vector<Statement> statements = upsert_statements(batch.deltas);
    timings.build = lap(since);
    pqxx::work tx(cx);
    for (const Statement& statement : statements) {
        pg::exec_params(tx, statement.sql, statement.params);
    }
    timings.upserts = lap(since);
    pg::failpoint(obs::Failpoint::stream_after_upserts);
    pg::copy_dead_letters(tx, batch.dead_letters);
    if (!batch.dead_letters.empty()) {
        pg::failpoint(obs::Failpoint::stream_after_dead_letters);
    }
    timings.dead_letters = lap(since);
    const bool advanced = store.advance(tx, batch.progress.offset_advances());
    timings.offsets = lap(since);
    if (!advanced) {
        return pg::CommitOutcome::fence_lost;  // tx rolls back as it goes out of scope
    }
    pg::failpoint(obs::Failpoint::stream_before_commit);
    tx.commit();
    timings.commit = lap(since);
    return pg::CommitOutcome::committed;
}

}  // namespace pinpipe::stream
