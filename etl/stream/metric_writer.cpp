#include "stream/metric_writer.hpp"

#include "load/dead_letters.hpp"
#include "obs/log.hpp"
#include "stream/upsert_sql.hpp"

namespace pinpipe::stream {
namespace {

constexpr int max_attempts = 5;

CommitOutcome commit_once(pg::Connection& cx, const pg::OffsetStore& store,
                          const std::vector<Statement>& statements, const StreamBatch& batch) {
    pg::Transaction tx(cx);
    for (const Statement& statement : statements) {
        cx.exec(statement.sql, statement.params);
    }
    load::copy_dead_letters(cx, batch.dead_letters);
    std::vector<pg::OffsetAdvance> advances;
    advances.reserve(batch.advances.size());
    for (const auto& [tp, advance] : batch.advances) {
        advances.push_back(advance);
    }
    if (!store.advance(cx, advances)) {
        return CommitOutcome::fence_lost;  // tx rolls back as it goes out of scope
    }
    tx.commit();
    return CommitOutcome::committed;
}

}  // namespace

bool is_retryable_transaction_error(const pg::Error& error) {
    // 40001 serialization_failure, 40P01 deadlock_detected.
    return !error.connection_lost() && (error.sqlstate() == "40001" || error.sqlstate() == "40P01");
}

CommitOutcome commit_metrics(pg::Connection& cx, const pg::OffsetStore& store,
                             const StreamBatch& batch) {
    const std::vector<Statement> statements = upsert_statements(batch.deltas);
    for (int attempt = 1;; ++attempt) {
        try {
            return commit_once(cx, store, statements, batch);
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
