#include "ops/import_store.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "load/batch.hpp"
#include "load/staging_copy.hpp"
#include "ops/import_plan.hpp"
#include "pg/dead_letters.hpp"
#include "pg/migrations.hpp"

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
                          std::optional<events::EventKind> forced_kind, size_t max_message_bytes) {
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
    for (const events::EventKind kind : events::all_event_kinds) {
        const load::StagingRows& rows = plan.rows[events::kind_index(kind)];
        if (!rows.empty()) {
            load::copy_staging_rows(tx, kind, rows);
        }
        outcome.rows[events::kind_index(kind)] = rows.count();
    }
    pg::copy_dead_letters(tx, plan.dead_letters);
    tx.exec_params(
        "UPDATE etl.imported_files SET records = $2, staged_rows = $3, dead_letters = $4 "
        "WHERE content_sha256 = $1",
        outcome.content_sha256, plan.records, plan.row_count(), plan.dead_letter_count);
    tx.commit();
    outcome.records = plan.records;
    outcome.dead_letters = plan.dead_letter_count;
    return outcome;
}

}  // namespace pinpipe::ops
