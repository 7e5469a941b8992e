#include "ops/import_store.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ops/import_plan.hpp"
#include "pg/connection.hpp"
#include "pg/dead_letters.hpp"
#include "pg/migrations.hpp"
#include "pg/staging_writer.hpp"

namespace pinpipe::ops {
namespace {

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error(
            fmt::format("could not open {}: {}", file.string(), std::strerror(errno)));
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

}  // namespace

ImportOutcome import_file(pqxx::connection_base& cx, const std::filesystem::path& file,
                          std::optional<events::EventKind> forced_kind, size_t max_message_bytes,
                          std::chrono::milliseconds lock_timeout) {
    const std::string content = read_file(file);
    ImportOutcome outcome;
    outcome.content_sha256 = pg::sha256_hex(content);
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    events::EventValidator validator(max_message_bytes);
    const ImportPlan plan =
        plan_import(content, outcome.content_sha256, forced_kind, now_ms, validator);

    pqxx::work tx(cx);
    // The claim on the content: a concurrent import of the same content waits here for this
    // transaction and then finds the row.
    const pqxx::result claimed = tx.exec_params(
        "INSERT INTO etl.imported_files (content_sha256, file_name, bytes) VALUES ($1, $2, $3) "
        "ON CONFLICT (content_sha256) DO NOTHING RETURNING content_sha256",
        outcome.content_sha256, file.string(), content.size());
    if (claimed.empty()) {
        outcome.already_imported = true;
        return outcome;  // the transaction rolls back: nothing to write
    }
    // Bounded from here, not for the claim: a concurrent import of the same content is waited
    // for whole, however long its file takes.
    pg::set_local_lock_timeout(tx, lock_timeout);
    // A row PostgreSQL rejects becomes a dead letter under the file's topic and line, as those
    // the validator refused, and the file's other rows go in.
    const pg::StagingWrite written = pg::write_staging_rows(tx, plan.rows, import_consumer);
    pg::copy_dead_letters(tx, {plan.dead_letters, written.dead_letters});
    outcome.records = plan.records;
    outcome.rows = written.rows;
    outcome.dead_letters = plan.dead_letter_count + written.rejected;
    outcome.rejected_by_postgres = written.rejected;
    outcome.copy_statements = written.copy_statements;
    tx.exec_params(
        "UPDATE etl.imported_files SET records = $2, staged_rows = $3, dead_letters = $4 "
        "WHERE content_sha256 = $1",
        outcome.content_sha256, outcome.records, written.total_rows(), outcome.dead_letters);
    tx.commit();
    return outcome;
}

}  // namespace pinpipe::ops
