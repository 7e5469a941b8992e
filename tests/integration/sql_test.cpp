// Runs the pgTAP tests of tests/sql/ with pg_prove, each file against its own freshly migrated
// database of the harness cluster (with the pgtap extension). Each file is one test here, so a
// failure names the file and shows pg_prove's report.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "pg/migrations.hpp"
#include "support/harness.hpp"
#include "support/staging_seed.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> pgtap_files() {
    std::vector<std::string> files;
    for (const auto& entry :
         fs::directory_iterator(fs::path(PINPIPE_SOURCE_DIR) / "tests" / "sql")) {
        if (entry.path().extension() == ".sql") {
            files.push_back(entry.path().filename().string());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

class PgTap : public ::testing::TestWithParam<std::string> {};

TEST_P(PgTap, FilePasses) {
    const std::string database = testing::unique_name("pgtap");
    testing::test_cluster().create_database(database);
    {
        pg::Connection cx(testing::test_cluster().dsn(database), "sql_test");
        pg::apply_migrations(cx, pg::parse_migrations(pg::embedded_migrations()));
        testing::exec(cx, "CREATE EXTENSION pgtap");
    }
    const fs::path file = fs::path(PINPIPE_SOURCE_DIR) / "tests" / "sql" / GetParam();
    const util::ProcessResult run = util::run_process(
        {"pg_prove", "--verbose", "-h", testing::test_cluster().socket_directory().string(), "-p",
         std::to_string(testing::test_cluster().port()), "-U", "postgres", "-d", database,
         file.string()});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("Result: PASS"), std::string::npos) << run.output;
}

TEST(PgTapFiles, CoverFunctionsViewsAnalyticsLiveStateAndGrants) {
    const std::vector<std::string> files = pgtap_files();
    for (const char* expected : {"cleaning_functions.sql", "clean_views.sql", "analytics_views.sql",
                                 "live_analytics.sql", "grants.sql", "least_privilege.sql"}) {
        EXPECT_NE(std::find(files.begin(), files.end(), expected), files.end()) << expected;
    }
}

// The ad-hoc queries of sql/ as an analyst runs them with psql, on a database with events loaded:
// each must run without an error, and those that read the events must print rows. The
// create_*login.sql scripts need variables and are run by the login tests.
TEST(AdHocQueries, EveryQueryOfSqlRunsOnALoadedDatabase) {
    const std::string dsn = testing::migrated_database();
    {
        pg::Connection cx(dsn, "sql_test");
        testing::StagingSeed seed;
        seed.events = 300;
        seed.first_timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count() -
                                  3'600'000;  // an hour ago: within pipeline_freshness's window
        testing::copy_generated_events(cx, seed);
    }
    size_t queries = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(PINPIPE_SOURCE_DIR) / "sql")) {
        const fs::path file = entry.path();
        if (file.extension() != ".sql" || file.filename().string().starts_with("create_")) {
            continue;
        }
        ++queries;
        const util::ProcessResult run =
            util::run_process({(pg::LocalCluster::server_bin_dir() / "psql").string(), "-X", "-v",
                               "ON_ERROR_STOP=1", "-d", dsn, "-f", file.string()});
        EXPECT_EQ(run.exit_code, 0) << file.filename() << ": " << run.output;
        // The pipeline_* queries read dead letters, load runs and offsets, which a seeded
        // database has none of; the answers and freshness read the events.
        if (!file.filename().string().starts_with("pipeline_") ||
            file.filename() == "pipeline_freshness.sql") {
            EXPECT_EQ(run.output.find("(0 rows)"), std::string::npos)
                << file.filename() << ": " << run.output;
        }
    }
    EXPECT_GE(queries, 14u);
}

INSTANTIATE_TEST_SUITE_P(TestsSql, PgTap, ::testing::ValuesIn(pgtap_files()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                             std::string name = fs::path(param.param).stem().string();
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

}  // namespace
}  // namespace pinpipe
