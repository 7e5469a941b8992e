#include "load/batch_writer.hpp"

#include <pqxx/transaction>

#include <chrono>
#include <string>

#include "obs/log.hpp"
#include "pg/dead_letters.hpp"
#include "pg/failpoint.hpp"
#include "pg/staging_writer.hpp"

namespace pinpipe::load {

CommitResult commit_batch(pqxx::connection_base& cx, const pg::OffsetStore& store,
                          const LoadBatch& batch) {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    pqxx::work tx(cx);
    const pg::StagingWrite written = pg::write_staging_rows(tx, batch.rows, store.group());
    const CommitResult result{pg::CommitOutcome::committed, written.rows,
                              batch.dead_letter_count + written.rejected};
    const auto copied = Clock::now();
    pg::failpoint(obs::Failpoint::load_after_copy);
    pg::copy_dead_letters(tx, {batch.dead_letters, written.dead_letters});
    if (!batch.dead_letters.empty() || !written.dead_letters.empty()) {
        pg::failpoint(obs::Failpoint::load_after_dead_letters);
    }
    if (!store.advance(tx, batch.progress.offset_advances())) {
        // tx rolls back as it goes out of scope
        return {pg::CommitOutcome::fence_lost, result.rows, result.dead_letters};
    }
    pg::failpoint(obs::Failpoint::load_before_commit);
    tx.commit();
    const auto milliseconds = [](Clock::duration elapsed) {
        return std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
    };
    obs::log(obs::LogLevel::debug, "batch written",
             {{"messages", std::to_string(batch.messages())},
              {"bytes", std::to_string(batch.bytes())},
              {"copy_statements", std::to_string(written.copy_statements)},
              {"copy_ms", milliseconds(copied - started)},
              {"commit_ms", milliseconds(Clock::now() - copied)}});
    return result;
}

}  // namespace pinpipe::load
