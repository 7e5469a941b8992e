#include "stream/metric_writer.hpp"

#include <chrono>

#include "load/dead_letters.hpp"
#include "obs/log.hpp"
#include "pg/failpoint.hpp"
#include "stream/upsert_sql.hpp"

namespace pinpipe::stream {
namespace {

constexpr int max_attempts = 5;

using Clock = std::chrono::steady_clock;

// Seconds since `since`, and moves `since` to now.
double lap(Clock::time_point& since) {
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - since).count();
    since = now;
    return seconds;
}

CommitOutcome commit_once(pg::Connection& cx, const pg::OffsetStore& store,
                          const std::vector<Statement>& statements, const StreamBatch& batch,
                          CommitTimings& timings) {
    auto since = Clock::now();
    pg::Transaction tx(cx);
    for (const Statement& statement : statements) {
        cx.exec(statement.sql, statement.params);
    }
    timings.upserts = lap(since);
    pg::failpoint(obs::Failpoint::stream_after_upserts);
    load::copy_dead_letters(cx, batch.dead_letters);
    if (!batch.dead_letters.empty()) {
        pg::failpoint(obs::Failpoint::stream_after_dead_letters);
    }
    timings.dead_letters = lap(since);
    const bool advanced = store.advance(cx, batch.progress.offset_advances());
    timings.offsets = lap(since);
    if (!advanced) {
        return CommitOutcome::fence_lost;  // tx rolls back as it goes out of scope
    }
    pg::failpoint(obs::Failpoint::stream_before_commit);
    tx.commit();
    timings.commit = lap(since);
    return CommitOutcome::committed;
}

}  // namespace

bool is_retryable_transaction_error(const pg::Error& error) {
    // 40001 serialization_failure, 40P01 deadlock_detected.
    return !error.connection_lost() && (error.sqlstate() == "40001" || error.sqlstate() == "40P01");
}

CommitOutcome commit_metrics(pg::Connection& cx, const pg::OffsetStore& store,
                             const StreamBatch& batch, CommitTimings* timings) {
    CommitTimings local;
    CommitTimings& timed = timings ? *timings : local;
    auto since = Clock::now();
    const std::vector<Statement> statements = upsert_statements(batch.deltas);
    timed.build = lap(since);
    for (int attempt = 1;; ++attempt) {
        timed.attempts = attempt;
        try {
            return commit_once(cx, store, statements, batch, timed);
        } catch (const pg::Error& error) {
            if (!is_retryable_transaction_error(error) || attempt == max_attempts) {
                throw;
            }
            obs::log_warning("PostgreSQL aborted the metrics transaction; running it again",
                             {{"error", error.what()}, {"attempt", std::to_string(attempt)}});
        }
    }
}

}  // namespace pinpipe::stream
