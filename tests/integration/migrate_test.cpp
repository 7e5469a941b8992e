// pinpipe migrate against a real throwaway PostgreSQL: fresh database, idempotence, drift,
// concurrency, status, and a migrating user who may not create roles.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "pg/connection.hpp"
#include "pg/migrations.hpp"
#include "support/harness.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

using testing::fresh_database;
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

}  // namespace
}  // namespace pinpipe
