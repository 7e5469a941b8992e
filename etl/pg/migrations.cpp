#include "pg/migrations.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <ranges>
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
        "  'Migrations applied by pinpipe migrate, with the SHA-256 of each file';"
        "CREATE TABLE IF NOT EXISTS etl.schema_repeatables ("
        "  name text PRIMARY KEY,"
        "  checksum text NOT NULL,"
        "  applied_at timestamptz NOT NULL DEFAULT now(),"
        "  superseded text[] NOT NULL DEFAULT '{}');"
        "COMMENT ON TABLE etl.schema_repeatables IS "
        "  'Repeatable migrations (R__<name>.sql) applied by pinpipe migrate, with the SHA-256 "
        "of each file as last applied: a file whose checksum differs is applied again';");
}

std::vector<AppliedRepeatable> read_applied_repeatables(pqxx::transaction_base& tx) {
    const pqxx::result rows = tx.exec(
        "SELECT name, checksum, to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS'), "
        "array_to_string(superseded, ',') FROM etl.schema_repeatables ORDER BY name");
    std::vector<AppliedRepeatable> applied;
    for (const pqxx::row& row : rows) {
        std::vector<std::string> superseded;
        const std::string listed = row[3].as<std::string>();
        if (!listed.empty()) {
            for (const auto part : std::views::split(listed, ',')) {
                superseded.emplace_back(part.begin(), part.end());
            }
        }
        applied.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                           row[2].as<std::string>(), std::move(superseded)});
    }
    return applied;
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

bool table_exists(pqxx::transaction_base& tx, const char* table) {
    return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", table)[0].as<bool>();
}

// Runs one migration file in a transaction of its own, with record (the bookkeeping row) in
// the same transaction.
void apply_file(pqxx::connection_base& cx, const std::string& file_name, const std::string& sql,
                const std::function<void(pqxx::work&)>& record) {
    pqxx::work tx(cx);
    // A schema change must survive a crash right after migrate returns, even on a server
    // (or a throwaway test cluster) that commits without waiting for the WAL flush.
    tx.exec("SET LOCAL synchronous_commit = on");
    const std::string failed = fmt::format("migration {} failed and was rolled back: ", file_name);
    try {
        tx.exec(sql);
    } catch (const pqxx::sql_error& error) {
        throw pqxx::sql_error(failed + error.what(), "", error.sqlstate().c_str());
    } catch (const pqxx::broken_connection& error) {
        throw pqxx::broken_connection(failed + error.what());
    }
    record(tx);
    tx.commit();
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

bool valid_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

constexpr std::string_view repeatable_prefix = "R__";
constexpr std::string_view sql_suffix = ".sql";

// R__name.sql with name in [a-z0-9_]+: returns the name, or nullopt.
std::optional<std::string> repeatable_name(const std::string& file_name) {
    if (!file_name.starts_with(repeatable_prefix) || !file_name.ends_with(sql_suffix)) {
        return std::nullopt;
    }
    std::string name = file_name.substr(
        repeatable_prefix.size(), file_name.size() - repeatable_prefix.size() - sql_suffix.size());
    return valid_name(name) ? std::optional(name) : std::nullopt;
}

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
    return valid_name(name) ? std::optional(name) : std::nullopt;
}

}  // namespace

Migrations parse_migrations(const std::vector<MigrationFile>& files) {
    Migrations migrations;
    std::set<int> versions;
    for (const MigrationFile& file : files) {
        if (const std::optional<std::string> name = repeatable_name(file.file_name)) {
            migrations.repeatable.push_back(
                {*name, file.file_name, file.sql, sha256_hex(file.sql)});
            continue;
        }
        const std::optional<std::string> name = migration_name(file.file_name);
        if (!name) {
            throw UsageError(
                fmt::format("migration file name {} is neither NNNN_verb_object.sql (versioned) "
                            "nor R__name.sql (repeatable), name in a-z, 0-9 and _",
                            file.file_name));
        }
        const int version = std::stoi(file.file_name.substr(0, 4));
        if (!versions.insert(version).second) {
            throw UsageError(fmt::format("two migration files have version {:04d}", version));
        }
        migrations.versioned.push_back(
            {version, *name, file.file_name, file.sql, sha256_hex(file.sql)});
    }
    std::sort(migrations.versioned.begin(), migrations.versioned.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    std::sort(
        migrations.repeatable.begin(), migrations.repeatable.end(),
        [](const RepeatableMigration& a, const RepeatableMigration& b) { return a.name < b.name; });
    for (size_t i = 1; i < migrations.repeatable.size(); ++i) {
        if (migrations.repeatable[i].name == migrations.repeatable[i - 1].name) {
            throw UsageError(fmt::format("two repeatable migration files are named {}",
                                         migrations.repeatable[i].file_name));
        }
    }
    return migrations;
}

namespace {

// The rows a database recorded, by key; each file takes the row of its key, and what no file
// took is left over (unknown to these files).
template <typename Key, typename Row>
class RecordedRows {
  public:
    template <typename KeyOf>
    RecordedRows(const std::vector<Row>& rows, KeyOf key_of) {
        for (const Row& row : rows) {
            m_rows[key_of(row)] = &row;
        }
    }

    // A file's state and its row (nullptr when pending): pending without a row, applied when
    // the row has the file's checksum, changed otherwise.
    std::pair<MigrationState, const Row*> take(const Key& key, const std::string& checksum) {
        const auto found = m_rows.find(key);
        if (found == m_rows.end()) {
            return {MigrationState::pending, nullptr};
        }
        const Row* row = found->second;
        m_rows.erase(found);
        return {row->checksum == checksum ? MigrationState::applied : MigrationState::changed, row};
    }

    const std::map<Key, const Row*>& left_over() const { return m_rows; }

  private:
    std::map<Key, const Row*> m_rows;
};

}  // namespace

std::vector<MigrationStatus> plan_migrations(const std::vector<Migration>& migrations,
                                             const std::vector<AppliedMigration>& applied) {
    RecordedRows<int, AppliedMigration> recorded(
        applied, [](const AppliedMigration& row) { return row.version; });
    std::vector<MigrationStatus> plan;
    for (const Migration& migration : migrations) {
        const auto [state, row] = recorded.take(migration.version, migration.checksum);
        plan.push_back({migration.version, migration.file_name, state, row ? row->applied_at : ""});
    }
    for (const auto& [version, row] : recorded.left_over()) {
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

std::vector<RepeatableStatus> plan_repeatables(const std::vector<RepeatableMigration>& repeatable,
                                               const std::vector<AppliedRepeatable>& applied) {
    RecordedRows<std::string, AppliedRepeatable> recorded(
        applied, [](const AppliedRepeatable& row) { return row.name; });
    std::vector<RepeatableStatus> plan;
    for (const RepeatableMigration& migration : repeatable) {
        auto [state, row] = recorded.take(migration.name, migration.checksum);
        if (state == MigrationState::changed &&
            std::ranges::find(row->superseded_checksums, migration.checksum) !=
                row->superseded_checksums.end()) {
            state = MigrationState::superseded;
        }
        plan.push_back({migration.file_name, state, row ? row->applied_at : ""});
    }
    for (const auto& [name, row] : recorded.left_over()) {
        plan.push_back({fmt::format("{}{}{}", repeatable_prefix, name, sql_suffix),
                        MigrationState::unknown, row->applied_at});
    }
    return plan;
}

bool repeatable_due(MigrationState state) {
    return state == MigrationState::pending || state == MigrationState::changed;
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
        case MigrationState::superseded:
            return "superseded";
    }
    return "unknown";
}

AppliedMigrations apply_migrations(pqxx::connection_base& cx, const Migrations& migrations,
                                   PendingOrder order, const MigrationProgress& progress) {
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
    std::vector<RepeatableStatus> repeatable_plan;
    {
        pqxx::nontransaction session(cx);
        ensure_bookkeeping_table(session);
        plan = plan_migrations(migrations.versioned, read_applied(session));
        repeatable_plan =
            plan_repeatables(migrations.repeatable, read_applied_repeatables(session));
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
    for (const RepeatableStatus& status : repeatable_plan) {
        if (status.state == MigrationState::superseded) {
            throw std::runtime_error(fmt::format(
                "repeatable migration {} of this pinpipe was applied to the database before and "
                "replaced by another version of the file on {}: this pinpipe is older than the one "
                "that last migrated the database, and would put older functions back (use the "
                "newer release; if the file is meant to return to an earlier content, change it, "
                "e.g. its header comment, so that it is a new version)",
                status.file_name, status.applied_at));
        }
    }
    if (const auto late = first_out_of_order(plan); late && order == PendingOrder::in_order_only) {
        throw std::runtime_error(fmt::format(
            "migration {} is pending but the database already has later migrations applied: it "
            "would run after changes it was not written against (renumber it after the latest "
            "applied one, or run pinpipe migrate --out-of-order if it is meant to run now)",
            late->file_name));
    }
    std::vector<const Migration*> pending;
    for (const Migration& migration : migrations.versioned) {
        if (std::any_of(plan.begin(), plan.end(), [&](const MigrationStatus& s) {
                return s.version == migration.version && s.state == MigrationState::pending;
            })) {
            pending.push_back(&migration);
        }
    }
    std::vector<const RepeatableMigration*> due;
    for (const RepeatableMigration& migration : migrations.repeatable) {
        if (std::any_of(repeatable_plan.begin(), repeatable_plan.end(),
                        [&](const RepeatableStatus& s) {
                            return s.file_name == migration.file_name && repeatable_due(s.state);
                        })) {
            due.push_back(&migration);
        }
    }
    const size_t count = pending.size() + due.size();
    AppliedMigrations applied;
    const auto run = [&](const std::string& file_name, const std::string& sql,
                         const std::function<void(pqxx::work&)>& record) {
        if (progress.started) {
            progress.started(file_name, applied.versioned.size() + applied.repeatable.size() + 1,
                             count);
        }
        const auto started = std::chrono::steady_clock::now();
        apply_file(cx, file_name, sql, record);
        if (progress.applied) {
            progress.applied(
                file_name,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
    };
    for (const Migration* migration : pending) {
        run(migration->file_name, migration->sql, [&](pqxx::work& tx) {
            tx.exec_params(
                "INSERT INTO etl.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration->version, migration->name, migration->checksum);
        });
        applied.versioned.push_back(*migration);
    }
    // After every versioned migration, so that a repeatable is written against the newest
    // tables; in name order, which the file names make the order of their dependencies.
    for (const RepeatableMigration* migration : due) {
        run(migration->file_name, migration->sql, [&](pqxx::work& tx) {
            tx.exec_params(
                "INSERT INTO etl.schema_repeatables AS r (name, checksum) VALUES ($1, $2) "
                "ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = "
                "now(), "
                "superseded = r.superseded || r.checksum",
                migration->name, migration->checksum);
        });
        applied.repeatable.push_back(*migration);
    }
    return applied;
}

MigrationsStatus migration_status(pqxx::connection_base& cx, const Migrations& migrations) {
    pqxx::nontransaction session(cx);
    return {plan_migrations(migrations.versioned, table_exists(session, "etl.schema_migrations")
                                                      ? read_applied(session)
                                                      : std::vector<AppliedMigration>{}),
            plan_repeatables(migrations.repeatable, table_exists(session, "etl.schema_repeatables")
                                                        ? read_applied_repeatables(session)
                                                        : std::vector<AppliedRepeatable>{})};
}

}  // namespace pinpipe::pg
