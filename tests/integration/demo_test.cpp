// pinpipe demo end to end, as the README's first command runs it (with a small workload): its own
// PostgreSQL under ./.pinpipe of a temporary working directory, the mock Kafka cluster, emulate,
// load --follow, stream, refresh, and the nine answers printed.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "support/harness.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

// The analytics answers the migrations define (views, the *_mv names of old dashboards aside),
// from the catalog, so that a new answer must appear in the demo too.
std::vector<std::string> analytics_views() {
    pg::Connection cx(testing::migrated_database(), "demo_test");
    const pqxx::result views =
        testing::exec(cx,
                      "SELECT viewname FROM pg_views WHERE schemaname = 'analytics' "
                      "AND viewname NOT LIKE '%\\_mv' ORDER BY 1");
    std::vector<std::string> names;
    for (size_t row = 0; row < views.size(); ++row) {
        names.emplace_back(views[row][0].as<std::string>());
    }
    return names;
}

class DemoTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_directory = pg::make_temp_directory("pinpipe-demo-test");
        // As root the demo's server runs as postgres, which must reach the cluster directory.
        std::filesystem::permissions(m_directory, std::filesystem::perms::all);
    }
    void TearDown() override {
        demo({"--stop"});
        std::filesystem::remove_all(m_directory);
    }

    util::ProcessResult demo(std::vector<std::string> args) const {
        args.insert(args.begin(), {PINPIPE_BINARY, "demo", "--pg-port", "55441"});
        return util::run_process(args, m_directory);
    }

    std::filesystem::path m_directory;
};

TEST_F(DemoTest, RunsThePipelineAndPrintsTheNineAnswersTwice) {
    for (int run = 0; run < 2; ++run) {
        const util::ProcessResult result = demo({"--events", "2000", "--rate", "0"});
        ASSERT_EQ(result.exit_code, 0) << result.output;
        EXPECT_NE(result.output.find("loaded 6000/6000 messages, streamed 6000/6000"),
                  std::string::npos)
            << result.output;
        const std::vector<std::string> views = analytics_views();
        ASSERT_EQ(views.size(), 9u);
        for (const std::string& view : views) {
            const std::string heading = "analytics." + view + " (";
            const size_t at = result.output.find(heading);
            ASSERT_NE(at, std::string::npos) << view << "\n" << result.output;
            // "(N rows": a table with at least one row.
            const long rows = std::stol(result.output.substr(at + heading.size()));
            EXPECT_GT(rows, 0) << view;
        }
        EXPECT_NE(result.output.find("top categories by posts"), std::string::npos);
        EXPECT_NE(result.output.find("staging: 2000 pins, 2000 geolocations, 2000 users"),
                  std::string::npos)
            << result.output;
        EXPECT_NE(result.output.find("psql \"host="), std::string::npos);
    }
}

TEST_F(DemoTest, RejectsAWorkloadItCannotWaitFor) {
    const util::ProcessResult result = demo({"--events", "0"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.output.find("--events must be positive"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace pinpipe
