// Forward-only schema migrations (as dbmate/Flyway do): versioned NNNN_verb_object.sql files
// applied once, in order, each in its own transaction, checksums recorded so that an edited file
// is refused; then repeatable R__name.sql files (functions, views, triggers), applied in name
// order whenever their checksum differs from the one recorded, as Flyway's R__ files are.
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

// A versioned migration: applied once; its file never changes afterwards.
struct Migration {
    int version;
    std::string name;  // the part after the version, without .sql
    std::string file_name;
    std::string sql;
    std::string checksum;  // SHA-256 of the file, hex
};

// A repeatable migration (R__<name>.sql): CREATE OR REPLACE statements that are applied again,
// after the versioned migrations, whenever the file changes.
struct RepeatableMigration {
    std::string name;  // the part after R__, without .sql
    std::string file_name;
    std::string sql;
    std::string checksum;  // SHA-256 of the file, hex
};

struct Migrations {
    std::vector<Migration> versioned;             // by version
    std::vector<RepeatableMigration> repeatable;  // by name: the order they are applied in
};

struct AppliedMigration {
    int version;
    std::string name;
    std::string checksum;
    std::string applied_at;
};

// The checksum a repeatable migration was last applied with, and those it replaced.
struct AppliedRepeatable {
    std::string name;
    std::string checksum;
    std::string applied_at;
    std::vector<std::string> superseded_checksums;  // applied before, replaced since
};

// Versioned: changed is drift (refused); unknown is a version only the database has.
// Repeatable: pending was never applied, changed is applied again by the next migrate; unknown
// was applied but has no file any more (its objects stay until a versioned migration drops them);
// superseded is a file whose content was applied once and replaced since by another: this binary
// is older than the one that last migrated the database, and applying it would put the older
// functions back (refused).
enum class MigrationState { applied, pending, changed, unknown, superseded };

struct MigrationStatus {
    int version;
    std::string file_name;
    MigrationState state;
    std::string applied_at;  // empty unless applied (or changed)
};

struct RepeatableStatus {
    std::string file_name;
    MigrationState state;
    std::string applied_at;  // when last applied; empty if never
};

struct MigrationsStatus {
    std::vector<MigrationStatus> versioned;
    std::vector<RepeatableStatus> repeatable;
};

// The migrations compiled into this binary (generated from migrations/ at build time).
std::vector<MigrationFile> embedded_migrations();
std::vector<MigrationFile> read_migration_directory(const std::filesystem::path& directory);

// Validates names (NNNN_name.sql with unique versions, or R__name.sql) and orders versioned
// files by version, repeatable ones by name; throws UsageError.
Migrations parse_migrations(const std::vector<MigrationFile>& files);
std::string sha256_hex(std::string_view data);

// Pure: what each file's state is against what the database recorded. `unknown` rows are
// versions the database has that this binary does not.
std::vector<MigrationStatus> plan_migrations(const std::vector<Migration>& migrations,
                                             const std::vector<AppliedMigration>& applied);
// Pure: each repeatable's state against the checksums recorded, in name order; recorded names
// without a file come last, as unknown.
std::vector<RepeatableStatus> plan_repeatables(const std::vector<RepeatableMigration>& repeatable,
                                               const std::vector<AppliedRepeatable>& applied);
// Whether migrate applies a repeatable in this state (never applied, or its file changed).
bool repeatable_due(MigrationState state);
std::string_view state_name(MigrationState state);
// Pure: the first pending migration whose version is below the highest applied one (a file
// added out of order, e.g. from a branch merged after a later migration shipped), if any.
// Applying it would run it after changes it was never written against, so migrate refuses
// unless told that this is intended (Flyway's outOfOrder).
std::optional<MigrationStatus> first_out_of_order(const std::vector<MigrationStatus>& plan);

enum class PendingOrder { in_order_only, out_of_order_allowed };

// What apply_migrations reports: started before each file it applies (its number among the
// files it applies, from 1), applied after each commit.
struct MigrationProgress {
    std::function<void(const std::string& file_name, size_t number, size_t count)> started;
    std::function<void(const std::string& file_name, double seconds)> applied;
};

struct AppliedMigrations {
    std::vector<Migration> versioned;
    std::vector<RepeatableMigration> repeatable;
};

// Under an advisory lock (concurrent runs wait for each other): applies every pending versioned
// migration, then every repeatable one that is due, in name order, each in its own transaction;
// refuses to apply anything when an applied versioned file changed, the database is ahead of
// the binary, or (unless allowed) a pending version is lower than an applied one.
AppliedMigrations apply_migrations(pqxx::connection_base& cx, const Migrations& migrations,
                                   PendingOrder order = PendingOrder::in_order_only,
                                   const MigrationProgress& progress = {});
MigrationsStatus migration_status(pqxx::connection_base& cx, const Migrations& migrations);

}  // namespace pinpipe::pg
