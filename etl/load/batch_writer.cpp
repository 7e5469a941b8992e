#include "load/batch_writer.hpp"

#include <fmt/format.h>

#include <chrono>

#include "load/staging_copy.hpp"
#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "pg/dead_letters.hpp"
#include "pg/failpoint.hpp"

namespace pinpipe::load {
namespace {

// Writes the dead letters and the offsets, then commits; rolls back on a lost fence.
pg::CommitOutcome finish(pqxx::work& tx, const pg::OffsetStore& store, const LoadBatch& batch,
                         const std::string& dead_letters) {
    pg::failpoint(obs::Failpoint::load_after_copy);
    pg::copy_dead_letters(tx, dead_letters);
    if (!dead_letters.empty()) {
        pg::failpoint(obs::Failpoint::load_after_dead_letters);
    }
    if (!store.advance(tx, batch.progress.offset_advances())) {
        return pg::CommitOutcome::fence_lost;  // tx rolls back as it goes out of scope
    }
    pg::failpoint(obs::Failpoint::load_before_commit);
    tx.commit();
    return pg::CommitOutcome::committed;
}

CommitResult commit_whole(pqxx::connection_base& cx, const pg::OffsetStore& store,
                          const LoadBatch& batch, const TransactionStep& first_step) {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    pqxx::work tx(cx);
    if (first_step) {
        first_step(tx);
    }
    CommitResult result{pg::CommitOutcome::committed, {}, batch.dead_letter_count};
    for (const events::EventKind kind : events::all_event_kinds) {
        const StagingRows& rows = batch.rows[events::kind_index(kind)];
        if (!rows.empty()) {
            copy_staging_rows(tx, kind, rows);
        }
        result.rows[events::kind_index(kind)] = rows.count();
    }
    const auto copied = Clock::now();
    result.outcome = finish(tx, store, batch, batch.dead_letters);
    const auto milliseconds = [](Clock::duration elapsed) {
        return std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
    };
    obs::log(obs::LogLevel::debug, "batch written",
             {{"messages", std::to_string(batch.messages())},
              {"bytes", std::to_string(batch.bytes())},
              {"copy_ms", milliseconds(copied - started)},
              {"commit_ms", milliseconds(Clock::now() - copied)}});
    return result;
}

CommitResult commit_row_by_row(pqxx::connection_base& cx, const pg::OffsetStore& store,
                               const LoadBatch& batch, const TransactionStep& first_step) {
    pqxx::work tx(cx);
    if (first_step) {
        first_step(tx);
    }
    CommitResult result{pg::CommitOutcome::committed, {}, batch.dead_letter_count};
    std::string dead_letters = batch.dead_letters;
    for (const events::EventKind kind : events::all_event_kinds) {
        const StagingRows& rows = batch.rows[events::kind_index(kind)];
        for (size_t index = 0; index < rows.count(); ++index) {
            try {
                pqxx::subtransaction row(tx, "row");
                copy_staging_row(row, kind, rows.row(index));
                row.commit();
                ++result.rows[events::kind_index(kind)];
            } catch (const pqxx::data_exception& error) {
                // The subtransaction rolled back to its savepoint as it went out of scope.
                // PostgreSQL refused the payload, so the dead letter keeps it as raw bytes.
                const StagingRow rejected = decode_staging_row(rows.row(index));
                pg::append_dead_letter_row(
                    dead_letters, store.group(), rejected.origin(), rejected.payload,
                    events::reason_name(events::BadReason::rejected_by_postgres),
                    pg::error_message(error));
                ++result.dead_letters;
            }
        }
    }
    result.outcome = finish(tx, store, batch, dead_letters);
    return result;
}

}  // namespace

CommitResult commit_batch(pqxx::connection_base& cx, const pg::OffsetStore& store,
                          const LoadBatch& batch, const TransactionStep& first_step) {
    try {
        return commit_whole(cx, store, batch, first_step);
    } catch (const pqxx::data_exception& error) {  // consume::NextStep::dead_letter
        obs::log_warning("PostgreSQL rejected a row of the batch; redoing it row by row",
                         {{"error", pg::error_message(error)}});
    }
    return commit_row_by_row(cx, store, batch, first_step);
}

}  // namespace pinpipe::load
