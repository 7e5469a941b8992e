// What a BI tool sees (issue #18): a login role made as docs/analytics.md says (`CREATE ROLE …
// LOGIN IN ROLE pinpipe_reader`) connects through the PostgreSQL ODBC driver that BI tools load
// (unixODBC's isql, Debian packages odbc-postgresql and unixodbc), reads the nine answers,
// clean.* and monitoring.*, and is refused staging.* and etl.*.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "support/harness.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

namespace fs = std::filesystem;

// The Unicode build of psqlODBC, by path, so that no odbcinst.ini entry is needed.
const fs::path odbc_driver = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so";

// Whether isql printed a row (or a message) that is exactly line.
bool has_line(const std::string& output, const std::string& line) {
    std::istringstream lines(output);
    std::string each;
    while (std::getline(lines, each)) {
        if (each == line) {
            return true;
        }
    }
    return false;
}

std::string database_of(const std::string& dsn) {
    const size_t at = dsn.find("dbname=");
    return dsn.substr(at + std::string("dbname=").size());
}

class BiLogin : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!fs::exists(odbc_driver) ||
            util::run_process({"sh", "-c", "command -v isql"}).exit_code != 0) {
            GTEST_FAIL() << "the PostgreSQL ODBC driver or isql is missing: install the Debian "
                            "packages odbc-postgresql and unixodbc (.ci/packages.txt)";
        }
        m_dsn = testing::migrated_database();
        pg::Connection cx(m_dsn, "bi_login_test");
        // One pin, its geolocation and its user, as pinpipe load would stage them.
        testing::exec(
            cx,
            "INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, "
            "kafka_timestamp, payload) VALUES ('t.pin', 0, 0, now(), '{\"index\": 7, "
            "\"category\": \"art\", \"follower_count\": \"7k\", \"poster_name\": \"Ann\"}')");
        testing::exec(
            cx,
            "INSERT INTO staging.geo_events (kafka_topic, kafka_partition, kafka_offset, "
            "kafka_timestamp, payload) VALUES ('t.geo', 0, 0, now(), '{\"ind\": 7, \"country\": "
            "\"Chad\", \"timestamp\": \"2020-05-01 10:00:00\", \"latitude\": 1, \"longitude\": "
            "2}')");
        testing::exec(
            cx,
            "INSERT INTO staging.user_events (kafka_topic, kafka_partition, kafka_offset, "
            "kafka_timestamp, payload) VALUES ('t.user', 0, 0, now(), '{\"ind\": 7, "
            "\"first_name\": \"Ann\", \"last_name\": \"Lee\", \"age\": 30, \"date_joined\": "
            "\"2017-01-01 00:00:00\"}')");
        m_work = pg::make_temp_directory("pinpipe-odbc-");
    }
    void TearDown() override {
        if (!m_work.empty()) {
            fs::remove_all(m_work);
        }
    }

    // Runs one statement through isql in batch mode as role; returns its output (rows as
    // `a|b|c`, errors as `[SQLSTATE]…` lines).
    std::string isql(const std::string& role, const std::string& sql) {
        const fs::path script = m_work / "statement.sql";
        std::ofstream(script) << sql << "\n";
        const std::string connection =
            fmt::format("Driver={};Servername={};Port={};Database={};Uid={};Pwd=bi-secret",
                        odbc_driver.string(), testing::test_cluster().socket_directory().string(),
                        testing::test_cluster().port(), database_of(m_dsn), role);
        const util::ProcessResult run =
            util::run_process({"sh", "-c", "isql -b -v -d'|' -k \"$1\" < \"$2\"", "isql",
                               connection, script.string()});
        return run.output;
    }

    std::string m_dsn;
    fs::path m_work;
};

TEST_F(BiLogin, ReadsTheNineAnswersCleanAndMonitoringThroughOdbc) {
    const std::string role = testing::create_reader_login();
    for (const char* answer :
         {"top_category_per_country", "top_category_per_year", "most_followed_user_per_country",
          "country_with_most_followed_user", "top_category_per_age_group",
          "median_followers_per_age_group", "users_joined_per_year",
          "median_followers_per_join_year", "median_followers_per_join_year_and_age_group"}) {
        const std::string output =
            isql(role, fmt::format("SELECT count(*) FROM analytics.{}", answer));
        EXPECT_EQ(output.find("ERROR"), std::string::npos) << answer << ":\n" << output;
        EXPECT_TRUE(has_line(output, "1")) << answer << " should hold the one staged event:\n"
                                           << output;
    }
    EXPECT_TRUE(
        has_line(isql(role, "SELECT country, category FROM analytics.top_category_per_country"),
                 "Chad|art"));
    for (const char* table : {"clean.pins", "clean.geolocations", "clean.users"}) {
        const std::string output = isql(role, fmt::format("SELECT ind FROM {}", table));
        EXPECT_TRUE(has_line(output, "7")) << table << ":\n" << output;
    }
    const std::string health = isql(role, "SELECT count(*) FROM monitoring.load_runs");
    EXPECT_TRUE(has_line(health, "0")) << health;
}

TEST_F(BiLogin, IsRefusedStagingAndEtl) {
    const std::string role = testing::create_reader_login();
    for (const char* table : {"staging.pin_events", "staging.geo_events", "staging.user_events",
                              "etl.dead_letters", "etl.consumer_offsets", "etl.load_runs"}) {
        const std::string output = isql(role, fmt::format("SELECT count(*) FROM {}", table));
        EXPECT_NE(output.find("[42501]"), std::string::npos)
            << table << " should be refused (insufficient_privilege):\n"
            << output;
    }
    EXPECT_NE(isql(role, "DELETE FROM realtime.poster_popularity").find("[42501]"),
              std::string::npos)
        << "the reader must not write";
}

TEST_F(BiLogin, ExistingRolesGetTheReaderRightsByOneGrant) {
    const std::string role = testing::unique_name("bi_existing");
    {
        pg::Connection cx(testing::test_cluster().dsn(), "bi_login_test");
        testing::exec(cx, fmt::format("CREATE ROLE {} LOGIN", role));
    }
    EXPECT_NE(isql(role, "SELECT count(*) FROM clean.pins").find("[42501]"), std::string::npos)
        << "a login without the grant reads nothing";
    {
        pg::Connection cx(testing::test_cluster().dsn(), "bi_login_test");
        testing::exec(cx, fmt::format("GRANT pinpipe_reader TO {}", role));
    }
    EXPECT_TRUE(has_line(isql(role, "SELECT count(*) FROM clean.pins"), "1"));
}

TEST_F(BiLogin, TheReaderGroupItselfCannotLogIn) {
    const std::string output = isql("pinpipe_reader", "SELECT 1");
    EXPECT_NE(output.find("not permitted to log in"), std::string::npos) << output;
}

}  // namespace
}  // namespace pinpipe
