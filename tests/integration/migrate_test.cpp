// pinpipe migrate against a real throwaway PostgreSQL: fresh database, idempotence, drift,
// concurrency, status, a migrating user who may not create roles, repeatable migrations, and
// the upgrade of a database with data from the last schema before repeatables.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "analytics/refresh.hpp"
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "pg/migrations.hpp"
#include "support/harness.hpp"
#include "support/staging_seed.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

using testing::fresh_database;
using testing::migrated_database;
using testing::run_pinpipe;

long long count(pqxx::connection_base& cx, const std::string& sql) {
    return testing::exec(cx, sql)[0][0].as<long long>();
}

const pg::Migrations embedded = pg::parse_migrations(pg::embedded_migrations());
const size_t embedded_count = embedded.versioned.size();

TEST(Migrate, EmptyDatabaseGetsSchemasTablesAndRoles) {
    const std::string dsn = fresh_database();
    const auto run = run_pinpipe({"migrate", "--dsn", dsn});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(fmt::format("migrate: {} applied", embedded_count)),
              std::string::npos)
        << run.output;

    pg::Connection cx(dsn, "test");
    EXPECT_EQ(count(cx,
                    "SELECT count(*) FROM pg_namespace WHERE nspname IN "
                    "('staging','clean','analytics','realtime','etl')"),
              5);
    for (const char* table :
         {"etl.schema_migrations", "etl.consumer_offsets", "etl.dead_letters", "etl.load_runs",
          "staging.pin_events", "staging.geo_events", "staging.user_events"}) {
        EXPECT_EQ(
            testing::exec(cx, fmt::format("SELECT to_regclass('{}') IS NOT NULL", table))[0][0]
                .as<std::string>(),
            "t")
            << table;
    }
    EXPECT_EQ(count(cx,
                    "SELECT count(*) FROM pg_roles WHERE rolname IN "
                    "('pinpipe_loader','pinpipe_reader')"),
              2);
    EXPECT_EQ(count(cx, "SELECT count(*) FROM etl.schema_migrations"),
              static_cast<long long>(embedded_count));
}

TEST(Migrate, OnATerminalAStatusLineNamesTheMigrationAndMakesWayForEachAppliedLine) {
    const auto run = testing::run_pinpipe_on_terminal({"migrate", "--dsn", fresh_database()});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(fmt::format(
                  "\rmigrate: 0001_create_schemas_and_roles.sql (1 of {}), 0:00 elapsed\x1b[K",
                  embedded_count + embedded.repeatable.size())),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("\r\x1b[Kapplied 0001_create_schemas_and_roles.sql ("),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find(fmt::format("migrate: {} applied", embedded_count)),
              std::string::npos)
        << run.output;

    // Not on a terminal: the lines of before and nothing else.
    const auto piped = run_pinpipe({"migrate", "--dsn", fresh_database()});
    ASSERT_EQ(piped.exit_code, 0) << piped.output;
    EXPECT_EQ(piped.output.find('\r'), std::string::npos) << piped.output;
    EXPECT_EQ(piped.output.find("elapsed"), std::string::npos) << piped.output;
    EXPECT_EQ(piped.output.rfind("applied 0001_create_schemas_and_roles.sql (", 0), 0u)
        << piped.output;
}

TEST(Migrate, SecondRunAppliesNothing) {
    const std::string dsn = fresh_database();
    ASSERT_EQ(run_pinpipe({"migrate", "--dsn", dsn}).exit_code, 0);
    const auto again = run_pinpipe({"migrate", "--dsn", dsn});
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(
        again.output.find(fmt::format("migrate: 0 applied, {} already applied", embedded_count)),
        std::string::npos)
        << again.output;
}

TEST(Migrate, ChangedFileIsRefusedNamingIt) {
    const std::string dsn = fresh_database();
    pg::Connection cx(dsn, "test");
    pg::apply_migrations(cx,
                         pg::parse_migrations({{"0001_create_t.sql", "CREATE TABLE t (a int);"},
                                               {"0002_create_u.sql", "CREATE TABLE u (a int);"}}));
    try {
        pg::apply_migrations(
            cx, pg::parse_migrations({{"0001_create_t.sql", "CREATE TABLE t (a bigint);"},
                                      {"0002_create_u.sql", "CREATE TABLE u (a int);"},
                                      {"0003_create_v.sql", "CREATE TABLE v (a int);"}}));
        FAIL() << "a changed migration must be refused";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("0001_create_t.sql"), std::string::npos)
            << error.what();
    }
    EXPECT_EQ(testing::exec(cx, "SELECT to_regclass('v') IS NULL")[0][0].as<std::string>(), "t")
        << "nothing may be applied when drift is found";
}

TEST(Migrate, APendingVersionBelowAnAppliedOneIsRefusedUnlessAllowed) {
    const std::string dsn = fresh_database();
    pg::Connection cx(dsn, "test");
    pg::apply_migrations(cx,
                         pg::parse_migrations({{"0001_create_t.sql", "CREATE TABLE t (a int);"},
                                               {"0003_create_v.sql", "CREATE TABLE v (a int);"}}));
    const auto with_late_file =
        pg::parse_migrations({{"0001_create_t.sql", "CREATE TABLE t (a int);"},
                              {"0002_create_u.sql", "CREATE TABLE u (a int);"},
                              {"0003_create_v.sql", "CREATE TABLE v (a int);"}});
    try {
        pg::apply_migrations(cx, with_late_file);
        FAIL() << "a migration numbered below an applied one must be refused";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("0002_create_u.sql"), std::string::npos)
            << error.what();
        EXPECT_NE(std::string(error.what()).find("--out-of-order"), std::string::npos)
            << error.what();
    }
    EXPECT_EQ(testing::exec(cx, "SELECT to_regclass('u') IS NULL")[0][0].as<std::string>(), "t");
    const auto applied =
        pg::apply_migrations(cx, with_late_file, pg::PendingOrder::out_of_order_allowed);
    ASSERT_EQ(applied.versioned.size(), 1u);
    EXPECT_EQ(applied.versioned[0].version, 2);
}

TEST(Migrate, FailingMigrationRollsBackAndNamesTheFile) {
    const std::string dsn = fresh_database();
    pg::Connection cx(dsn, "test");
    try {
        pg::apply_migrations(
            cx, pg::parse_migrations({{"0001_create_t.sql", "CREATE TABLE t (a int);"},
                                      {"0002_break.sql", "CREATE TABLE w (a int); SELECT 1/0;"}}));
        FAIL() << "expected the failing migration to throw";
    } catch (const pqxx::sql_error& error) {
        EXPECT_NE(std::string(error.what()).find("0002_break.sql"), std::string::npos);
        EXPECT_EQ(error.sqlstate(), "22012");
    }
    EXPECT_EQ(
        testing::exec(cx, "SELECT to_regclass('t') IS NOT NULL, to_regclass('w') IS NULL")[0][1]
            .as<std::string>(),
        "t");
    EXPECT_EQ(count(cx, "SELECT count(*) FROM etl.schema_migrations"), 1);
}

TEST(Migrate, ConcurrentRunsApplyEachMigrationOnce) {
    const std::string dsn = fresh_database();
    std::vector<util::ChildProcess> runs;
    for (int i = 0; i < 3; ++i) {
        runs.emplace_back(std::vector<std::string>{PINPIPE_BINARY, "migrate", "--dsn", dsn});
    }
    for (util::ChildProcess& run : runs) {
        EXPECT_EQ(run.wait(), 0);
    }
    pg::Connection cx(dsn, "test");
    EXPECT_EQ(count(cx, "SELECT count(*) FROM etl.schema_migrations"),
              static_cast<long long>(embedded_count));
}

TEST(Migrate, StatusListsPendingThenApplied) {
    const std::string dsn = fresh_database();
    const auto before = run_pinpipe({"migrate", "status", "--dsn", dsn});
    ASSERT_EQ(before.exit_code, 0) << before.output;
    EXPECT_NE(before.output.find("pending"), std::string::npos);
    EXPECT_NE(before.output.find("0001_create_schemas_and_roles.sql"), std::string::npos);
    EXPECT_EQ(before.output.find("    applied "), std::string::npos) << before.output;

    ASSERT_EQ(run_pinpipe({"migrate", "--dsn", dsn}).exit_code, 0);
    const auto after = run_pinpipe({"migrate", "status", "--dsn", dsn});
    ASSERT_EQ(after.exit_code, 0) << after.output;
    EXPECT_EQ(after.output.find("pending"), std::string::npos) << after.output;
    EXPECT_NE(after.output.find("    applied "), std::string::npos) << after.output;
}

// A binary that lacks a versioned migration the database has is older than the database:
// status fails naming it, as it does for a superseded repeatable (and as migrate refuses both).
TEST(Migrate, StatusOfAnOlderBinaryFailsOnAVersionOnlyTheDatabaseHas) {
    const std::filesystem::path dir = pg::make_temp_directory("pinpipe-test-older-");
    std::filesystem::copy_file(std::filesystem::path(PINPIPE_SOURCE_DIR) / "migrations" /
                                   "0001_create_schemas_and_roles.sql",
                               dir / "0001_create_schemas_and_roles.sql");
    const std::string dsn = fresh_database();
    ASSERT_EQ(run_pinpipe({"migrate", "--dsn", dsn}).exit_code, 0);
    const auto status = run_pinpipe({"migrate", "status", "--dsn", dsn, "--dir", dir.string()});
    EXPECT_EQ(status.exit_code, 1) << status.output;
    EXPECT_NE(status.output.find("unknown "), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("migrated by a newer pinpipe"), std::string::npos)
        << status.output;
}

TEST(Migrate, UnknownSubcommandAndUnreachableDatabaseFailClearly) {
    EXPECT_EQ(run_pinpipe({"migrate", "sideways"}).exit_code, 2);
    const auto unreachable =
        run_pinpipe({"migrate", "--dsn", "host=/nonexistent port=1 dbname=x connect_timeout=2"});
    EXPECT_EQ(unreachable.exit_code, 1);
    EXPECT_NE(unreachable.output.find("could not connect to PostgreSQL"), std::string::npos)
        << unreachable.output;
}

TEST(Migrate, UserWithoutCreateRoleStillMigrates) {
    // A cluster of its own, so that the pinpipe roles do not exist yet.
    pg::LocalClusterOptions options;
    options.root = pg::make_temp_directory("pinpipe-test-roles-");
    pg::LocalCluster cluster(options);
    {
        pg::Connection admin(cluster.dsn(), "test");
        testing::exec(admin, "CREATE ROLE migrator LOGIN NOCREATEROLE");
        testing::exec(admin, "CREATE DATABASE app OWNER migrator");
    }
    const std::string dsn = cluster.dsn("app") + " user=migrator";
    const auto run = run_pinpipe({"migrate", "--dsn", dsn});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("could not create role pinpipe_loader"), std::string::npos)
        << run.output;
    pg::Connection cx(dsn, "test");
    EXPECT_EQ(count(cx, "SELECT count(*) FROM etl.schema_migrations"),
              static_cast<long long>(embedded_count));
}

// Repeatable migrations ---------------------------------------------------------------------------

// Every file records itself in applications when it runs, so that a test can count the runs.
std::vector<pg::MigrationFile> repeatable_fixture(const std::string& view_sql) {
    return {{"0001_create_t.sql",
             "CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2);"
             "CREATE TABLE applications (file text);"},
            {"R__10_functions.sql",
             "CREATE OR REPLACE FUNCTION t_total() RETURNS bigint LANGUAGE sql "
             "RETURN (SELECT sum(a) FROM t);"
             "INSERT INTO applications VALUES ('R__10');"},
            {"R__20_views.sql", view_sql + "; INSERT INTO applications VALUES ('R__20');"}};
}

std::string applications(pqxx::connection_base& cx) {
    return testing::exec(cx,
                         "SELECT coalesce(string_agg(file, ',' ORDER BY file), '') "
                         "FROM applications")[0][0]
        .as<std::string>();
}

TEST(Migrate, ARepeatableIsAppliedAgainWhenItChangesAndOnlyThen) {
    const std::string dsn = fresh_database();
    pg::Connection cx(dsn, "test");
    const auto first = pg::apply_migrations(
        cx, pg::parse_migrations(
                repeatable_fixture("CREATE OR REPLACE VIEW v AS SELECT t_total() AS total")));
    ASSERT_EQ(first.versioned.size(), 1u);
    ASSERT_EQ(first.repeatable.size(), 2u);
    EXPECT_EQ(first.repeatable[0].file_name, "R__10_functions.sql");
    EXPECT_EQ(first.repeatable[1].file_name, "R__20_views.sql");
    EXPECT_EQ(applications(cx), "R__10,R__20");
    EXPECT_EQ(count(cx, "SELECT total FROM v"), 3);

    // Unchanged: nothing runs again.
    const auto unchanged = pg::apply_migrations(
        cx, pg::parse_migrations(
                repeatable_fixture("CREATE OR REPLACE VIEW v AS SELECT t_total() AS total")));
    EXPECT_TRUE(unchanged.versioned.empty());
    EXPECT_TRUE(unchanged.repeatable.empty());
    EXPECT_EQ(applications(cx), "R__10,R__20");

    // The view changes and reads a column that a new versioned migration adds in the same run:
    // the repeatable runs after it, and alone.
    auto files = repeatable_fixture(
        "CREATE OR REPLACE VIEW v AS SELECT t_total() AS total, (SELECT sum(b) FROM t) AS b");
    files.push_back({"0002_add_b.sql", "ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 10"});
    const pg::Migrations changed = pg::parse_migrations(files);
    const auto status = pg::migration_status(cx, changed);
    ASSERT_EQ(status.repeatable.size(), 2u);
    EXPECT_EQ(status.repeatable[0].state, pg::MigrationState::applied);
    EXPECT_EQ(status.repeatable[1].state, pg::MigrationState::changed);
    const auto again = pg::apply_migrations(cx, changed);
    ASSERT_EQ(again.versioned.size(), 1u);
    ASSERT_EQ(again.repeatable.size(), 1u);
    EXPECT_EQ(again.repeatable[0].file_name, "R__20_views.sql");
    EXPECT_EQ(applications(cx), "R__10,R__20,R__20");
    EXPECT_EQ(count(cx, "SELECT b FROM v"), 20);
    for (const pg::RepeatableStatus& row : pg::migration_status(cx, changed).repeatable) {
        EXPECT_EQ(row.state, pg::MigrationState::applied) << row.file_name;
    }
}

TEST(Migrate, AnOlderBinaryDoesNotPutAReplacedRepeatableBack) {
    const std::string dsn = fresh_database();
    pg::Connection cx(dsn, "test");
    const std::string older_view = "CREATE OR REPLACE VIEW v AS SELECT t_total() AS total";
    pg::apply_migrations(cx, pg::parse_migrations(repeatable_fixture(older_view)));
    pg::apply_migrations(cx, pg::parse_migrations(repeatable_fixture(
                                 "CREATE OR REPLACE VIEW v AS SELECT t_total() + 0 AS total")));
    ASSERT_EQ(applications(cx), "R__10,R__20,R__20");

    const pg::Migrations older = pg::parse_migrations(repeatable_fixture(older_view));
    const auto status = pg::migration_status(cx, older);
    ASSERT_EQ(status.repeatable.size(), 2u);
    EXPECT_EQ(status.repeatable[1].state, pg::MigrationState::superseded);
    try {
        pg::apply_migrations(cx, older);
        FAIL() << "expected the older repeatable to be refused";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("R__20_views.sql"), std::string::npos)
            << error.what();
        EXPECT_NE(std::string(error.what()).find("older"), std::string::npos) << error.what();
    }
    EXPECT_EQ(applications(cx), "R__10,R__20,R__20") << "nothing ran";
    EXPECT_EQ(testing::exec(cx, "SELECT pg_get_viewdef('v')")[0][0].as<std::string>().find("+ 0") !=
                  std::string::npos,
              true)
        << "the newer view stays";
}

TEST(Migrate, AFailingRepeatableRollsBackNamesTheFileAndStaysDue) {
    const std::string dsn = fresh_database();
    pg::Connection cx(dsn, "test");
    const pg::Migrations broken = pg::parse_migrations(
        repeatable_fixture("CREATE OR REPLACE VIEW v AS SELECT 1 AS total; SELECT 1 / 0"));
    try {
        pg::apply_migrations(cx, broken);
        FAIL() << "expected the failing repeatable to throw";
    } catch (const pqxx::sql_error& error) {
        EXPECT_NE(std::string(error.what()).find("R__20_views.sql"), std::string::npos)
            << error.what();
        EXPECT_EQ(error.sqlstate(), "22012");
    }
    EXPECT_EQ(testing::exec(cx, "SELECT to_regclass('v') IS NULL")[0][0].as<std::string>(), "t");
    EXPECT_EQ(applications(cx), "R__10") << "what ran before the failure stays";
    const auto status = pg::migration_status(cx, broken);
    ASSERT_EQ(status.repeatable.size(), 2u);
    EXPECT_EQ(status.repeatable[1].state, pg::MigrationState::pending);
}

TEST(Migrate, StatusListsRepeatablesAndMigrateReappliesTheChangedOne) {
    const std::filesystem::path dir = pg::make_temp_directory("pinpipe-test-repeatables-");
    const auto write = [&dir](const std::vector<pg::MigrationFile>& files) {
        for (const pg::MigrationFile& file : files) {
            std::ofstream(dir / file.file_name, std::ios::binary) << file.sql;
        }
    };
    write(repeatable_fixture("CREATE OR REPLACE VIEW v AS SELECT t_total() AS total"));
    const std::string dsn = fresh_database();
    const auto before = run_pinpipe({"migrate", "status", "--dsn", dsn, "--dir", dir.string()});
    ASSERT_EQ(before.exit_code, 0) << before.output;
    EXPECT_NE(before.output.find("R       pending  -                   R__20_views.sql"),
              std::string::npos)
        << before.output;
    const auto first = run_pinpipe({"migrate", "--dsn", dsn, "--dir", dir.string()});
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_NE(first.output.find("applied R__20_views.sql ("), std::string::npos) << first.output;
    EXPECT_NE(first.output.find("; 2 repeatable applied, 0 unchanged"), std::string::npos)
        << first.output;

    write(repeatable_fixture("CREATE OR REPLACE VIEW v AS SELECT 2 * t_total() AS total"));
    const auto status = run_pinpipe({"migrate", "status", "--dsn", dsn, "--dir", dir.string()});
    EXPECT_EQ(status.exit_code, 0) << "a changed repeatable is no drift: " << status.output;
    EXPECT_NE(status.output.find("R       applied "), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("R       changed "), std::string::npos) << status.output;
    const auto again = run_pinpipe({"migrate", "--dsn", dsn, "--dir", dir.string()});
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("migrate: 0 applied, 1 already applied, schema at version 0001; "
                                "1 repeatable applied, 1 unchanged"),
              std::string::npos)
        << again.output;
    pg::Connection cx(dsn, "test");
    EXPECT_EQ(count(cx, "SELECT total FROM v"), 6);
    std::filesystem::remove_all(dir);
}

// The upgrade from the last schema before repeatables --------------------------------------------

// The versioned migrations up to 0091, the last one before repeatable files existed: the schema
// of a database that pinpipe 0091 migrated.
pg::Migrations through_0091() {
    pg::Migrations before;
    for (const pg::Migration& migration : embedded.versioned) {
        if (migration.version <= 91) {
            before.versioned.push_back(migration);
        }
    }
    return before;
}

// Everything a schema dump shows of the objects in the database's own schemas, one line per
// object, sorted, with no OIDs: definitions, columns, constraints, indexes, triggers, comments
// and privileges (and those of pg_catalog's functions, which 0082 changes). pg_dump may not be
// there for the server (Debian's pg_dump 15 refuses a PostgreSQL 18 server); this is.
std::string schema_catalog(pqxx::connection_base& cx) {
    return testing::exec(cx, R"sql(
WITH ours AS (
    SELECT n.oid FROM pg_namespace n
    WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
), lines (line) AS (
    SELECT format('schema %I owner=%s acl=%s comment=%s', n.nspname, pg_get_userbyid(n.nspowner),
                  n.nspacl, obj_description(n.oid, 'pg_namespace'))
    FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM ours)
    UNION ALL
    SELECT format('relation %s kind=%s persistence=%s owner=%s acl=%s options=%s bound=%s partitioned=%s comment=%s',
                  c.oid::regclass, c.relkind, c.relpersistence, pg_get_userbyid(c.relowner),
                  c.relacl, c.reloptions, pg_get_expr(c.relpartbound, c.oid),
                  pg_get_partkeydef(c.oid), obj_description(c.oid, 'pg_class'))
    FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ours)
    UNION ALL
    SELECT format('column %s.%I #%s %s notnull=%s default=%s generated=%s identity=%s acl=%s comment=%s',
                  c.oid::regclass, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity,
                  a.attacl, col_description(c.oid, a.attnum))
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace IN (SELECT oid FROM ours) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %I on %s: %s comment=%s', con.conname, con.conrelid::regclass,
                  pg_get_constraintdef(con.oid), obj_description(con.oid, 'pg_constraint'))
    FROM pg_constraint con WHERE con.connamespace IN (SELECT oid FROM ours)
    UNION ALL
    SELECT format('index %s comment=%s', pg_get_indexdef(i.indexrelid),
                  obj_description(i.indexrelid, 'pg_class'))
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE c.relnamespace IN (SELECT oid FROM ours)
    UNION ALL
    SELECT format('view %s: %s', c.oid::regclass, pg_get_viewdef(c.oid))
    FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ours) AND c.relkind IN ('v', 'm')
    UNION ALL
    SELECT format('function %s owner=%s acl=%s comment=%s: %s', p.oid::regprocedure,
                  pg_get_userbyid(p.proowner), p.proacl, obj_description(p.oid, 'pg_proc'),
                  pg_get_functiondef(p.oid))
    FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ours)
    UNION ALL
    SELECT format('trigger %s comment=%s', pg_get_triggerdef(t.oid),
                  obj_description(t.oid, 'pg_trigger'))
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace IN (SELECT oid FROM ours) AND NOT t.tgisinternal
    UNION ALL
    SELECT format('default privileges of %s in %s on %s: %s', pg_get_userbyid(d.defaclrole),
                  d.defaclnamespace::regnamespace, d.defaclobjtype, d.defaclacl)
    FROM pg_default_acl d
    UNION ALL
    SELECT format('function %s acl=%s', p.oid::regprocedure, p.proacl)
    FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proacl IS NOT NULL
)
SELECT string_agg(line, E'\n' ORDER BY line) FROM lines)sql")[0][0]
        .as<std::string>();
}

// `pg_dump --schema-only` by the server's own pg_dump, without the random \restrict key lines;
// nullopt when the server's bin directory has no pg_dump (the PostgreSQL 18 of CI has none).
std::optional<std::string> schema_dump(const std::string& dsn) {
    const std::filesystem::path pg_dump = pg::LocalCluster::server_bin_dir() / "pg_dump";
    if (!std::filesystem::exists(pg_dump)) {
        return std::nullopt;
    }
    const util::ProcessResult run =
        util::run_process({pg_dump.string(), "--schema-only", "--no-sync", "-d", dsn});
    if (run.exit_code != 0) {
        throw std::runtime_error("pg_dump failed: " + run.output);
    }
    std::istringstream lines(run.output);
    std::string dump;
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("\\restrict") && !line.starts_with("\\unrestrict")) {
            dump += line + "\n";
        }
    }
    return dump;
}

std::string answers(pqxx::connection_base& cx) {
    std::string all;
    for (const std::string& answer : testing::answer_relations()) {
        all += answer + " " + testing::relation_contents(cx, answer) + "\n";
    }
    return all;
}

TEST(Migrate, ADatabaseAt0091WithDataUpgradesToTheSchemaOfAFreshOne) {
    const std::string upgraded_dsn = fresh_database();
    pg::Connection upgraded(upgraded_dsn, "test");
    pg::apply_migrations(upgraded, through_0091());
    // The runner of today made its bookkeeping for repeatables too; pinpipe 0091's did not.
    testing::exec(upgraded, "DROP TABLE etl.schema_repeatables");
    testing::StagingSeed seed;
    seed.events = 3000;
    testing::copy_generated_events(upgraded, seed);
    const std::string answers_before = answers(upgraded);
    ASSERT_GT(count(upgraded, "SELECT count(*) FROM analytics.top_category_per_country"), 0);

    const auto run = run_pinpipe({"migrate", "--dsn", upgraded_dsn});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(
                  fmt::format("{} repeatable applied, 0 unchanged", embedded.repeatable.size())),
              std::string::npos)
        << run.output;
    EXPECT_EQ(answers(upgraded), answers_before);
    const auto verify = run_pinpipe({"refresh", "--verify", "--dsn", upgraded_dsn});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    std::ostringstream report;
    EXPECT_NO_THROW(analytics::verify_answers_or_throw(upgraded, report)) << report.str();
    // The fold still runs: rows loaded after the upgrade reach the answers.
    seed.seed = 2;
    seed.topic_prefix = "after_upgrade";
    seed.first_timestamp_ms += 3'600'000;
    testing::copy_generated_events(upgraded, seed);
    EXPECT_NE(answers(upgraded), answers_before);
    EXPECT_NO_THROW(analytics::verify_answers_or_throw(upgraded, report)) << report.str();

    const std::string fresh_dsn = fresh_database();
    const auto fresh_run = run_pinpipe({"migrate", "--dsn", fresh_dsn});
    ASSERT_EQ(fresh_run.exit_code, 0) << fresh_run.output;
    pg::Connection fresh(fresh_dsn, "test");
    EXPECT_EQ(schema_catalog(upgraded), schema_catalog(fresh));
    if (const auto upgraded_dump = schema_dump(upgraded_dsn)) {
        EXPECT_EQ(*upgraded_dump, schema_dump(fresh_dsn).value());
    } else {
        std::cout << "no pg_dump in " << pg::LocalCluster::server_bin_dir().string()
                  << ": the schemas were compared by the catalog alone\n";
    }
}

TEST(Migrate, TheSchemaComparisonSeesACommentAndAFunctionBody) {
    // The comparison above must be able to fail: a function's body and a column's comment.
    const std::string dsn = migrated_database();
    pg::Connection cx(dsn, "test");
    const std::string before = schema_catalog(cx);
    testing::exec(cx, "COMMENT ON COLUMN monitoring.freshness.topic IS 'changed'");
    const std::string commented = schema_catalog(cx);
    EXPECT_NE(commented, before);
    testing::exec(cx,
                  "CREATE OR REPLACE FUNCTION clean.age_group_lower_bound(age_group text) "
                  "RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 0");
    EXPECT_NE(schema_catalog(cx), commented);
}

}  // namespace
}  // namespace pinpipe
