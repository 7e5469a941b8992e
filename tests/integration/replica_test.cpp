// BI on a read replica: the harness starts a hot standby of its PostgreSQL with pg_basebackup -R,
// pinpipe loads into the primary, and the nine answers read on the standby (as pinpipe_reader,
// as a BI tool would) are the primary's. status --replica-dsn reports the standby's lag.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kafka/mock_cluster.hpp"
#include "pg/connection.hpp"
#include "support/harness.hpp"

namespace pinpipe {
namespace {

using testing::run_pinpipe;

TEST(ReadReplica, AnswersLoadedIntoThePrimaryAreReadOnTheStandby) {
    const std::string database_dsn = testing::migrated_database();
    const std::unique_ptr<pg::LocalCluster> standby =
        testing::start_standby(testing::test_cluster());
    // The same database name on the standby: everything of the primary is replicated.
    const std::string dbname = database_dsn.substr(database_dsn.rfind("dbname=") + 7);
    const std::string standby_dsn = standby->dsn(dbname);

    kafka::MockCluster kafka;
    const std::string prefix = testing::unique_name("replica");
    for (const char* kind : {"pin", "geo", "user"}) {
        kafka.create_topic(fmt::format("{}.{}", prefix, kind), 2);
    }
    const std::vector<std::string> connection = {
        "--dsn", database_dsn, "-b", kafka.bootstrap_servers(), "--topic-prefix", prefix};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.end(), connection.begin(), connection.end());
        return args;
    };
    const auto emulate = run_pinpipe(with({"emulate", "--count", "2000", "--seed", "14"}));
    ASSERT_EQ(emulate.exit_code, 0) << emulate.output;
    const auto load = run_pinpipe(with({"load"}));
    ASSERT_EQ(load.exit_code, 0) << load.output;

    testing::wait_for_replay(database_dsn, standby_dsn);
    pg::Connection primary(database_dsn, "replica_test");
    pg::Connection replica(standby_dsn, "replica_test");
    EXPECT_EQ(testing::exec(replica, "SELECT pg_is_in_recovery()")[0][0].as<std::string>(), "t");
    testing::exec(replica, "SET ROLE pinpipe_reader");
    for (const std::string& answer : testing::answer_relations()) {
        const std::string on_primary = testing::relation_contents(primary, answer);
        EXPECT_NE(on_primary.rfind("0:", 0), 0U) << answer << " is empty";
        EXPECT_EQ(testing::relation_contents(replica, answer), on_primary) << answer;
    }
    EXPECT_THROW(testing::exec(replica, "SELECT count(*) FROM staging.pin_events"), pqxx::sql_error)
        << "the reader role reads no staging, on the standby too";

    const auto status = run_pinpipe(
        with({"status", "--json", "--replica-dsn", standby_dsn, "--max-replica-lag-s", "60"}));
    ASSERT_EQ(status.exit_code, 0) << status.output;
    const nlohmann::json report = nlohmann::json::parse(status.output);
    EXPECT_EQ(report["replica"]["in_recovery"], true) << status.output;
    EXPECT_GE(report["replica"]["lag_bytes"].get<int64_t>(), 0) << status.output;

    const auto text = run_pinpipe(with({"status", "--replica-dsn", standby_dsn}));
    ASSERT_EQ(text.exit_code, 0) << text.output;
    EXPECT_NE(text.output.find("replay lag: "), std::string::npos) << text.output;

    // The primary is no standby: a lag threshold against it fails, naming why.
    const auto wrong =
        run_pinpipe(with({"status", "--replica-dsn", database_dsn, "--max-replica-lag-s", "60"}));
    EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
    EXPECT_NE(wrong.output.find("is not a standby"), std::string::npos) << wrong.output;
}

}  // namespace
}  // namespace pinpipe
