// pinpipe dlq against a real Postgres and librdkafka's mock cluster: dead letters made by a real
// load, replay moving exactly the rows that now pass (and nothing lost), filters, purge.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kafka/client.hpp"
#include "kafka/mock_cluster.hpp"
#include "pg/connection.hpp"
#include "support/harness.hpp"
#include "support/pipeline_test.hpp"

namespace pinpipe {
namespace {

using namespace std::chrono_literals;
using testing::run_pinpipe;

// A pin whose value is about `bytes` long.
std::string pin_of_size(int ind, size_t bytes) {
    const std::string head = fmt::format(R"({{"index": {}, "title": ")", ind);
    return head + std::string(bytes - head.size() - 2, 'x') + "\"}";
}

class DlqTest : public testing::PipelineTest {
  protected:
    DlqTest() : PipelineTest("dlq", 1) {}

    void SetUp() override {
        // Offsets 0..5 of <prefix>.pin; loaded with a 2,000-byte limit: 1 and 5 pass, 2 and 4
        // are too large (3,000 and 6,000 bytes), 3 is not JSON, 0 is not an object.
        produce({"[1]", R"({"index": 1})", pin_of_size(2, 3000), "not json", pin_of_size(4, 6000),
                 R"({"index": 5})"});
        const auto run = run_pinpipe(with_connection({"load", "--max-message-bytes", "2000"}));
        ASSERT_EQ(run.exit_code, 0) << run.output;
        ASSERT_EQ(query_number("SELECT count(*) FROM etl.dead_letters"), 4);
    }

    void produce(const std::vector<std::string>& values) const {
        std::vector<std::pair<std::string, std::string>> messages;
        for (size_t i = 0; i < values.size(); ++i) {
            messages.emplace_back(fmt::format("key{}", i), values[i]);
        }
        PipelineTest::produce(topic("pin"), 0, messages);
    }

    testing::PinpipeRun dlq(std::vector<std::string> args) const {
        args.insert(args.begin(), "dlq");
        args.push_back("--dsn");
        args.push_back(m_dsn);
        args.push_back("--topic-prefix");
        args.push_back(m_prefix);
        return run_pinpipe(args);
    }

    nlohmann::json dlq_json(std::vector<std::string> args) const {
        args.push_back("--json");
        const auto run = dlq(std::move(args));
        EXPECT_EQ(run.exit_code, 0) << run.output;
        return nlohmann::json::parse(run.output);
    }

    std::string text(const std::string& sql) const {
        pg::Connection cx(m_dsn, "dlq_test");
        return testing::exec(cx, sql)[0][0].as<std::string>();
    }

    // Offsets of <prefix>.pin in etl.dead_letters, as "2,3,4".
    std::string dead_offsets() const {
        return text(
            "SELECT coalesce(string_agg(\"offset\"::text, ',' ORDER BY \"offset\"), '') FROM "
            "etl.dead_letters");
    }
    std::string staged_offsets() const {
        return text(
            "SELECT coalesce(string_agg(kafka_offset::text, ',' ORDER BY kafka_offset), '') "
            "FROM staging.pin_events");
    }
};

TEST_F(DlqTest, ReplayMovesExactlyTheRowsThatNowPassAndKeepsTheRest) {
    ASSERT_EQ(staged_offsets(), "1,5");
    ASSERT_EQ(dead_offsets(), "0,2,3,4");
    const std::string dead_timestamp =
        text("SELECT kafka_timestamp::text FROM etl.dead_letters WHERE \"offset\" = 2");

    const nlohmann::json outcome = dlq_json({"replay", "--max-message-bytes", "4000"});
    EXPECT_EQ(outcome.at("selected"), 4);
    EXPECT_EQ(outcome.at("moved").at("pin"), 1);
    EXPECT_EQ(outcome.at("moved").at("total"), 1);
    EXPECT_EQ(outcome.at("still_bad").at("too_large"), 1);
    EXPECT_EQ(outcome.at("still_bad").at("invalid_json"), 1);
    EXPECT_EQ(outcome.at("still_bad").at("not_object"), 1);

    // Every message is in exactly one of the two tables.
    EXPECT_EQ(staged_offsets(), "1,2,5");
    EXPECT_EQ(dead_offsets(), "0,3,4");
    // The moved row is what load would have written: payload, key, timestamp.
    EXPECT_EQ(text("SELECT payload->>'index' FROM staging.pin_events WHERE kafka_offset = 2"), "2");
    EXPECT_EQ(text("SELECT payload = $$" + pin_of_size(2, 3000) +
                   "$$::jsonb FROM staging.pin_events WHERE kafka_offset = 2"),
              "t");
    EXPECT_EQ(text("SELECT convert_from(kafka_key, 'UTF8') FROM staging.pin_events WHERE "
                   "kafka_offset = 2"),
              "key2");
    EXPECT_EQ(text("SELECT kafka_timestamp::text FROM staging.pin_events WHERE kafka_offset = 2"),
              dead_timestamp);
    // The rows that stayed were not rewritten.
    EXPECT_EQ(text("SELECT reason FROM etl.dead_letters WHERE \"offset\" = 4"), "too_large");
    // The replayed pin reached the live state in the same transaction, and the answers hold.
    EXPECT_EQ(text("SELECT count(*) FROM clean.pins WHERE ind = 2"), "1");
    const testing::PinpipeRun verify = testing::run_pinpipe({"refresh", "--dsn", m_dsn});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;

    // Replaying again with the same limit moves nothing more.
    const auto again = dlq({"replay", "--max-message-bytes", "4000"});
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("3 selected, 0 moved to staging"), std::string::npos)
        << again.output;
    EXPECT_EQ(staged_offsets(), "1,2,5");
}

// Drift fixed: replay waited without bound for the fold lock that a hung load held.
TEST_F(DlqTest, AFoldLockHeldElsewhereFailsTheReplayAfterLockTimeoutChangingNothing) {
    pg::Connection holder(m_dsn, "holds_the_fold_lock");
    pqxx::work holding(holder);
    const long long holder_pid = holding.exec1("SELECT pg_backend_pid()")[0].as<long long>();
    holding.exec("SELECT analytics.lock_live_state()");

    const auto run = dlq({"replay", "--max-message-bytes", "4000", "--lock-timeout-ms", "200"});
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find(fmt::format("fold lock, held by pid {}", holder_pid)),
              std::string::npos)
        << run.output;
    holding.abort();
    EXPECT_EQ(staged_offsets(), "1,5");
    EXPECT_EQ(dead_offsets(), "0,2,3,4");
    EXPECT_EQ(dlq({"purge", "--before", "1d", "--lock-timeout-ms", "200"}).exit_code, 2);
}

TEST_F(DlqTest, AReplayedRowPostgresStillRejectsStaysADeadLetterAndTheOthersMove) {
    // A constraint a DBA might add: a title over 5,000 characters must be a number, and casting
    // x… to int is a data exception (SQLSTATE 22P02). Offset 4 (6,000 bytes) now fails it,
    // offset 2 (3,000 bytes) does not; the validator lets both through.
    {
        pg::Connection admin(m_dsn, "dlq_test");
        testing::exec(admin,
                      "ALTER TABLE staging.pin_events ADD CONSTRAINT long_titles_are_numbers "
                      "CHECK (CASE WHEN length(payload ->> 'title') > 5000 "
                      "THEN (payload ->> 'title')::int > 0 ELSE true END)");
    }
    const auto run = dlq({"replay", "--max-message-bytes", "10000"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("4 selected, 1 moved to staging (pin 1, geo 0, user 0), 3 still bad "
                              "(invalid_json 1, not_object 1, rejected_by_postgres 1)"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("PostgreSQL rejected a COPY into staging"), std::string::npos)
        << run.output;
    // Every message is in exactly one of the two tables; the rejected one with PostgreSQL's word.
    EXPECT_EQ(staged_offsets(), "1,2,5");
    EXPECT_EQ(dead_offsets(), "0,3,4");
    EXPECT_EQ(text("SELECT reason FROM etl.dead_letters WHERE \"offset\" = 4"),
              "rejected_by_postgres");
    EXPECT_NE(text("SELECT error FROM etl.dead_letters WHERE \"offset\" = 4")
                  .find("invalid input syntax for type integer"),
              std::string::npos);
    EXPECT_EQ(text("SELECT length(payload) FROM etl.dead_letters WHERE \"offset\" = 4"), "6000");
    const testing::PinpipeRun verify = testing::run_pinpipe({"refresh", "--dsn", m_dsn});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(DlqTest, DryRunReportsAndChangesNothing) {
    const auto run = dlq({"replay", "--max-message-bytes", "10000", "--dry-run"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("4 selected, 2 would move to staging (pin 2, geo 0, user 0), 2 still "
                              "bad"),
              std::string::npos)
        << run.output;
    EXPECT_EQ(staged_offsets(), "1,5");
    EXPECT_EQ(dead_offsets(), "0,2,3,4");
}

TEST_F(DlqTest, ReplayHonoursFiltersAndLimit) {
    // Only invalid_json is selected: nothing passes, too_large rows are not even looked at.
    const nlohmann::json invalid =
        dlq_json({"replay", "--reason", "invalid_json", "--max-message-bytes", "10000"});
    EXPECT_EQ(invalid.at("selected"), 1);
    EXPECT_EQ(invalid.at("moved").at("total"), 0);
    EXPECT_EQ(dead_offsets(), "0,2,3,4");

    // The oldest one of the too_large ones.
    const nlohmann::json oldest = dlq_json(
        {"replay", "--reason", "too_large", "--limit", "1", "--max-message-bytes", "10000"});
    EXPECT_EQ(oldest.at("moved").at("total"), 1);
    EXPECT_EQ(staged_offsets(), "1,2,5");

    // Another topic: nothing there.
    EXPECT_EQ(dlq_json({"replay", "--topic", "geo", "--max-message-bytes", "10000"}).at("selected"),
              0);
    // Failed in the future: nothing.
    EXPECT_EQ(dlq_json({"replay", "--since", "2999-01-01", "--max-message-bytes", "10000"})
                  .at("selected"),
              0);
    EXPECT_EQ(dead_offsets(), "0,3,4");
}

TEST_F(DlqTest, ReplayTouchesOnlyTheGroupAsked) {
    // The stream group dead-lettered the same too-large message; stream's dead letters are not
    // staging's to take.
    exec(fmt::format(
        "INSERT INTO etl.dead_letters (consumer, topic, partition, \"offset\", payload, reason, "
        "error) SELECT 'pinpipe-stream', topic, partition, \"offset\", payload, reason, error "
        "FROM etl.dead_letters WHERE \"offset\" = 2"));
    const nlohmann::json outcome = dlq_json({"replay", "--max-message-bytes", "4000"});
    EXPECT_EQ(outcome.at("selected"), 4);
    EXPECT_EQ(
        query_number("SELECT count(*) FROM etl.dead_letters WHERE consumer = 'pinpipe-stream'"), 1);

    const nlohmann::json stream =
        dlq_json({"replay", "--group", "pinpipe-stream", "--max-message-bytes", "4000"});
    EXPECT_EQ(stream.at("selected"), 1);
    // Its row is in staging already (moved from the load group's dead letter): it is removed from
    // the dead letters and staging keeps one copy.
    EXPECT_EQ(stream.at("already_staged"), 1);
    EXPECT_EQ(stream.at("moved").at("total"), 0);
    EXPECT_EQ(
        query_number("SELECT count(*) FROM etl.dead_letters WHERE consumer = 'pinpipe-stream'"), 0);
    EXPECT_EQ(staged_offsets(), "1,2,5");
}

TEST_F(DlqTest, ListShowsCoordinatesReasonErrorAndSize) {
    const auto run = dlq({"list"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("too_large"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("6,000"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("dlq list: 4 of 4 matching dead letters shown"), std::string::npos)
        << run.output;

    const nlohmann::json doc = dlq_json({"list", "--reason", "too_large", "--limit", "1"});
    EXPECT_EQ(doc.at("total"), 2);
    ASSERT_EQ(doc.at("dead_letters").size(), 1u);
    const nlohmann::json& newest = doc.at("dead_letters").at(0);
    EXPECT_EQ(newest.at("offset"), 4);  // newest first
    EXPECT_EQ(newest.at("topic"), m_prefix + ".pin");
    EXPECT_EQ(newest.at("partition"), 0);
    EXPECT_EQ(newest.at("consumer"), "pinpipe-load");
    EXPECT_EQ(newest.at("key"), "key4");
    EXPECT_EQ(newest.at("payload_bytes"), 6000);
    EXPECT_FALSE(newest.at("error").get<std::string>().empty());

    exec("UPDATE etl.dead_letters SET failed_at = now() - interval '3 days' WHERE \"offset\" = 0");
    EXPECT_EQ(dlq_json({"list", "--since", "1d"}).at("total"), 3);
    EXPECT_EQ(dlq_json({"list", "--until", "1d"}).at("total"), 1);
    EXPECT_EQ(
        dlq_json({"list", "--topic", m_prefix + ".pin", "--group", "pinpipe-load"}).at("total"), 4);
    EXPECT_EQ(dlq_json({"list", "--group", "pinpipe-stream"}).at("total"), 0);
}

TEST_F(DlqTest, PurgeDeletesOnlyWhatIsAsked) {
    const auto without = dlq({"purge"});
    EXPECT_EQ(without.exit_code, 2);
    EXPECT_NE(without.output.find("needs --before"), std::string::npos) << without.output;
    EXPECT_EQ(dead_offsets(), "0,2,3,4");

    exec(
        "UPDATE etl.dead_letters SET failed_at = now() - interval '10 days' WHERE \"offset\" IN "
        "(0, 2)");
    const auto dry = dlq({"purge", "--before", "7d", "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.output;
    EXPECT_NE(dry.output.find("would delete 2 dead letters"), std::string::npos) << dry.output;
    EXPECT_EQ(dead_offsets(), "0,2,3,4");

    const auto narrow = dlq({"purge", "--before", "7d", "--reason", "too_large"});
    ASSERT_EQ(narrow.exit_code, 0) << narrow.output;
    EXPECT_NE(narrow.output.find("deleted 1 dead letters that failed before 7d"), std::string::npos)
        << narrow.output;
    EXPECT_EQ(dead_offsets(), "0,3,4");

    const nlohmann::json all = dlq_json({"purge", "--before", "2999-01-01"});
    EXPECT_EQ(all.at("purged"), 3);
    EXPECT_EQ(dead_offsets(), "");
    EXPECT_EQ(staged_offsets(), "1,5");  // staging is never touched
}

TEST_F(DlqTest, BadUsageIsRefusedBeforeAnythingChanges) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{},
                                                 {"frobnicate"},
                                                 {"list", "--reason", "bogus"},
                                                 {"list", "--since", "yesterday-ish"},
                                                 {"purge", "--before", "not a time"},
                                                 {"purge", "--since", "1d", "--before", "1d"},
                                                 {"list", "--before", "1d"},
                                                 {"list", "--dry-run"},
                                                 {"purge", "--before", "1d", "--limit", "3"},
                                                 {"replay", "--max-message-bytes", "0"}}) {
        const auto run = dlq(args);
        EXPECT_EQ(run.exit_code, 2)
            << fmt::format("{}", fmt::join(args, " ")) << ": " << run.output;
        EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
    }
    EXPECT_EQ(dead_offsets(), "0,2,3,4");
}

}  // namespace
}  // namespace pinpipe
