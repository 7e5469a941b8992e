// Forward-only schema migrations (as dbmate/Flyway do): NNNN_verb_object.sql files applied in
// order, each in its own transaction, checksums recorded so that an edited file is refused.
#pragma once

#include <pqxx/connection_base>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pinpipe::pg {

struct MigrationFile {
    std::string file_name;  // e.g. 0001_create_schemas.sql
    std::string sql;
};

struct Migration {
    int version;
    std::string name;  // the part after the version, without .sql
    std::string file_name;
    std::string sql;
    std::string checksum;  // SHA-256 of the file, hex
};

struct AppliedMigration {
    int version;
    std::string name;
    std::string checksum;
    std::string applied_at;
};

enum class MigrationState { applied, pending, changed, unknown };

struct MigrationStatus {
    int version;
    std::string file_name;
    MigrationState state;
    std::string applied_at;  // empty unless applied (or changed)
};

// The migrations compiled into this binary (generated from migrations/ at build time).
std::vector<MigrationFile> embedded_migrations();
std::vector<MigrationFile> read_migration_directory(const std::filesystem::path& directory);

// Validates names (NNNN_name.sql, unique versions) and orders by version; throws UsageError.
std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files);
std::string sha256_hex(std::string_view data);

// Pure: what each file's state is against what the database recorded. `unknown` rows are
// versions the database has that this binary does not.
std::vector<MigrationStatus> plan_migrations(const std::vector<Migration>& migrations,
                                             const std::vector<AppliedMigration>& applied);
std::string_view state_name(MigrationState state);
// Pure: the first pending migration whose version is below the highest applied one (a file
// added out of order, e.g. from a branch merged after a later migration shipped), if any.
// Applying it would run it after changes it was never written against, so migrate refuses
// unless told that this is intended (Flyway's outOfOrder).
std::optional<MigrationStatus> first_out_of_order(const std::vector<MigrationStatus>& plan);

enum class PendingOrder { in_order_only, out_of_order_allowed };

// Applies every pending migration under an advisory lock (concurrent runs wait for each other);
// refuses to apply anything when an applied file changed, the database is ahead of the binary,
// or (unless allowed) a pending version is lower than an applied one. Calls on_started before
// each migration (its number among the pending ones, from 1) and on_applied after each commit.
// Returns the migrations applied.
std::vector<Migration> apply_migrations(
    pqxx::connection_base& cx, const std::vector<Migration>& migrations,
    const std::function<void(const Migration&, double seconds)>& on_applied = {},
    PendingOrder order = PendingOrder::in_order_only,
    const std::function<void(const Migration&, size_t number, size_t pending)>& on_started = {});
std::vector<MigrationStatus> migration_status(pqxx::connection_base& cx,
                                              const std::vector<Migration>& migrations);

}  // namespace pinpipe::pg
