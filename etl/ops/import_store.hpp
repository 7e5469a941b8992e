// The I/O half of pinpipe import: one file into staging and etl.dead_letters in one
// transaction, recorded in etl.imported_files by the SHA-256 of its content so that the same
// content is never imported twice (under any file name, by concurrent imports too).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "events/validation.hpp"
#include "pg/connection.hpp"

namespace pinpipe::ops {

struct ImportOutcome {
    std::string content_sha256;
    bool already_imported = false;  // nothing written: this content was imported before
    uint64_t records = 0;
    std::array<uint64_t, 3> rows{};  // pin, geo, user
    uint64_t dead_letters = 0;       // rejected_by_postgres included
    uint64_t rejected_by_postgres = 0;
    uint64_t copy_statements = 0;  // COPY statements into staging (pg::StagingWrite)
};

// Throws std::runtime_error naming the file when it cannot be read. The transaction's waits for
// a lock past lock_timeout (the fold lock a load or a hung peer holds) fail it, nothing written.
ImportOutcome import_file(pqxx::connection_base& cx, const std::filesystem::path& file,
                          std::optional<events::EventKind> forced_kind, size_t max_message_bytes,
                          std::chrono::milliseconds lock_timeout);

}  // namespace pinpipe::ops
