// The crash matrix (DESIGN §8, issue #17): for every load.* and stream.* failpoint, a process
// crashes exactly there, or stops there while PostgreSQL crashes (pg_ctl -m immediate) under
// it; then a clean run must leave every message exactly once: once in staging (load), counted
// once in realtime.event_minute (stream), once in etl.dead_letters when it is bad. No sleep
// guesses when a fault lands: the failpoint decides, and the test waits for observable state.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "kafka/client.hpp"
#include "kafka/mock_cluster.hpp"
#include "obs/failpoints.hpp"
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "support/faults.hpp"
#include "support/harness.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

using testing::read_file;

using namespace std::chrono_literals;

constexpr const char* kinds[] = {"pin", "geo", "user"};
constexpr int events = 300;               // per kind: small, so that the matrix stays fast
constexpr int poisons = 4;                // bad pin messages: dead letters, exactly once each
constexpr const char* batch_rows = "60";  // many batches, so that @2 lands mid-run
constexpr auto bound = 60s;               // only a hang reaches it

// When a point fires: at the second hit, except where a run meets the point only a few times.
int firing_hit(std::string_view point) {
    if (point.ends_with("after_dead_letters")) {
        return 1;
    }
    if (point.ends_with("mid_batch")) {
        return 150;
    }
    return 2;
}

bool eventually(const std::function<bool()>& condition) {
    return testing::eventually(condition, bound);
}

enum class Fault { crash, postgres_crash };

struct Case {
    std::string point;
    Fault fault;
};

// Points met once per batch, after its rows or deltas are written: at their second hit the
// first batch has committed (one writer commits its batches in order), which inject() checks,
// so that the clean run is seen to resume rather than to do everything.
bool first_batch_committed_at(std::string_view point) {
    return point.ends_with("after_copy") || point.ends_with("after_upserts") ||
           point.ends_with("before_commit") || point.ends_with("after_commit");
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    std::string name =
        info.param.point + (info.param.fault == Fault::crash ? "_crash" : "_pg_crash");
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
}

class CrashMatrix : public ::testing::TestWithParam<Case> {
  protected:
    void SetUp() override {
        m_prefix = testing::unique_name("crash");
        m_dsn = testing::migrated_database();
        m_stderr = std::filesystem::temp_directory_path() / (m_prefix + ".stderr");
        for (const char* kind : kinds) {
            m_kafka.create_topic(m_prefix + "." + kind, 3);
        }
        const auto run = testing::run_pinpipe(
            with_connection({"emulate", "--count", std::to_string(events), "--seed", "17"}));
        ASSERT_EQ(run.exit_code, 0) << run.output;
        kafka::Producer producer(kafka::resolve_properties(
            kafka::Producer::default_properties(), {m_kafka.bootstrap_servers(), "", {}}, ""));
        for (int i = 0; i < poisons; ++i) {
            producer.produce(m_prefix + ".pin", "k", "[\"not an object\"]", nullptr, i % 3);
        }
        producer.flush(10s);
    }

    void TearDown() override { std::filesystem::remove(m_stderr); }

    std::vector<std::string> with_connection(std::vector<std::string> args) const {
        args.insert(args.end(), {"--dsn", m_dsn, "-b", m_kafka.bootstrap_servers(),
                                 "--topic-prefix", m_prefix});
        return args;
    }

    util::ChildProcess start(std::vector<std::string> args, const std::string& failpoints) const {
        args.insert(args.begin(), PINPIPE_BINARY);
        return util::ChildProcess(with_connection(std::move(args)),
                                  testing::failpoint_env(failpoints), m_stderr);
    }

    long long number(const std::string& sql) const {
        pg::Connection cx(m_dsn, "crash_matrix_test");
        const pqxx::result result = testing::exec(cx, sql);
        // std::stoll reads the integer part of a numeric, e.g. of extract(epoch ...) * 1e6.
        return result[0][0].is_null() ? 0 : std::stoll(result[0][0].as<std::string>());
    }

    // Arms the case's point in a process started with args: it crashes there (exit 70), or it
    // stops there, PostgreSQL crashes under it and it is continued. Returns the process.
    util::ChildProcess inject(std::vector<std::string> args) {
        const Case& c = GetParam();
        const std::string action = c.fault == Fault::crash ? "crash" : "stop";
        util::ChildProcess process =
            start(std::move(args), fmt::format("{}={}@{}", c.point, action, firing_hit(c.point)));
        if (c.fault == Fault::crash) {
            EXPECT_EQ(process.wait_for(bound).value_or(-1), obs::failpoint_crash_exit_code)
                << "the process did not crash at " << c.point << ": " << read_file(m_stderr);
            // Only a process crash keeps what committed: PostgreSQL's may lose the last commits
            // of a consumer that commits without waiting for the WAL flush.
            if (first_batch_committed_at(c.point)) {
                EXPECT_GT(number("SELECT coalesce(sum(next_offset), 0) FROM etl.consumer_offsets"),
                          0)
                    << "nothing committed before " << c.point << " fired";
            }
        } else {
            EXPECT_TRUE(testing::wait_until_stopped(process.pid()))
                << "the process did not stop at " << c.point << ": " << read_file(m_stderr);
            const long long started_before =
                number("SELECT extract(epoch FROM pg_postmaster_start_time()) * 1000000");
            testing::test_cluster().crash_and_restart();
            EXPECT_GT(number("SELECT extract(epoch FROM pg_postmaster_start_time()) * 1000000"),
                      started_before);
            process.send_signal(SIGCONT);
        }
        EXPECT_NE(read_file(m_stderr).find(fmt::format("failpoint {}: {}", c.point,
                                                       c.fault == Fault::crash ? "crash" : "stop")),
                  std::string::npos)
            << read_file(m_stderr);
        return process;
    }

    // Every stored offset is the partition's end, and every bad message is one dead letter.
    void expect_offsets_at_the_end_and_dead_letters_once(const std::string& group) const {
        EXPECT_EQ(number(fmt::format("SELECT count(*) FROM etl.consumer_offsets WHERE consumer = "
                                     "'{}' AND next_offset > 0",
                                     group)),
                  9);
        EXPECT_EQ(number(fmt::format("SELECT sum(next_offset) FROM etl.consumer_offsets "
                                     "WHERE consumer = '{}'",
                                     group)),
                  3 * events + poisons);
        EXPECT_EQ(number(fmt::format("SELECT count(*) FROM etl.dead_letters WHERE consumer = '{}'",
                                     group)),
                  poisons);
        EXPECT_EQ(number(fmt::format("SELECT count(DISTINCT (topic, partition, \"offset\")) "
                                     "FROM etl.dead_letters WHERE consumer = '{}'",
                                     group)),
                  poisons);
    }

    kafka::MockCluster m_kafka;
    std::string m_prefix;
    std::string m_dsn;
    std::filesystem::path m_stderr;
};

std::vector<Case> cases(std::string_view prefix) {
    std::vector<Case> all;
    for (const obs::FailpointInfo& info : obs::failpoint_catalog()) {
        if (info.name.starts_with(prefix)) {
            all.push_back({std::string(info.name), Fault::crash});
            all.push_back({std::string(info.name), Fault::postgres_crash});
        }
    }
    return all;
}

using LoadCrashMatrix = CrashMatrix;

TEST_P(LoadCrashMatrix, AFaultAtThePointThenACleanRunLoadsEveryMessageOnce) {
    util::ChildProcess faulty = inject({"load", "--max-batch-rows", batch_rows});
    if (GetParam().fault == Fault::postgres_crash) {
        // Its connection died with the server: the run fails, or finishes if it needed none.
        const std::optional<int> exit_code = faulty.wait_for(bound);
        ASSERT_TRUE(exit_code.has_value());
        EXPECT_TRUE(*exit_code == 0 || *exit_code == 1) << *exit_code;
    }
    const auto clean = testing::run_pinpipe(with_connection({"load"}));
    ASSERT_EQ(clean.exit_code, 0) << clean.output;
    for (const char* kind : kinds) {
        EXPECT_EQ(number(fmt::format("SELECT count(*) FROM staging.{}_events", kind)), events)
            << kind;
        EXPECT_EQ(number(fmt::format("SELECT count(DISTINCT (kafka_partition, kafka_offset)) "
                                     "FROM staging.{}_events",
                                     kind)),
                  events)
            << kind;
    }
    expect_offsets_at_the_end_and_dead_letters_once("pinpipe-load");
}

INSTANTIATE_TEST_SUITE_P(EveryLoadPoint, LoadCrashMatrix, ::testing::ValuesIn(cases("load.")),
                         case_name);

using StreamCrashMatrix = CrashMatrix;

TEST_P(StreamCrashMatrix, AFaultAtThePointThenACleanRunCountsEveryMessageOnce) {
    const std::vector<std::string> stream = {"stream", "--max-batch-rows", batch_rows,
                                             "--rebalance-ms", "300"};
    util::ChildProcess faulty = inject(stream);
    if (GetParam().fault == Fault::postgres_crash) {
        // It outlives the crash: a new session re-reads its positions and finishes the work.
        EXPECT_TRUE(eventually([&] {
            return number("SELECT sum(events) FROM realtime.event_minute") == 3 * events;
        })) << read_file(m_stderr);
        EXPECT_NE(read_file(m_stderr).find("session ended; starting a new one"), std::string::npos)
            << read_file(m_stderr);
        faulty.send_signal(SIGTERM);
        EXPECT_EQ(faulty.wait_for(bound).value_or(-1), 0);
    }
    util::ChildProcess clean = start(stream, "");
    EXPECT_TRUE(eventually([&] {
        return number("SELECT sum(events) FROM realtime.event_minute") == 3 * events &&
               number("SELECT count(*) FROM etl.consumer_instances WHERE partitions = 9") == 1 &&
               number("SELECT sum(next_offset) FROM etl.consumer_offsets") == 3 * events + poisons;
    })) << read_file(m_stderr);
    clean.send_signal(SIGTERM);
    EXPECT_EQ(clean.wait_for(bound).value_or(-1), 0);
    EXPECT_EQ(number("SELECT sum(events) FROM realtime.event_minute"), 3 * events);
    for (const char* kind : kinds) {
        EXPECT_EQ(number(fmt::format(
                      "SELECT sum(events) FROM realtime.event_minute WHERE kind = '{}'", kind)),
                  events)
            << kind;
    }
    expect_offsets_at_the_end_and_dead_letters_once("pinpipe-stream");
}

INSTANTIATE_TEST_SUITE_P(EveryStreamPoint, StreamCrashMatrix, ::testing::ValuesIn(cases("stream.")),
                         case_name);

// Not a matrix case: the fixture's topics, data and helpers, without a parameter.
using StuckConsumer = CrashMatrix;

TEST_F(StuckConsumer, AStoppedStreamLosesItsPartitionsWithinTheLeaseAndNothingCountsTwice) {
    using Clock = std::chrono::steady_clock;
    const std::vector<std::string> stream = {
        "stream", "--max-batch-rows", batch_rows, "--rebalance-ms",
        "300",    "--claim-lease-ms", "3000"};
    // Stopped inside its third transaction, holding all nine partitions and a row lock or two.
    util::ChildProcess hung = start(stream, "stream.after_upserts=stop@3");
    ASSERT_TRUE(testing::wait_until_stopped(hung.pid())) << read_file(m_stderr);
    const auto stopped_at = Clock::now();
    util::ChildProcess survivor = start(stream, "");
    ASSERT_TRUE(eventually([&] {
        return number(fmt::format("SELECT count(*) FROM etl.consumer_instances WHERE pid = {} "
                                  "AND partitions = 9",
                                  survivor.pid())) == 1;
    })) << read_file(m_stderr);
    const auto took_over = Clock::now() - stopped_at;
    EXPECT_LT(took_over, 15s);
    RecordProperty(
        "takeover_ms",
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took_over).count()));
    EXPECT_NE(
        read_file(m_stderr).find("ended the session of a consumer instance whose lease ran out"),
        std::string::npos)
        << read_file(m_stderr);
    EXPECT_TRUE(eventually([&] {
        return number("SELECT sum(events) FROM realtime.event_minute") == 3 * events;
    })) << read_file(m_stderr);

    // Resumed, it finds its session ended: its batch fails, and it rejoins from the stored
    // offsets, taking its share back without counting anything again.
    hung.send_signal(SIGCONT);
    EXPECT_TRUE(eventually([&] {
        return read_file(m_stderr).find("session ended; starting a new one") != std::string::npos &&
               number("SELECT count(*) FROM etl.consumer_instances WHERE partitions > 0") == 2;
    })) << read_file(m_stderr);
    hung.send_signal(SIGTERM);
    survivor.send_signal(SIGTERM);
    EXPECT_EQ(hung.wait_for(bound).value_or(-1), 0);
    EXPECT_EQ(survivor.wait_for(bound).value_or(-1), 0);
    EXPECT_EQ(number("SELECT sum(events) FROM realtime.event_minute"), 3 * events);
    expect_offsets_at_the_end_and_dead_letters_once("pinpipe-stream");
}

}  // namespace
}  // namespace pinpipe
