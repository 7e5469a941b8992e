// Runs the pgTAP tests of tests/sql/ with pg_prove, each file against its own freshly migrated
// database of the harness cluster (with the pgtap extension). Each file is one test here, so a
// failure names the file and shows pg_prove's report.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "pg/migrations.hpp"
#include "support/harness.hpp"
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

INSTANTIATE_TEST_SUITE_P(TestsSql, PgTap, ::testing::ValuesIn(pgtap_files()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                             std::string name = fs::path(param.param).stem().string();
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

}  // namespace
}  // namespace pinpipe
