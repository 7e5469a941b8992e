// pinpipe load against a real Postgres and librdkafka's mock cluster: exact counts, dead letters,
// and no loss or duplicate across SIGKILL, concurrent loaders, broker and Postgres outages.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "kafka/client.hpp"
#include "kafka/mock_cluster.hpp"
#include "obs/failpoints.hpp"
#include "pg/connection.hpp"
#include "support/faults.hpp"
#include "support/harness.hpp"
#include "support/pipeline_test.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

using testing::read_file;

using namespace std::chrono_literals;
using testing::run_pinpipe;

constexpr const char* kinds[] = {"pin", "geo", "user"};

class LoadTest : public testing::PipelineTest {
  protected:
    LoadTest() : PipelineTest("load", 6) {}

    testing::PinpipeRun load(std::vector<std::string> extra = {}) const {
        extra.insert(extra.begin(), "load");
        return run_pinpipe(with_connection(std::move(extra)));
    }

    util::ChildProcess start_load(std::vector<std::string> extra = {},
                                  const std::string& failpoints = "") const {
        return start("load", std::move(extra), failpoints);
    }

    long long staged(const char* kind) const {
        return query_number(fmt::format("SELECT count(*) FROM staging.{}_events", kind));
    }

    // Every table holds exactly `expected` rows: with the unique key on (topic, partition,
    // offset) and exactly `expected` messages per topic, that is no loss and no duplicate.
    void expect_exactly(long long expected) const {
        for (const char* kind : kinds) {
            EXPECT_EQ(staged(kind), expected) << kind;
        }
        EXPECT_EQ(query_number("SELECT count(*) FROM etl.dead_letters"), 0);
        // Stored offsets are one past the last loaded message of each partition.
        EXPECT_EQ(
            query_number("SELECT count(*) FROM etl.consumer_offsets o WHERE next_offset <> "
                         "(SELECT coalesce(max(kafka_offset) + 1, 0) FROM ("
                         "  SELECT kafka_topic, kafka_partition, kafka_offset "
                         "  FROM staging.pin_events UNION ALL "
                         "  SELECT kafka_topic, kafka_partition, kafka_offset "
                         "  FROM staging.geo_events UNION ALL "
                         "  SELECT kafka_topic, kafka_partition, kafka_offset "
                         "  FROM staging.user_events) s "
                         " WHERE s.kafka_topic = o.topic AND s.kafka_partition = o.partition)"),
            0);
    }
};

TEST_F(LoadTest, LoadsEveryMessageOnceAndASecondRunLoadsNothing) {
    emulate(3000, 1);
    const auto first = load();
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_NE(first.output.find("load: 3000 pin, 3000 geo, 3000 user rows, 0 dead letters"),
              std::string::npos)
        << first.output;
    expect_exactly(3000);

    const auto second = load();
    ASSERT_EQ(second.exit_code, 0) << second.output;
    EXPECT_NE(second.output.find("load: 0 pin, 0 geo, 0 user rows"), std::string::npos)
        << second.output;
    expect_exactly(3000);
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.load_runs WHERE outcome = 'ok' AND "
                           "finished_at IS NOT NULL AND pin_rows + geo_rows + user_rows IN (0, "
                           "9000)"),
              2);
}

TEST_F(LoadTest, RefreshOptionVerifiesTheLiveAnalyticsAfterLoading) {
    emulate(500, 9);
    const auto run = load({"--refresh"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("refresh: all 9 analytics answers equal their recomputation"),
              std::string::npos)
        << run.output;
    EXPECT_GT(query_number("SELECT count(*) FROM analytics.users_joined_per_year"), 0);

    const auto follow = load({"--refresh", "--follow"});
    EXPECT_EQ(follow.exit_code, 2);
    EXPECT_NE(follow.output.find("cannot go with --follow"), std::string::npos) << follow.output;
}

TEST_F(LoadTest, PayloadsAreStoredEqualInMeaningWithCoordinatesAndKey) {
    kafka::Producer producer(kafka::resolve_properties(kafka::Producer::default_properties(),
                                                       {m_kafka.bootstrap_servers(), "", {}}, ""));
    producer.produce(m_prefix + ".pin", "42",
                     R"({"index": 42, "title": "tab\there, \"quoted\", back\\slash, Zoë 😀",)"
                     R"( "dup": 1, "dup": 2})",
                     nullptr, 3);
    producer.flush(10s);
    ASSERT_EQ(load().exit_code, 0);
    pg::Connection cx(m_dsn, "load_test");
    const pqxx::result row =
        testing::exec(cx,
                      "SELECT payload = '{\"index\": 42, \"title\": \"tab\\there, \\\"quoted\\\", "
                      "back\\\\slash, Zoë 😀\", \"dup\": 2}'::jsonb, kafka_partition, kafka_offset, "
                      "convert_from(kafka_key, 'UTF8'), kafka_timestamp IS NOT NULL "
                      "FROM staging.pin_events");
    ASSERT_EQ(row.size(), 1U);
    EXPECT_EQ(row[0][0].as<std::string>(), "t");
    EXPECT_EQ(row[0][1].as<std::string>(), "3");
    EXPECT_EQ(row[0][2].as<std::string>(), "0");
    EXPECT_EQ(row[0][3].as<std::string>(), "42");
    EXPECT_EQ(row[0][4].as<std::string>(), "t");
}

TEST_F(LoadTest, RawWhitespaceBinaryKeysAndTheCopyNullMarkerArriveByteForByte) {
    // A tab, newline and carriage return between JSON tokens, a string that is COPY's NULL
    // marker once unescaped (\N), and a key of any bytes: each must survive COPY's escaping.
    produce(topic("pin"), 1,
            {{std::string("\0\xff\t\\", 4),
              "{\"index\":\t44,\n\r\"s\": \"\\\\N\", \"u\": \"\u00e9\\\\t\"}"}});
    ASSERT_EQ(load().exit_code, 0);
    pg::Connection cx(m_dsn, "load_test");
    const pqxx::result row = testing::exec(
        cx,
        "SELECT payload ->> 's', payload ->> 'u', encode(kafka_key, 'hex'), kafka_partition "
        "FROM staging.pin_events");
    ASSERT_EQ(row.size(), 1U);
    EXPECT_EQ(row[0][0].as<std::string>(), "\\N");
    EXPECT_EQ(row[0][1].as<std::string>(), "\u00e9\\t");
    EXPECT_EQ(row[0][2].as<std::string>(), "00ff095c");
    EXPECT_EQ(row[0][3].as<std::string>(), "1");
}

TEST_F(LoadTest, AKafkaTimestampPostgresCannotStoreLoadsAsNullAndIsLoggedOncePerPartition) {
    // Nanoseconds in the milliseconds field: past the year 294276.
    produce(topic("pin"), 2,
            {{"45", R"({"index": 45, "category": "art"})"},
             {"46", R"({"index": 46, "category": "art"})"}},
            1700000000000000000);
    const testing::PinpipeRun run = load();
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(query_number("SELECT count(*) FROM staging.pin_events WHERE kafka_timestamp IS NULL "
                           "AND kafka_partition = 2"),
              2);
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.dead_letters"), 0);
    size_t warnings = 0;
    for (size_t at = run.output.find("outside the years PostgreSQL can store");
         at != std::string::npos;
         at = run.output.find("outside the years PostgreSQL can store", at + 1)) {
        ++warnings;
    }
    EXPECT_EQ(warnings, 1U) << run.output;
}

TEST_F(LoadTest, NumbersBeyondDoubleAndInt64AreStoredExactly) {
    kafka::Producer producer(kafka::resolve_properties(kafka::Producer::default_properties(),
                                                       {m_kafka.bootstrap_servers(), "", {}}, ""));
    producer.produce(m_prefix + ".pin", "43",
                     R"({"index": 43, "big": 1e400, "huge": -123456789012345678901234567890})");
    producer.flush(10s);
    ASSERT_EQ(load().exit_code, 0);
    pg::Connection cx(m_dsn, "load_test");
    const pqxx::result row = testing::exec(
        cx,
        "SELECT payload->>'index', (payload->'big')::numeric = 1e400, payload->>'huge' FROM "
        "staging.pin_events");
    ASSERT_EQ(row.size(), 1U);
    EXPECT_EQ(row[0][0].as<std::string>(), "43");
    EXPECT_EQ(row[0][1].as<std::string>(), "t");
    EXPECT_EQ(row[0][2].as<std::string>(), "-123456789012345678901234567890");
    EXPECT_EQ(testing::exec(cx, "SELECT count(*) FROM etl.dead_letters")[0][0].as<std::string>(),
              "0");
}

TEST_F(LoadTest, PoisonMessagesBecomeDeadLettersAndNeighboursLoad) {
    struct Poison {
        std::string value;
        const char* reason;
    };
    const std::vector<Poison> poisons = {
        {"", "empty"},
        {"{\"index\": 1, \"t\": \"\xff\xfe\"}", "invalid_json"},               // invalid UTF-8
        {std::string("{\"index\": 2, \"t\": \"a\0b\"}", 24), "invalid_json"},  // raw NUL
        {"{\"index\": 3,", "invalid_json"},
        {"[1, 2]", "not_object"},
        {"{\"title\": \"no index\"}", "missing_ind"},
        {"{\"index\": \"7\"}", "non_integer_ind"},
        {"{\"index\": 7.5}", "non_integer_ind"},
        {"{\"index\": 4, \"t\": \"\\u0000\"}", "unsupported_json"},
        {"{\"index\": 5, \"t\": \"" + std::string(3000, 'x') + "\"}", "too_large"},
        // Valid for the validator, refused by a data exception in the table's CHECK below.
        {"{\"index\": 6, \"n\": \"abc\"}", "rejected_by_postgres"},
    };
    // A constraint a DBA might add: casting "abc" raises a data exception (SQLSTATE 22P02).
    pg::Connection admin(m_dsn, "load_test");
    testing::exec(admin,
                  "ALTER TABLE staging.pin_events ADD CONSTRAINT n_is_positive "
                  "CHECK (coalesce((payload ->> 'n')::int, 1) > 0)");
    kafka::Producer producer(kafka::resolve_properties(kafka::Producer::default_properties(),
                                                       {m_kafka.bootstrap_servers(), "", {}}, ""));
    // Each poison between two valid messages, all in partition 0.
    int valid = 0;
    for (const Poison& poison : poisons) {
        producer.produce(m_prefix + ".pin", "k", fmt::format("{{\"index\": {}}}", 100 + valid++),
                         nullptr, 0);
        producer.produce(m_prefix + ".pin", "k", poison.value, nullptr, 0);
    }
    producer.produce(m_prefix + ".pin", "k", "{\"index\": 999}", nullptr, 0);
    ++valid;
    producer.flush(10s);

    const auto run = load({"--max-message-bytes", "2048"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(staged("pin"), valid);

    pg::Connection cx(m_dsn, "load_test");
    const pqxx::result letters = testing::exec(
        cx,
        "SELECT \"offset\", reason, length(coalesce(payload, ''::bytea)), error, topic "
        "FROM etl.dead_letters ORDER BY \"offset\"");
    ASSERT_EQ(letters.size(), poisons.size());
    for (size_t i = 0; i < letters.size(); ++i) {
        const Poison& poison = poisons[i];
        EXPECT_EQ(letters[i][0].as<std::string>(), std::to_string(2 * i + 1));
        EXPECT_EQ(letters[i][1].as<std::string>(), poison.reason)
            << i << ": " << letters[i][3].as<std::string>();
        EXPECT_EQ(letters[i][2].as<std::string>(), std::to_string(poison.value.size()))
            << poison.reason;
        EXPECT_FALSE(letters[i][3].as<std::string>().empty());
        EXPECT_EQ(letters[i][4].as<std::string>(), m_prefix + ".pin");
    }
    // The raw bytes are kept as they came, invalid UTF-8 and NUL included.
    EXPECT_EQ(testing::exec(cx,
                            "SELECT payload = '\\x7b22696e646578223a20322c202274223a2022610062227d'"
                            "::bytea FROM etl.dead_letters WHERE \"offset\" = 5")[0][0]
                  .as<std::string>(),
              "t");
    EXPECT_NE(run.output.find(fmt::format("{} dead letters", poisons.size())), std::string::npos)
        << run.output;
    // A rerun loads nothing more and dead-letters nothing twice.
    ASSERT_EQ(load({"--max-message-bytes", "2048"}).exit_code, 0);
    EXPECT_EQ(staged("pin"), valid);
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.dead_letters"),
              static_cast<long long>(poisons.size()));
}

TEST_F(LoadTest, CrashesAtSeveralPointsThenARerunIsExact) {
    constexpr int events = 20000;
    emulate(events, 2);
    // Each run crashes (exit at once, no cleanup) further into the work, at a different step.
    for (const char* failpoint :
         {"load.after_claim=crash@3", "load.after_copy=crash@2", "load.mid_batch=crash@5000",
          "load.before_commit=crash@6", "load.after_commit=crash@8"}) {
        util::ChildProcess loader = start_load({"--max-batch-rows", "700"}, failpoint);
        EXPECT_EQ(loader.wait(), obs::failpoint_crash_exit_code) << failpoint;
    }
    // The crashed runs committed some of the work, and left some for the final run to resume.
    const long long before_final = staged("pin") + staged("geo") + staged("user");
    EXPECT_GT(before_final, 0);
    EXPECT_LT(before_final, 3 * events);
    const auto final_run = load();
    ASSERT_EQ(final_run.exit_code, 0) << final_run.output;
    expect_exactly(events);
    // Killed runs that got as far as recording themselves stay visible as never finished.
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.load_runs WHERE outcome <> 'running'"), 1);
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.load_runs WHERE outcome = 'running' AND "
                           "finished_at IS NOT NULL"),
              0);
    RecordProperty("rows_before_final_run", std::to_string(before_final));
}

TEST_F(LoadTest, ConcurrentLoadersSplitPartitionsExactly) {
    constexpr int events = 15000;
    emulate(events, 3);
    std::vector<util::ChildProcess> loaders;
    for (int i = 0; i < 3; ++i) {
        loaders.push_back(start_load({"--max-batch-rows", "1000", "--parallel-partitions", "3"}));
    }
    for (auto& loader : loaders) {
        EXPECT_EQ(loader.wait(), 0);
    }
    expect_exactly(events);
    EXPECT_EQ(query_number("SELECT sum(pin_rows) FROM etl.load_runs WHERE outcome = 'ok'"), events);
}

TEST_F(LoadTest, BrokerDownFailsClearlyAndTheNextRunCatchesUp) {
    emulate(2000, 4);
    m_kafka.set_brokers_down(true);
    const auto down = load({"--kafka-timeout-s", "3"});
    EXPECT_EQ(down.exit_code, 1) << down.output;
    EXPECT_NE(down.output.find("Kafka"), std::string::npos) << down.output;
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.load_runs WHERE outcome = 'failed' AND "
                           "detail IS NOT NULL"),
              1);

    m_kafka.set_brokers_down(false);
    const auto up = load();
    ASSERT_EQ(up.exit_code, 0) << up.output;
    expect_exactly(2000);
}

// Drift fixed: an error after a batch committed (releasing its claims, a connection lost
// then) counted the batch as not written: the failed run's row in etl.load_runs left out rows
// that were in staging.
TEST_F(LoadTest, AFailureAfterACommitCountsTheBatchAsWritten) {
    constexpr int events = 3000;
    emulate(events, 6);
    util::ChildProcess loader =
        start_load({"--max-batch-rows", "700"}, "load.after_commit=error@2");
    EXPECT_EQ(loader.wait(), 1);
    const long long written = staged("pin") + staged("geo") + staged("user");
    EXPECT_GT(written, 0);
    EXPECT_EQ(query_number("SELECT pin_rows + geo_rows + user_rows FROM etl.load_runs WHERE "
                           "outcome = 'failed'"),
              written);
    ASSERT_EQ(load().exit_code, 0);
    expect_exactly(events);
}

TEST_F(LoadTest, BrokerOutageMidRunFailsTheRunAndLosesNothing) {
    constexpr int events = 20000;
    emulate(events, 5);
    // Stopped as it claims its third partition, before reading it: the broker goes down while
    // partitions are still unread, so the run cannot finish from what it fetched before.
    util::ChildProcess loader = start_load({"--max-batch-rows", "500", "--kafka-timeout-s", "3"},
                                           "load.after_claim=stop@3");
    ASSERT_TRUE(testing::wait_until_stopped(loader.pid()));
    m_kafka.set_brokers_down(true);
    loader.send_signal(SIGCONT);
    EXPECT_EQ(loader.wait(), 1) << "the run must fail on Kafka's silence";
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.load_runs WHERE outcome = 'failed' AND "
                           "detail LIKE '%Kafka%'"),
              1);
    m_kafka.set_brokers_down(false);
    ASSERT_EQ(load().exit_code, 0);
    expect_exactly(events);
}

// The topic recreated (or its log truncated) behind the stored offset: before, the run left the
// partition out and exited 0 with "0 rows", skipping its new messages for good.
TEST_F(LoadTest, AStoredOffsetBeyondTheEndFailsTheRunNamingItAndLosesNothing) {
    emulate(3000, 12);
    ASSERT_EQ(load().exit_code, 0);
    const std::string topic = m_prefix + ".pin";
    const std::string where =
        fmt::format("WHERE consumer = 'pinpipe-load' AND topic = '{}' AND partition = 2", topic);
    const long long stored = query_number("SELECT next_offset FROM etl.consumer_offsets " + where);
    exec("UPDATE etl.consumer_offsets SET next_offset = 5000000 " + where);
    emulate(1000, 13);

    const auto run = load();
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find(
                  fmt::format("stored offset 5000000 of group pinpipe-load on {}[2] is beyond the "
                              "partition's end in Kafka (high watermark ",
                              topic)),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("DELETE FROM etl.consumer_offsets " + where), std::string::npos)
        << run.output;
    EXPECT_EQ(staged("pin"), 3000) << "nothing is read while an offset is wrong";
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.load_runs WHERE outcome = 'failed' AND "
                           "detail LIKE '%beyond the partition''s end%'"),
              1);

    // --follow fails the same way instead of reading the partition only to drop its messages.
    const auto stderr_file = std::filesystem::temp_directory_path() / (m_prefix + ".stderr");
    util::ChildProcess follower = start("load", {"--follow"}, "", stderr_file);
    // Bounded only so that the defect fails the test instead of hanging it.
    const std::optional<int> follower_exit = follower.wait_for(60s);
    if (!follower_exit) {
        follower.send_signal(SIGKILL);
        follower.wait();
    }
    const std::string log = read_file(stderr_file);
    std::filesystem::remove(stderr_file);
    EXPECT_EQ(follower_exit, std::optional(1)) << log;
    EXPECT_NE(log.find("stored offset 5000000 of group pinpipe-load"), std::string::npos) << log;
    EXPECT_EQ(staged("pin"), 3000);

    // Once the offset is put right (here: back where it was, as the topic was not really
    // recreated), every message is loaded once.
    exec(fmt::format("UPDATE etl.consumer_offsets SET next_offset = {} {}", stored, where));
    ASSERT_EQ(load().exit_code, 0);
    expect_exactly(4000);
}

TEST_F(LoadTest, PostgresRestartMidRunRollsBackAndTheNextRunResumes) {
    constexpr int events = 20000;
    emulate(events, 6);
    // Stopped with its third batch copied and its offsets updated, COMMIT not sent.
    util::ChildProcess loader =
        start_load({"--max-batch-rows", "500"}, "load.before_commit=stop@3");
    ASSERT_TRUE(testing::wait_until_stopped(loader.pid()));
    testing::test_cluster().restart();
    loader.send_signal(SIGCONT);
    EXPECT_EQ(loader.wait(), 1) << "the COMMIT must fail on the lost connection";
    const auto rerun = load();
    ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
    expect_exactly(events);
}

TEST_F(LoadTest, AHungCronLoadLosesItsClaimsOnceItsLeaseRunsOutAndTheNextRunLoadsAll) {
    constexpr int events = 6000;
    emulate(events, 12);
    const auto with_lease = [](const char* lease_ms) {
        return std::vector<std::string>{"--max-batch-rows", "500",   "--writers", "2",
                                        "--claim-lease-ms", lease_ms};
    };
    // Stopped with its third batch copied, COMMIT not sent: it holds claims on both writers'
    // connections, and in its open transaction the live state's fold lock, which every other
    // load's batch must wait for.
    const std::filesystem::path hung_stderr =
        std::filesystem::temp_directory_path() / (m_prefix + ".hung.stderr");
    util::ChildProcess hung =
        start("load", with_lease("7000"), "load.before_commit=stop@3", hung_stderr);
    ASSERT_TRUE(testing::wait_until_stopped(hung.pid()));
    ASSERT_TRUE(testing::eventually(
        [&] {
            return query_number(
                       fmt::format("SELECT count(*) FROM etl.consumer_instances WHERE pid = {} AND "
                                   "NOT follows AND heartbeat_at < now() - interval '7 s'",
                                   hung.pid())) == 1;
        },
        30s))
        << "the hung load is not registered, or it still heartbeats";

    // Once it has lapsed, the next run ends its sessions, claims everything and loads it.
    const auto next = load(with_lease("7000"));
    ASSERT_EQ(next.exit_code, 0) << next.output;
    expect_exactly(events);
    EXPECT_EQ(query_number(fmt::format("SELECT count(*) FROM etl.consumer_instances WHERE pid = {}",
                                       hung.pid())),
              0);

    // Resumed, it finds its session ended: its COMMIT fails and nothing counts twice. It says
    // why, not only libpq's "server closed the connection unexpectedly".
    hung.send_signal(SIGCONT);
    EXPECT_EQ(hung.wait_for(30s).value_or(-1), 1);
    const std::string said = read_file(hung_stderr);
    std::filesystem::remove(hung_stderr);
    EXPECT_NE(said.find("s without a heartbeat, longer than its --claim-lease-ms of 7000 ms, so "
                        "another instance ended its session"),
              std::string::npos)
        << said;
    EXPECT_NE(said.find("committed batches are kept, run it again"), std::string::npos) << said;
    expect_exactly(events);
}

TEST_F(LoadTest, AFollowerWhoseRowIsDeletedRejoinsWithAllItsConnectionsUnderTheNewRow) {
    constexpr int events = 3000;
    const auto all_staged = [&] { return staged("pin") + staged("geo") + staged("user"); };
    // The member connection, both writers' and the heartbeat's hold the instance's liveness lock.
    util::ChildProcess follower =
        start_load({"--follow", "--writers", "2", "--max-batch-ms", "100"});
    emulate(events, 14);
    ASSERT_TRUE(testing::eventually([&] { return all_staged() == 3 * events; }));
    const auto instance_of_follower = [&] {
        return query_number(
            fmt::format("SELECT id FROM etl.consumer_instances WHERE pid = {} AND partitions = 18",
                        follower.pid()));
    };
    ASSERT_TRUE(testing::eventually([&] { return instance_of_follower() != 0; }));
    const long long lost = instance_of_follower();
    // The load's backends in this database (the test's own are pinpipe-test), and those of
    // them holding the liveness lock of instance `id`.
    const auto backends = [&] {
        return query_number(
            "SELECT count(*) FROM pg_catalog.pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'pinpipe-load'");
    };
    const auto holding_lock_of = [&](long long id) {
        return query_number(fmt::format(
            "SELECT count(*) FROM pg_catalog.pg_stat_activity a "
            "JOIN etl.consumer_instances i ON i.id = {0} "
            "WHERE a.datname = current_database() AND a.application_name = 'pinpipe-load' "
            "AND EXISTS (SELECT FROM pg_catalog.pg_locks l "
            "  WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted "
            "  AND l.classid::bigint = ((hashtextextended('pinpipe-instance/' || i.consumer || "
            "                            '/' || i.id::text, 0) >> 32) & 4294967295) "
            "  AND l.objid::bigint = (hashtextextended('pinpipe-instance/' || i.consumer || "
            "                         '/' || i.id::text, 0) & 4294967295))",
            id));
    };
    ASSERT_EQ(holding_lock_of(lost), 4) << "the follower's connections are not all attached";

    exec(fmt::format("DELETE FROM etl.consumer_instances WHERE id = {}", lost));
    // Its next heartbeat ends the session; the new one registers anew and claims all 18 again.
    long long rejoined = 0;
    ASSERT_TRUE(testing::eventually([&] {
        rejoined = instance_of_follower();
        return rejoined > lost && backends() == 4 && holding_lock_of(rejoined) == 4;
    })) << "the follower did not rejoin with all four connections under its new row";
    // None of its connections still holds the lost row's lock: the lease can reach them all.
    EXPECT_EQ(query_number(fmt::format(
                  "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "
                  "AND objsubid = 1 AND classid::bigint = ((hashtextextended('pinpipe-instance/' "
                  "|| (SELECT consumer FROM etl.consumer_instances WHERE id = {0}) || '/{1}', 0) "
                  ">> 32) & 4294967295) AND objid::bigint = (hashtextextended("
                  "'pinpipe-instance/' || (SELECT consumer FROM etl.consumer_instances "
                  "WHERE id = {0}) || '/{1}', 0) & 4294967295)",
                  rejoined, lost)),
              0);

    emulate(events, 15);
    ASSERT_TRUE(testing::eventually([&] { return all_staged() == 6 * events; }));
    follower.send_signal(SIGTERM);
    EXPECT_EQ(follower.wait_for(30s).value_or(-1), 0);
    expect_exactly(2 * events);
}

TEST_F(LoadTest, AHungFollowerInItsTransactionIsEndedByTheOtherWhichThenLoadsAll) {
    constexpr int events = 6000;
    const std::vector<std::string> follow = {"--follow", "--max-batch-rows", "500",
                                             "--claim-lease-ms", "7000"};
    // Alone, it claims all 18 partitions; stopped before its third COMMIT, it holds them and
    // the live state's fold lock, so the survivor's batches wait until its lease runs out.
    util::ChildProcess hung = start_load(follow, "load.before_commit=stop@3");
    emulate(events, 13);
    ASSERT_TRUE(testing::wait_until_stopped(hung.pid()));
    util::ChildProcess survivor = start_load(follow);
    ASSERT_TRUE(testing::eventually(
        [&] { return staged("pin") + staged("geo") + staged("user") == 3 * events; }, 60s))
        << "the survivor did not take the hung follower's partitions over";
    EXPECT_EQ(query_number(fmt::format("SELECT count(*) FROM etl.consumer_instances WHERE pid = {}",
                                       hung.pid())),
              0);
    // Resumed, it starts a new session and rejoins; nothing counts twice.
    hung.send_signal(SIGCONT);
    ASSERT_TRUE(testing::eventually([&] {
        return query_number("SELECT count(*) FROM etl.consumer_instances WHERE partitions = 9") ==
               2;
    })) << "the resumed follower did not rejoin";
    hung.send_signal(SIGTERM);
    survivor.send_signal(SIGTERM);
    EXPECT_EQ(hung.wait_for(30s).value_or(-1), 0);
    EXPECT_EQ(survivor.wait_for(30s).value_or(-1), 0);
    expect_exactly(events);
}

TEST_F(LoadTest, OnATerminalAStatusLineCountsTheMessagesBehindAndIsErasedBeforeTheSummary) {
    emulate(3000, 1);
    const auto run = testing::run_pinpipe_on_terminal(with_connection({"load"}));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    // Planned at start: 3 topics of 3,000 messages; the first commit draws the line at once.
    EXPECT_NE(run.output.find("\rload: "), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(" of 9,000 messages ("), std::string::npos) << run.output;
    // Erased (carriage return, erase to end of line) right before the unchanged summary line.
    EXPECT_NE(run.output.find("\r\x1b[Kload: 3000 pin, 3000 geo, 3000 user rows, 0 dead letters"),
              std::string::npos)
        << run.output;
    expect_exactly(3000);
}

TEST_F(LoadTest, EmulateOnATerminalShowsEventsSentOfTheCountThenItsUnchangedSummary) {
    // At 1,000 events/s the run lasts half a second: the line is drawn at least once.
    const auto run = testing::run_pinpipe_on_terminal(
        with_connection({"emulate", "--count", "500", "--rate", "1000", "--seed", "1"}));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(" of 500 events ("), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("\r\x1b[Kemulate: 500 events (1500 messages, "), std::string::npos)
        << run.output;
}

TEST_F(LoadTest, WithoutATerminalOrWithNoProgressOnlyTheSummaryLineAndProgressForcesTheLine) {
    const auto no_status_line = [](const std::string& output) {
        return output.find('\r') == std::string::npos && output.find('\x1b') == std::string::npos &&
               output.find("messages") == std::string::npos;
    };
    emulate(3000, 1);
    const auto cron = load();
    ASSERT_EQ(cron.exit_code, 0) << cron.output;
    EXPECT_TRUE(no_status_line(cron.output)) << cron.output;
    EXPECT_NE(cron.output.find("\nload: 3000 pin, 3000 geo, 3000 user rows, 0 dead letters"),
              std::string::npos)
        << cron.output;

    emulate(3000, 2);
    const auto quiet = testing::run_pinpipe_on_terminal(with_connection({"load", "--no-progress"}));
    ASSERT_EQ(quiet.exit_code, 0) << quiet.output;
    // The terminal turns \n into \r\n: only a \r before a \n is allowed there.
    EXPECT_EQ(quiet.output.find('\x1b'), std::string::npos) << quiet.output;
    EXPECT_EQ(quiet.output.find("messages"), std::string::npos) << quiet.output;
    EXPECT_NE(quiet.output.find("load: 3000 pin, 3000 geo, 3000 user rows"), std::string::npos)
        << quiet.output;

    emulate(3000, 3);
    const auto forced = load({"--progress"});
    ASSERT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_NE(forced.output.find(" of 9,000 messages ("), std::string::npos) << forced.output;
    expect_exactly(9000);
}

TEST_F(LoadTest, FollowLoadsNewEventsAndStopsCleanlyOnSigterm) {
    util::ChildProcess loader = start_load({"--follow", "--max-batch-ms", "100"});
    emulate(1000, 7);
    ASSERT_TRUE(testing::eventually([&] { return staged("user") >= 1000; }));
    emulate(500, 8);
    ASSERT_TRUE(testing::eventually([&] { return staged("user") >= 1500; }));
    loader.send_signal(SIGTERM);
    EXPECT_EQ(loader.wait_for(5s), 0);
    expect_exactly(1500);
}

TEST_F(LoadTest, FollowWithProgressShowsMessagesRateAndLagWithoutATotal) {
    const auto stderr_file = std::filesystem::temp_directory_path() / (m_prefix + ".stderr");
    util::ChildProcess loader = start("load", {"--follow", "--progress"}, "", stderr_file);
    emulate(1000, 7);
    // An open-ended run: no "of", no ETA; the lag (every second) once caught up is 0.
    EXPECT_TRUE(testing::eventually([&] {
        const std::string log = read_file(stderr_file);
        return log.find("\rload: 3,000 messages, ") != std::string::npos &&
               log.find(", lag 0\x1b[K") != std::string::npos;
    })) << read_file(stderr_file);
    loader.send_signal(SIGTERM);
    EXPECT_EQ(loader.wait_for(5s), 0);
    EXPECT_EQ(read_file(stderr_file).find("ETA"), std::string::npos);
    std::filesystem::remove(stderr_file);
    expect_exactly(1000);
}

TEST_F(LoadTest, FollowersShareThePartitionsAndTakeOverFromACrashedOne) {
    const auto wait_for_rows = [&](long long expected) {
        const auto all_staged = [&] { return staged("pin") + staged("geo") + staged("user"); };
        testing::eventually([&] { return all_staged() >= 3 * expected; });
        return all_staged() / 3;
    };
    const std::vector<std::string> follow = {"--follow", "--max-batch-ms", "100"};
    util::ChildProcess first = start_load(follow);
    util::ChildProcess second = start_load(follow);
    util::ChildProcess third = start_load(follow);
    // 18 partitions, 3 instances: 6 each once all have registered and claimed their shares.
    ASSERT_TRUE(testing::eventually([&] {
        return query_number("SELECT count(*) FROM etl.consumer_instances WHERE partitions = 6") ==
               3;
    })) << "the partitions were not split 6/6/6";
    emulate(1500, 10);
    ASSERT_EQ(wait_for_rows(1500), 1500);

    // A crashed instance's partitions are claimed by the survivors within seconds.
    third.send_signal(SIGKILL);
    EXPECT_EQ(third.wait(), 128 + SIGKILL);
    emulate(1500, 11);
    EXPECT_EQ(wait_for_rows(3000), 3000);

    first.send_signal(SIGTERM);
    second.send_signal(SIGTERM);
    EXPECT_EQ(first.wait_for(5s), 0);
    EXPECT_EQ(second.wait_for(5s), 0);
    expect_exactly(3000);
    // Each survivor loaded its share: neither sat idle while the other took everything.
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.load_runs WHERE outcome = 'stopped' AND "
                           "pin_rows > 0"),
              2);
}

TEST(LoadUsage, RejectsNonPositiveLimits) {
    const auto run = run_pinpipe({"load", "-b", "127.0.0.1:1", "--max-batch-rows", "0"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.output.find("must be positive"), std::string::npos) << run.output;
}

TEST(LoadUsage, UnreachablePostgresIsARuntimeFailureWithOneLine) {
    const auto run =
        run_pinpipe({"load", "--dsn", "host=/nonexistent-socket-dir port=1 connect_timeout=2", "-b",
                     "127.0.0.1:1"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.output.find("could not connect"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace pinpipe
