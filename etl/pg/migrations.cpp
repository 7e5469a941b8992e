#include "pg/migrations.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "pg/connection.hpp"
#include "util/errors.hpp"

namespace pinpipe::pg {
namespace {

// One fixed key for the migration lock: every pinpipe of any version agrees on it.
constexpr const char* migration_lock_sql = "hashtext('pinpipe.migrate')";

void ensure_bookkeeping_table(pqxx::transaction_base& tx) {
    tx.exec(
        "SET client_min_messages = warning;"
        "CREATE SCHEMA IF NOT EXISTS etl;"
        "CREATE TABLE IF NOT EXISTS etl.schema_migrations ("
        "  version int PRIMARY KEY,"
        "  name text NOT NULL,"
        "  checksum text NOT NULL,"
        "  applied_at timestamptz NOT NULL DEFAULT now());"
        "COMMENT ON TABLE etl.schema_migrations IS "
        "  'Migrations applied by pinpipe migrate, with the SHA-256 of each file';");
}

std::vector<AppliedMigration> read_applied(pqxx::transaction_base& tx) {
    const pqxx::result rows = tx.exec(
        "SELECT version, name, checksum, to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS') "
        "FROM etl.schema_migrations ORDER BY version");
    std::vector<AppliedMigration> applied;
    for (const pqxx::row& row : rows) {
        applied.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>(),
                           row[3].as<std::string>()});
    }
    return applied;
}

bool bookkeeping_table_exists(pqxx::transaction_base& tx) {
    return tx.exec1("SELECT to_regclass('etl.schema_migrations') IS NOT NULL")[0].as<bool>();
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("could not compute SHA-256 (OpenSSL EVP_Digest failed)");
    }
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += fmt::format("{:02x}", digest[i]);
    }
    return hex;
}

std::vector<MigrationFile> read_migration_directory(const std::filesystem::path& directory) {
    if (!std::filesystem::is_directory(directory)) {
        throw UsageError(fmt::format("migrations directory {} does not exist", directory.string()));
    }
    std::vector<MigrationFile> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        if (entry.path().extension() != ".sql") {
            continue;
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        files.push_back({entry.path().filename().string(), content.str()});
    }
    return files;
}

namespace {

// NNNN_name.sql with name in [a-z0-9_]+: returns the name, or nullopt.
std::optional<std::string> migration_name(const std::string& file_name) {
    constexpr size_t digits = 4;
    const std::string_view suffix = ".sql";
    if (file_name.size() <= digits + 1 + suffix.size() || !file_name.ends_with(suffix) ||
        file_name[digits] != '_') {
        return std::nullopt;
    }
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!std::all_of(file_name.begin(), file_name.begin() + digits, is_digit)) {
        return std::nullopt;
    }
    std::string name = file_name.substr(digits + 1, file_name.size() - digits - 1 - suffix.size());
    const bool valid = std::all_of(name.begin(), name.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_';
    });
    return valid ? std::optional(name) : std::nullopt;
}

}  // namespace

std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files) {
    std::vector<Migration> migrations;
    std::set<int> versions;
    for (const MigrationFile& file : files) {
        const std::optional<std::string> name = migration_name(file.file_name);
        if (!name) {
            throw UsageError(fmt::format(
                "migration file name {} is not of the form NNNN_verb_object.sql", file.file_name));
        }
        const int version = std::stoi(file.file_name.substr(0, 4));
        if (!versions.insert(version).second) {
            throw UsageError(fmt::format("two migration files have version {:04d}", version));
        }
        migrations.push_back({version, *name, file.file_name, file.sql, sha256_hex(file.sql)});
    }
    std::sort(migrations.begin(), migrations.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    return migrations;
}

std::vector<MigrationStatus> plan_migrations(const std::vector<Migration>& migrations,
                                             const std::vector<AppliedMigration>& applied) {
    std::map<int, const AppliedMigration*> applied_by_version;
    for (const AppliedMigration& row : applied) {
        applied_by_version[row.version] = &row;
    }
    std::vector<MigrationStatus> plan;
    for (const Migration& migration : migrations) {
        const auto found = applied_by_version.find(migration.version);
        if (found == applied_by_version.end()) {
            plan.push_back({migration.version, migration.file_name, MigrationState::pending, ""});
            continue;
        }
        const bool same = found->second->checksum == migration.checksum;
        plan.push_back({migration.version, migration.file_name,
                        same ? MigrationState::applied : MigrationState::changed,
                        found->second->applied_at});
        applied_by_version.erase(found);
    }
    for (const auto& [version, row] : applied_by_version) {
        plan.push_back({version, fmt::format("{:04d}_{}.sql", version, row->name),
                        MigrationState::unknown, row->applied_at});
    }
    std::sort(plan.begin(), plan.end(), [](const MigrationStatus& a, const MigrationStatus& b) {
        return a.version < b.version;
    });
    return plan;
}

std::optional<MigrationStatus> first_out_of_order(const std::vector<MigrationStatus>& plan) {
    int highest_applied = 0;
    for (const MigrationStatus& status : plan) {
        if (status.state != MigrationState::pending) {
            highest_applied = std::max(highest_applied, status.version);
        }
    }
    for (const MigrationStatus& status : plan) {
        if (status.state == MigrationState::pending && status.version < highest_applied) {
            return status;
        }
    }
    return std::nullopt;
}

std::string_view state_name(MigrationState state) {
    switch (state) {
        case MigrationState::applied:
            return "applied";
        case MigrationState::pending:
            return "pending";
        case MigrationState::changed:
            return "changed";
        case MigrationState::unknown:
            return "unknown";
    }
    return "unknown";
}

std::vector<Migration> apply_migrations(
    pqxx::connection_base& cx, const std::vector<Migration>& migrations,
    const std::function<void(const Migration&, double seconds)>& on_applied, PendingOrder order,
    const std::function<void(const Migration&, size_t number, size_t pending)>& on_started) {
    // Session-level lock: a second `migrate` waits here and then finds nothing left to do.
    pqxx::nontransaction(cx).exec(fmt::format("SELECT pg_advisory_lock({})", migration_lock_sql));
    struct Unlock {
        pqxx::connection_base& cx;
        ~Unlock() {
            try {
                pqxx::nontransaction(cx).exec(
                    fmt::format("SELECT pg_advisory_unlock({})", migration_lock_sql));
            } catch (const std::exception&) {
                // The session is gone, and its lock with it.
            }
        }
    } unlock{cx};

    std::vector<MigrationStatus> plan;
    {
        pqxx::nontransaction session(cx);
        ensure_bookkeeping_table(session);
        plan = plan_migrations(migrations, read_applied(session));
    }
    for (const MigrationStatus& status : plan) {
        if (status.state == MigrationState::changed) {
            throw std::runtime_error(fmt::format(
                "migration {} was changed after it was applied on {}: applied migrations must "
                "never be edited (restore the file and add a new migration instead)",
                status.file_name, status.applied_at));
        }
        if (status.state == MigrationState::unknown) {
            throw std::runtime_error(fmt::format(
                "the database has migration {} applied, which this pinpipe does not know (is "
                "this pinpipe older than the database? use the newer release)",
                status.file_name));
        }
    }
    if (const auto late = first_out_of_order(plan); late && order == PendingOrder::in_order_only) {
        throw std::runtime_error(fmt::format(
            "migration {} is pending but the database already has later migrations applied: it "
            "would run after changes it was not written against (renumber it after the latest "
            "applied one, or run pinpipe migrate --out-of-order if it is meant to run now)",
            late->file_name));
    }
    const auto pending_count = static_cast<size_t>(std::count_if(
        plan.begin(), plan.end(),
        [](const MigrationStatus& status) { return status.state == MigrationState::pending; }));
    std::vector<Migration> applied;
    for (const Migration& migration : migrations) {
        const bool pending = std::any_of(plan.begin(), plan.end(), [&](const MigrationStatus& s) {
            return s.version == migration.version && s.state == MigrationState::pending;
        });
        if (!pending) {
            continue;
        }
        if (on_started) {
            on_started(migration, applied.size() + 1, pending_count);
        }
        const auto started = std::chrono::steady_clock::now();
        pqxx::work tx(cx);
        // A schema change must survive a crash right after migrate returns, even on a server
        // (or a throwaway test cluster) that commits without waiting for the WAL flush.
        tx.exec("SET LOCAL synchronous_commit = on");
        const std::string failed =
            fmt::format("migration {} failed and was rolled back: ", migration.file_name);
        try {
            tx.exec(migration.sql);
        } catch (const pqxx::sql_error& error) {
            throw pqxx::sql_error(failed + error.what(), "", error.sqlstate().c_str());
        } catch (const pqxx::broken_connection& error) {
            throw pqxx::broken_connection(failed + error.what());
        }
        tx.exec_params(
            "INSERT INTO etl.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            migration.version, migration.name, migration.checksum);
        tx.commit();
        applied.push_back(migration);
        if (on_applied) {
            on_applied(
                migration,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
    }
    return applied;
}

std::vector<MigrationStatus> migration_status(pqxx::connection_base& cx,
                                              const std::vector<Migration>& migrations) {
    pqxx::nontransaction session(cx);
    return plan_migrations(migrations, bookkeeping_table_exists(session)
                                           ? read_applied(session)
                                           : std::vector<AppliedMigration>{});
}

}  // namespace pinpipe::pg
