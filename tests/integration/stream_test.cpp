// pinpipe stream against a real Postgres and librdkafka's mock cluster: every realtime table
// equals a recount in SQL over the staging rows `pinpipe load` wrote from the same topics, across
// SIGKILL, two writers, outages and bad messages.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "emulate/generator.hpp"
#include "events/cleaning.hpp"
#include "events/validation.hpp"
#include "kafka/client.hpp"
#include "kafka/mock_cluster.hpp"
#include "obs/failpoints.hpp"
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "stream/upsert_sql.hpp"
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
constexpr auto settle_timeout = 90s;

// Each realtime table recounted from staging with the SQL cleaning functions of the clean.*
// views (migration 0004): (realtime rows, recount) pairs that must hold the same rows.
struct Recount {
    const char* name;
    const char* realtime;
    const char* recount;
};
const Recount recounts[] = {
    {"event_minute", "SELECT kind, minute, events FROM realtime.event_minute",
     "SELECT 'pin', date_trunc('minute', kafka_timestamp, 'UTC'), count(*) "
     "FROM staging.pin_events GROUP BY 2 UNION ALL "
     "SELECT 'geo', date_trunc('minute', kafka_timestamp, 'UTC'), count(*) "
     "FROM staging.geo_events GROUP BY 2 UNION ALL "
     "SELECT 'user', date_trunc('minute', kafka_timestamp, 'UTC'), count(*) "
     "FROM staging.user_events GROUP BY 2"},
    {"category_minute", "SELECT category, minute, posts FROM realtime.category_minute",
     "SELECT c, date_trunc('minute', kafka_timestamp, 'UTC'), count(*) FROM staging.pin_events, "
     "LATERAL clean.text_field('category', payload -> 'category') AS c "
     "WHERE octet_length(c) <= 1024 GROUP BY 1, 2"},
    {"country_minute", "SELECT country, minute, posts FROM realtime.country_minute",
     "SELECT c, date_trunc('minute', kafka_timestamp, 'UTC'), count(*) FROM staging.geo_events, "
     "LATERAL clean.text_field('country', payload -> 'country') AS c "
     "WHERE octet_length(c) <= 1024 GROUP BY 1, 2"},
    {"age_group_minute", "SELECT age_group, minute, users FROM realtime.age_group_minute",
     "SELECT g, date_trunc('minute', kafka_timestamp, 'UTC'), count(*) FROM staging.user_events, "
     "LATERAL clean.age_group(clean.jsonb_to_integer(payload -> 'age')) AS g "
     "WHERE g IS NOT NULL GROUP BY 1, 2"},
    {"poster_popularity",
     "SELECT poster_name, posts, follower_count, follower_count_seen, last_seen "
     "FROM realtime.poster_popularity",
     "SELECT p, count(*), (array_agg(f ORDER BY kafka_timestamp DESC, f DESC) "
     "  FILTER (WHERE f IS NOT NULL))[1], max(kafka_timestamp) FILTER (WHERE f IS NOT NULL), "
     "  max(kafka_timestamp) "
     "FROM staging.pin_events, "
     "LATERAL clean.text_field('poster_name', payload -> 'poster_name') AS p, "
     "LATERAL clean.follower_count(clean.text_field('follower_count', "
     "  payload -> 'follower_count')) AS f "
     "WHERE octet_length(p) <= 1024 GROUP BY 1"},
};

// A TCP port nobody listens on right now (the kernel's pick for port 0), for a child to bind.
int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(fd, reinterpret_cast<sockaddr*>(&address), length);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

class StreamTest : public testing::PipelineTest {
  protected:
    StreamTest() : PipelineTest("stream", 6) {}

    util::ChildProcess start_stream(std::vector<std::string> extra = {},
                                    const std::string& failpoints = "") const {
        extra.insert(extra.end(), {"--rebalance-ms", "300"});
        return start("stream", std::move(extra), failpoints);
    }

    long long streamed_messages() const {
        return query_number("SELECT sum(events) FROM realtime.event_minute");
    }

    // Polls until the condition holds (the writer is asynchronous); fails after a generous
    // bound that only a hang reaches. Not a speed assertion: speed is measured in bench/.
    static bool eventually(const std::function<bool()>& condition) {
        return testing::eventually(condition, settle_timeout);
    }

    void wait_for_streamed(long long messages) const {
        ASSERT_TRUE(eventually([&] { return streamed_messages() >= messages; }))
            << streamed_messages() << " of " << messages << " messages streamed";
    }

    void stop(util::ChildProcess& stream) const {
        // A signal that arrives before the process installed its handlers would just kill
        // it: wait until it has registered (which it does after installing them).
        EXPECT_TRUE(eventually([&] {
            return query_number(
                       fmt::format("SELECT count(*) FROM etl.consumer_instances WHERE pid = {}",
                                   stream.pid())) > 0;
        }));
        stream.send_signal(SIGTERM);
        EXPECT_EQ(stream.wait_for(5s), 0) << "stream must drain and exit 0 within 5 s";
    }

    // Loads the same topics into staging and requires every realtime table to equal its
    // recount, row for row, and the stored offsets of both groups to agree.
    void expect_realtime_equals_recount(long long messages) const {
        const auto load = run_pinpipe(with_connection({"load"}));
        ASSERT_EQ(load.exit_code, 0) << load.output;
        EXPECT_EQ(streamed_messages(), messages);
        EXPECT_EQ(query_number("SELECT (SELECT count(*) FROM staging.pin_events) + "
                               "(SELECT count(*) FROM staging.geo_events) + "
                               "(SELECT count(*) FROM staging.user_events)"),
                  messages);
        for (const Recount& table : recounts) {
            EXPECT_EQ(query_number(fmt::format("SELECT count(*) FROM (({0}) EXCEPT ALL ({1})) d",
                                               table.realtime, table.recount)),
                      0)
                << table.name << ": rows only in realtime";
            EXPECT_EQ(query_number(fmt::format("SELECT count(*) FROM (({1}) EXCEPT ALL ({0})) d",
                                               table.realtime, table.recount)),
                      0)
                << table.name << ": rows only in the recount";
            EXPECT_GT(query_number(fmt::format("SELECT count(*) FROM ({}) r", table.realtime)), 0)
                << table.name;
        }
        EXPECT_EQ(query_number("SELECT count(*) FROM etl.consumer_offsets s "
                               "JOIN etl.consumer_offsets l USING (topic, partition) "
                               "WHERE s.consumer = 'pinpipe-stream' "
                               "AND l.consumer = 'pinpipe-load' "
                               "AND s.next_offset <> l.next_offset"),
                  0);
    }
};

TEST_F(StreamTest, EveryTableEqualsARecountFromStagingAndSigtermDrains) {
    constexpr int events = 3000;
    emulate(events, 11);
    util::ChildProcess stream = start_stream();
    wait_for_streamed(3 * events);
    stop(stream);
    const std::string summary = stream.read_all();
    EXPECT_NE(summary.find(
                  fmt::format("stream: {0} pin, {0} geo, {0} user events, 0 dead letters", events)),
              std::string::npos)
        << summary;
    expect_realtime_equals_recount(3 * events);
    // A clean exit leaves the instance registry empty.
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.consumer_instances"), 0);
}

TEST_F(StreamTest, NewEventsKeepFlowingIntoTheSameRows) {
    util::ChildProcess stream = start_stream({"--max-latency-ms", "20"});
    emulate(500, 12);
    wait_for_streamed(1500);
    emulate(700, 13);
    wait_for_streamed(3600);
    stop(stream);
    expect_realtime_equals_recount(3600);
}

// Seed 004 reads from latest: a new group started with --start latest counts only what
// arrives after it claimed its partitions, and once it stored offsets a restart resumes from
// them (what arrived while it was down is counted, nothing twice).
TEST_F(StreamTest, StartLatestReadsOnlyWhatArrivesAfterItStarts) {
    emulate(200, 21);  // 600 messages before the group exists
    util::ChildProcess stream = start_stream({"--start", "latest", "--group", "late"});
    // Started: every partition claimed and its stored offset at the end of the old messages.
    ASSERT_TRUE(eventually([&] {
        return query_number("SELECT count(*) FROM etl.consumer_offsets WHERE consumer = 'late'") ==
                   18 &&
               query_number(
                   "SELECT sum(next_offset) FROM etl.consumer_offsets "
                   "WHERE consumer = 'late'") == 600;
    }));
    EXPECT_EQ(streamed_messages(), 0);
    emulate(100, 22);
    wait_for_streamed(300);
    stop(stream);
    EXPECT_EQ(streamed_messages(), 300);

    emulate(50, 23);  // while it is down
    util::ChildProcess again = start_stream({"--start", "latest", "--group", "late"});
    wait_for_streamed(450);
    stop(again);
    EXPECT_EQ(streamed_messages(), 450);
    EXPECT_EQ(query_number("SELECT sum(next_offset) FROM etl.consumer_offsets "
                           "WHERE consumer = 'late'"),
              1050);
}

TEST_F(StreamTest, CrashesAtSeveralPointsWhileEventsFlowThenTotalsAreExact) {
    constexpr int events = 15000;
    util::ChildProcess producer =
        start("emulate", {"--count", std::to_string(events), "--rate", "5000", "--seed", "14"});
    // Each instance crashes (exit at once, no cleanup) after committing something, at a
    // different step of a later batch.
    for (const char* failpoint : {"stream.after_commit=crash@2", "stream.after_upserts=crash@3",
                                  "stream.mid_batch=crash@1500", "stream.before_commit=crash@4"}) {
        util::ChildProcess stream = start_stream({"--max-batch-rows", "700"}, failpoint);
        EXPECT_EQ(stream.wait_for(settle_timeout).value_or(-1), obs::failpoint_crash_exit_code)
            << failpoint;
    }
    EXPECT_EQ(producer.wait(), 0);
    // The crashed instances committed some of the work, and left some for the final one.
    const long long before_final = streamed_messages();
    EXPECT_GT(before_final, 0);
    EXPECT_LT(before_final, 3 * events);
    util::ChildProcess stream = start_stream();
    wait_for_streamed(3 * events);
    stop(stream);
    expect_realtime_equals_recount(3 * events);
    RecordProperty("messages_before_final_run", std::to_string(before_final));
}

TEST_F(StreamTest, TwoWritersInOneGroupSplitThePartitionsAndTotalsAreExact) {
    constexpr int events = 10000;
    util::ChildProcess first = start_stream({"--max-batch-rows", "500"});
    util::ChildProcess second = start_stream({"--max-batch-rows", "500"});
    // 18 partitions, 2 live instances: 9 each once both have re-checked their share.
    ASSERT_TRUE(eventually([&] {
        return query_number("SELECT count(*) FROM etl.consumer_instances WHERE partitions = 9") ==
               2;
    })) << "partitions were not split";
    util::ChildProcess producer =
        start("emulate", {"--count", std::to_string(events), "--rate", "4000", "--seed", "15"});
    EXPECT_EQ(producer.wait(), 0);
    wait_for_streamed(3 * events);
    // Both wrote: each instance committed offsets of its own partitions.
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.consumer_offsets "
                           "WHERE consumer = 'pinpipe-stream' AND next_offset > 0"),
              18);
    stop(first);
    // The survivor takes the other half over.
    ASSERT_TRUE(eventually([&] {
        return query_number("SELECT count(*) FROM etl.consumer_instances WHERE partitions = 18") ==
               1;
    }));
    emulate(1000, 16);
    wait_for_streamed(3 * events + 3000);
    stop(second);
    expect_realtime_equals_recount(3 * events + 3000);
}

TEST_F(StreamTest, BadMessagesBecomeDeadLettersAndValidNeighboursCount) {
    kafka::Producer producer(kafka::resolve_properties(kafka::Producer::default_properties(),
                                                       {m_kafka.bootstrap_servers(), "", {}}, ""));
    struct Poison {
        std::string payload;
        std::string reason;
        int64_t timestamp_ms = 0;  // 0: now
    };
    const std::vector<Poison> poisons = {
        {"", "empty"},
        {"{\"index\": 3,", "invalid_json"},
        {"[1, 2]", "not_object"},
        {"{\"title\": \"no index\"}", "missing_ind"},
        {"{\"index\": 7.5}", "non_integer_ind"},
        {"{\"index\": 4, \"t\": \"\\u0000\"}", "unsupported_json"},
        {"{\"index\": 5, \"t\": \"" + std::string(3000, 'x') + "\"}", "too_large"},
        // A valid pin whose producer wrote nanoseconds: no minute PostgreSQL can store.
        {R"({"index": 6, "category": "art"})", "timestamp_out_of_range", 1'733'000'000'000'000'000},
    };
    for (size_t i = 0; i < poisons.size(); ++i) {
        producer.produce(m_prefix + ".pin", "k",
                         fmt::format(R"({{"index": {}, "category": "art"}})", i), nullptr, 0);
        producer.produce(m_prefix + ".pin", "k", poisons[i].payload, nullptr, 0,
                         poisons[i].timestamp_ms);
    }
    // Dirty values are data, not bad messages: a wrong JSON type just cleans to NULL.
    producer.produce(m_prefix + ".geo", "k", R"({"ind": 1, "country": 42})", nullptr, 0);
    producer.produce(m_prefix + ".user", "k", R"({"ind": 1, "age": "36"})", nullptr, 0);
    producer.flush(10s);

    util::ChildProcess stream = start_stream({"--max-message-bytes", "2048"});
    const auto messages = static_cast<long long>(2 * poisons.size() + 2);
    ASSERT_TRUE(eventually([&] {
        return streamed_messages() + query_number("SELECT count(*) FROM etl.dead_letters") ==
               messages;
    }));
    stop(stream);
    pg::Connection cx(m_dsn, "stream_test");
    const pqxx::result letters =
        testing::exec(cx,
                      "SELECT \"offset\", reason, consumer, length(coalesce(payload, ''::bytea)) "
                      "FROM etl.dead_letters ORDER BY \"offset\"");
    ASSERT_EQ(letters.size(), poisons.size());
    for (size_t i = 0; i < letters.size(); ++i) {
        const auto& poison = poisons[i];
        EXPECT_EQ(letters[i][0].as<std::string>(), std::to_string(2 * i + 1));
        EXPECT_EQ(letters[i][1].as<std::string>(), poison.reason);
        EXPECT_EQ(letters[i][2].as<std::string>(), "pinpipe-stream");
        EXPECT_EQ(letters[i][3].as<std::string>(), std::to_string(poison.payload.size()));
    }
    EXPECT_EQ(
        query_number("SELECT sum(posts) FROM realtime.category_minute WHERE category = 'art'"),
        static_cast<long long>(poisons.size()));
    EXPECT_EQ(query_number("SELECT count(*) FROM realtime.country_minute"), 0);
    EXPECT_EQ(query_number("SELECT sum(users) FROM realtime.age_group_minute "
                           "WHERE age_group = '36-50'"),
              1);
    // The stored offsets moved past the dead letters: a restart that holds every partition
    // counts nothing again.
    util::ChildProcess again = start_stream();
    ASSERT_TRUE(eventually([&] {
        return query_number(fmt::format("SELECT count(*) FROM etl.consumer_instances WHERE pid = "
                                        "{} AND partitions = 18",
                                        again.pid())) == 1;
    }));
    stop(again);
    EXPECT_EQ(streamed_messages(), messages - static_cast<long long>(poisons.size()));
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.dead_letters"),
              static_cast<long long>(poisons.size()));
}

TEST_F(StreamTest, PostgresRestartWhileEventsFlowLosesAndDoublesNothing) {
    constexpr int events = 12000;
    const std::filesystem::path log =
        std::filesystem::temp_directory_path() / (m_prefix + ".stderr");
    util::ChildProcess stream =
        start("stream", {"--max-batch-rows", "500", "--rebalance-ms", "300"}, "", log);
    util::ChildProcess producer =
        start("emulate", {"--count", std::to_string(events), "--rate", "4000", "--seed", "17"});
    ASSERT_TRUE(eventually([&] { return streamed_messages() > 3000; }));
    testing::test_cluster().restart();
    // The restart came while events were still flowing, and the stream saw its session end.
    EXPECT_LT(streamed_messages(), 3 * events);
    EXPECT_EQ(producer.wait(), 0);
    wait_for_streamed(3 * events);
    stop(stream);
    const std::string said = read_file(log);
    std::filesystem::remove(log);
    EXPECT_NE(said.find("consumer session ended; starting a new one"), std::string::npos) << said;
    expect_realtime_equals_recount(3 * events);
}

TEST_F(StreamTest, BrokerOutageWhileStreamingLosesAndDoublesNothing) {
    constexpr int events = 20000;
    emulate(events, 18);
    const std::filesystem::path log =
        std::filesystem::temp_directory_path() / (m_prefix + ".stderr");
    // Stopped as it claims its first partition, before it fetched a message: the broker goes
    // down before the stream has read anything, so it cannot finish from what it prefetched.
    util::ChildProcess stream =
        start("stream", {"--max-batch-rows", "500", "--rebalance-ms", "300"},
              "stream.after_claim=stop@1", log);
    ASSERT_TRUE(testing::wait_until_stopped(stream.pid()));
    m_kafka.set_brokers_down(true);
    stream.send_signal(SIGCONT);
    const auto read_log = [&] {
        std::ifstream file(log);
        return std::string(std::istreambuf_iterator<char>(file), {});
    };
    EXPECT_TRUE(eventually([&] {
        return read_log().find("Kafka client error") != std::string::npos;
    })) << "the stream never noticed the outage: "
        << read_log();
    EXPECT_LT(streamed_messages(), 3 * events) << "the outage came after the stream had read all";
    m_kafka.set_brokers_down(false);
    wait_for_streamed(3 * events);
    stop(stream);
    expect_realtime_equals_recount(3 * events);
    std::filesystem::remove(log);
}

// GET /metrics with a real HTTP client, retried while the child starts listening.
httplib::Result scrape(int port) {
    httplib::Client client("127.0.0.1", port);
    httplib::Result response = client.Get("/metrics");
    testing::eventually(
        [&] {
            response = client.Get("/metrics");
            return static_cast<bool>(response);
        },
        10s);
    return response;
}

TEST_F(StreamTest, MetricsEndpointServesPrometheusTextToAnHttpClient) {
    const int port = free_port();
    util::ChildProcess stream =
        start_stream({"--metrics-listen", fmt::format("127.0.0.1:{}", port)});
    emulate(500, 19);
    wait_for_streamed(1500);
    // Lag is sampled every second: wait until every owned partition shows caught up.
    std::string body;
    ASSERT_TRUE(eventually([&] {
        const httplib::Result response = scrape(port);
        if (!response || response->status != 200) {
            return false;
        }
        body = response->body;
        return body.find(fmt::format("pinpipe_stream_lag_messages{{topic=\"{}.pin\",partition="
                                     "\"0\"}} 0\n",
                                     m_prefix)) != std::string::npos &&
               body.find("pinpipe_stream_partitions_owned 18\n") != std::string::npos &&
               // Counted once the consuming thread has collected the commit, a moment after
               // the rows became visible.
               body.find("pinpipe_stream_committed_messages_total 1500\n") != std::string::npos;
    })) << body;
    const httplib::Result response = scrape(port);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->get_header_value("Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8");
    for (const std::string& expected :
         {std::string("# TYPE pinpipe_stream_consumed_messages_total counter\n"),
          std::string("pinpipe_stream_consumed_messages_total{kind=\"pin\",outcome=\"valid\"} "
                      "500\n"),
          std::string("pinpipe_stream_consumed_messages_total{kind=\"user\",outcome="
                      "\"dead_letter\"} 0\n"),
          std::string("pinpipe_stream_committed_messages_total 1500\n"),
          std::string("pinpipe_stream_dead_letters_total 0\n"),
          std::string("pinpipe_stream_end_to_end_latency_seconds_count 1500\n"),
          std::string("# TYPE pinpipe_stream_upsert_seconds histogram\n"),
          std::string("pinpipe_stream_end_to_end_latency_seconds_bucket{le=\"+Inf\"} 1500\n")}) {
        EXPECT_NE(response->body.find(expected), std::string::npos) << expected << response->body;
    }
    EXPECT_NE(response->body.find("pinpipe_stream_batches_total "), std::string::npos);
    // The same text passes Prometheus' own linter (.ci/packages.txt installs it).
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/promtool"))
        << "promtool is missing: install the Debian package prometheus (.ci/install-deps)";
    const std::filesystem::path file =
        std::filesystem::temp_directory_path() / (testing::unique_name("metrics") + ".txt");
    std::ofstream(file) << response->body;
    const auto lint =
        util::run_process({"sh", "-c", fmt::format("promtool check metrics < {}", file.string())});
    std::filesystem::remove(file);
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
    stop(stream);
}

TEST_F(StreamTest, ARealPrometheusScrapesTheEndpoint) {
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/prometheus"))
        << "prometheus is missing: install the Debian package prometheus (.ci/install-deps)";
    const int port = free_port();
    const int prometheus_port = free_port();
    util::ChildProcess stream =
        start_stream({"--metrics-listen", fmt::format("127.0.0.1:{}", port)});
    emulate(300, 20);
    wait_for_streamed(900);
    const std::filesystem::path directory = pg::make_temp_directory("pinpipe-prometheus-");
    std::ofstream(directory / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pinpipe-stream\n"
        << "    static_configs:\n      - targets: ['127.0.0.1:" << port << "']\n";
    util::ChildProcess prometheus(
        {"prometheus", "--config.file=" + (directory / "prometheus.yml").string(),
         "--storage.tsdb.path=" + (directory / "data").string(),
         fmt::format("--web.listen-address=127.0.0.1:{}", prometheus_port), "--log.level=warn"});
    httplib::Client api("127.0.0.1", prometheus_port);
    std::string answer;
    const bool scraped = eventually([&] {
        const httplib::Result response =
            api.Get("/api/v1/query?query=pinpipe_stream_committed_messages_total");
        answer = response ? response->body : "";
        return answer.find("\"900\"") != std::string::npos;
    });
    prometheus.send_signal(SIGTERM);
    prometheus.wait_for(10s);
    std::filesystem::remove_all(directory);
    EXPECT_TRUE(scraped) << answer;
    stop(stream);
}

// ---- DESIGN §6: the SQL views and the C++ cleaner agree on every field ----------------------

using Row = std::vector<std::optional<std::string>>;

std::optional<std::string> text(const std::optional<std::string>& value) {
    return value;
}
template <typename Number>
std::optional<std::string> text(const std::optional<Number>& value) {
    if (!value) {
        return std::nullopt;
    }
    if constexpr (std::is_floating_point_v<Number>) {
        return fmt::format("{:.17g}", *value);  // exact: compares the doubles bit for bit
    } else {
        return std::to_string(*value);
    }
}
std::optional<std::string> text(const std::optional<std::string_view>& value) {
    return value ? std::optional<std::string>(*value) : std::nullopt;
}

// The rows of a query as text, keyed by the first column; columns listed in float_columns are
// read as doubles and written as text() writes them.
std::map<int64_t, Row> query_rows(pqxx::connection_base& cx, const std::string& sql,
                                  const std::vector<int>& float_columns = {}) {
    const pqxx::result result = testing::exec(cx, sql);
    std::map<int64_t, Row> rows;
    for (size_t r = 0; r < result.size(); ++r) {
        Row row;
        for (int c = 1; c < static_cast<int>(result.columns()); ++c) {
            if (result[r][c].is_null()) {
                row.emplace_back(std::nullopt);
            } else if (std::find(float_columns.begin(), float_columns.end(), c) !=
                       float_columns.end()) {
                row.push_back(text(std::optional<double>(result[r][c].as<double>())));
            } else {
                row.emplace_back(result[r][c].as<std::string>());
            }
        }
        rows[result[r][0].as<int64_t>()] = std::move(row);
    }
    return rows;
}

std::string describe(const Row& row) {
    std::string out;
    for (const auto& value : row) {
        out += value ? "[" + *value + "] " : "NULL ";
    }
    return out;
}

void expect_same_rows(const std::map<int64_t, Row>& sql, const std::map<int64_t, Row>& cpp,
                      const std::map<int64_t, std::string>& sources, const char* what) {
    EXPECT_EQ(sql.size(), cpp.size()) << what;
    for (const auto& [ind, row] : cpp) {
        const auto found = sql.find(ind);
        ASSERT_NE(found, sql.end()) << what << ": ind " << ind << " missing from SQL";
        EXPECT_EQ(found->second, row)
            << what << " ind " << ind << " from " << sources.at(ind)
            << "\n  SQL: " << describe(found->second) << "\n  C++: " << describe(row);
    }
}

// Dirty values for any field: every placeholder, follower-count spellings, numbers written in
// several ways, wrong JSON types, timestamps on and off the calendar, escapes.
const std::vector<std::string> dirty_values = {R"("")",
                                               "null",
                                               "true",
                                               "[1]",
                                               R"({"a": 1})",
                                               R"(" ")",
                                               "7",
                                               "7.0",
                                               "1e3",
                                               "1E3",
                                               "-0",
                                               "-0.0",
                                               "12.5",
                                               "1e400",
                                               "1e-400",
                                               "0.1",
                                               "123456789.123456789",
                                               "1.7976931348623157e308",
                                               "2147483647",
                                               "2147483648",
                                               "-2147483648",
                                               "9223372036854775807",
                                               "9223372036854775808",
                                               "18",
                                               "17.0",
                                               "50.5",
                                               "90",
                                               "-180",
                                               R"("User Info Error")",
                                               R"("No Title Data Available")",
                                               R"("No description available")",
                                               R"("No description available Story format")",
                                               R"("N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e")",
                                               R"("Image src error.")",
                                               R"("7k")",
                                               R"("12.5k")",
                                               R"("1M")",
                                               R"("7K")",
                                               R"("007")",
                                               R"("-5")",
                                               R"("1e3")",
                                               R"("7.0")",
                                               R"("36")",
                                               R"("1e1")",
                                               R"(" 7")",
                                               R"("999999999999k")",
                                               R"("1000000000000")",
                                               R"("999999999999M")",
                                               R"("Local save in /data/art")",
                                               R"("Local save in ")",
                                               R"("Local save in")",
                                               R"("/data/travel")",
                                               R"("tab\there \"q\" \\ \u00e9 😀")",
                                               R"("2020-02-29 23:59:59")",
                                               R"("2019-02-29 00:00:00")",
                                               R"("2020-13-01 00:00:00")",
                                               R"("2020-01-01T00:00:00")",
                                               R"("0001-01-01 00:00:00")",
                                               R"("2020-01-01 24:00:00")",
                                               R"("2020-1-01 00:00:00")",
                                               R"(" 2020-01-01 00:00:00")",
                                               R"("2022-12-31 23:59:59")"};

TEST(CleaningEquivalence, SqlViewsAndEventCleanerAgreeOnEveryField) {
    struct Kind {
        events::EventKind kind;
        const char* ind_field;
        std::vector<const char*> fields;
    };
    const std::vector<Kind> kinds_and_fields = {
        {events::EventKind::pin,
         "index",
         {"unique_id", "title", "description", "follower_count", "poster_name", "tag_list",
          "is_image_or_video", "image_src", "save_location", "category", "downloaded"}},
        {events::EventKind::geo, "ind", {"country", "latitude", "longitude", "timestamp"}},
        {events::EventKind::user, "ind", {"first_name", "last_name", "age", "date_joined"}},
    };
    // Per kind: the JSON texts, realistic ones from the emulator first.
    std::array<std::vector<std::string>, 3> texts;
    emulate::EventGenerator generator(21);
    for (int i = 0; i < 2000; ++i) {
        const emulate::GeneratedEvent event = generator.next();
        texts[0].push_back(event.pin);
        texts[1].push_back(event.geo);
        texts[2].push_back(event.user);
    }
    int64_t ind = 10'000'000;
    for (const Kind& kind : kinds_and_fields) {
        auto& out = texts[static_cast<size_t>(kind.kind)];
        for (const char* field : kind.fields) {
            for (const std::string& value : dirty_values) {
                // The other fields clean: the dirty one decides alone.
                std::string json = fmt::format(R"({{"{}": {})", kind.ind_field, ind++);
                for (const char* other : kind.fields) {
                    json += other == field ? fmt::format(R"(, "{}": {})", other, value)
                                           : fmt::format(R"(, "{}": "ok")", other);
                }
                out.push_back(json + "}");
            }
        }
        // Duplicate keys (the last wins, as in jsonb), nothing but the ind, odd ind spellings.
        for (const char* field : kind.fields) {
            out.push_back(fmt::format(R"({{"{0}": {1}, "{2}": "first", "{2}": 7, "{2}": "36"}})",
                                      kind.ind_field, ind++, field));
        }
        out.push_back(fmt::format(R"({{"{}": {}}})", kind.ind_field, ind++));
        out.push_back(fmt::format(R"({{"{}": -{}}})", kind.ind_field, ind++));
        out.push_back(fmt::format(R"({{"{}": {}.0}})", kind.ind_field, ind++));
        out.push_back(fmt::format(R"({{"{}": "{}"}})", kind.ind_field, ind++));
        out.push_back(fmt::format(R"({{"{}": {}e0}})", kind.ind_field, ind++));
    }

    // Only what the validator accepts reaches either path (the rest are dead letters).
    events::EventValidator validator;
    events::EventCleaner cleaner;
    std::array<std::map<int64_t, Row>, 3> cpp;
    std::map<int64_t, Row> cpp_downloaded;
    std::map<int64_t, std::string> sources;
    std::array<std::vector<std::string_view>, 3> accepted;
    size_t rejected = 0;
    for (const Kind& kind : kinds_and_fields) {
        const auto k = static_cast<size_t>(kind.kind);
        for (const std::string& json : texts[k]) {
            if (!validator.validate(kind.kind, json.data(), json.size()).ok) {
                ++rejected;
                continue;
            }
            accepted[k].push_back(json);
            switch (kind.kind) {
                case events::EventKind::pin: {
                    const events::CleanPin pin = cleaner.clean_pin(json);
                    cpp[k][pin.ind] = {text(pin.unique_id),         text(pin.title),
                                       text(pin.description),       text(pin.follower_count),
                                       text(pin.poster_name),       text(pin.tag_list),
                                       text(pin.is_image_or_video), text(pin.image_src),
                                       text(pin.save_location),     text(pin.category)};
                    cpp_downloaded[pin.ind] = {text(pin.downloaded)};
                    sources[pin.ind] = json;
                    break;
                }
                case events::EventKind::geo: {
                    const events::CleanGeolocation geo = cleaner.clean_geolocation(json);
                    cpp[k][geo.ind] = {text(geo.country), text(geo.coordinates[0]),
                                       text(geo.coordinates[1]), text(geo.timestamp)};
                    sources[geo.ind] = json;
                    break;
                }
                case events::EventKind::user: {
                    const events::CleanUser user = cleaner.clean_user(json);
                    cpp[k][user.ind] = {text(user.user_name), text(user.age),
                                        text(events::age_group(user.age)), text(user.date_joined)};
                    sources[user.ind] = json;
                    break;
                }
            }
        }
    }
    RecordProperty("rejected_by_validator", std::to_string(rejected));
    for (const auto& rows : cpp) {
        ASSERT_GT(rows.size(), 2000U);  // the emulated events and most dirty ones compare
    }

    pg::Connection cx(testing::migrated_database(), "stream_test");
    testing::exec(cx, "SET DateStyle = 'ISO, YMD'");
    for (const Kind& kind : kinds_and_fields) {
        testing::exec(cx,
                      fmt::format("INSERT INTO staging.{}_events "
                                  "(kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, "
                                  "payload) SELECT 't', 0, u.o, now(), u.p::jsonb "
                                  "FROM unnest($1::text[]) WITH ORDINALITY AS u(p, o)",
                                  events::kind_name(kind.kind)),
                      {stream::text_array_literal(accepted[static_cast<size_t>(kind.kind)])});
    }
    expect_same_rows(
        query_rows(cx,
                   "SELECT ind, unique_id, title, description, follower_count, poster_name, "
                   "tag_list, is_image_or_video, image_src, save_location, category "
                   "FROM clean.pins"),
        cpp[0], sources, "clean.pins");
    expect_same_rows(query_rows(cx,
                                "SELECT DISTINCT ON (1) clean.jsonb_to_bigint(payload -> "
                                "'index'), clean.jsonb_to_integer(payload -> 'downloaded') "
                                "FROM staging.pin_events ORDER BY 1, kafka_offset DESC"),
                     cpp_downloaded, sources, "downloaded");
    expect_same_rows(query_rows(cx,
                                "SELECT ind, country, coordinates[1], coordinates[2], "
                                "\"timestamp\" FROM clean.geolocations",
                                {2, 3}),
                     cpp[1], sources, "clean.geolocations");
    expect_same_rows(query_rows(cx,
                                "SELECT ind, user_name, age, clean.age_group(age), date_joined "
                                "FROM clean.users"),
                     cpp[2], sources, "clean.users");
}

TEST_F(StreamTest, AnUnmigratedDatabaseFailsAtOnceNamingTheFix) {
    m_dsn = testing::fresh_database();
    const auto run = run_pinpipe(with_connection({"stream"}));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("run pinpipe migrate"), std::string::npos) << run.output;
}

// Before, stream logged "consumer session ended; starting a new one" every 30 s for ever.
TEST_F(StreamTest, ADatabaseThatDoesNotExistEndsTheRunWithOneLine) {
    const auto stderr_file = std::filesystem::temp_directory_path() / (m_prefix + ".stderr");
    util::ChildProcess stream =
        start("stream", {}, "", stderr_file, m_dsn + " dbname=no_such_database");
    // Bounded only so that the defect fails the test instead of hanging it.
    const std::optional<int> exit_code = stream.wait_for(60s);
    if (!exit_code) {
        stream.send_signal(SIGKILL);
        stream.wait();
    }
    const std::string log = testing::read_file(stderr_file);
    std::filesystem::remove(stderr_file);
    EXPECT_EQ(exit_code, std::optional(1)) << log;
    EXPECT_NE(log.find("database \"no_such_database\" does not exist"), std::string::npos) << log;
    EXPECT_NE(log.find("PostgreSQL refused the connection"), std::string::npos) << log;
    EXPECT_EQ(log.find("starting a new one"), std::string::npos) << log;
}

TEST(StreamUsage, RejectsNonPositiveLimits) {
    const auto run = run_pinpipe({"stream", "-b", "127.0.0.1:1", "--max-latency-ms", "0"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.output.find("must be positive"), std::string::npos) << run.output;
}

TEST(StreamUsage, RejectsAnUnknownStartPosition) {
    const auto run = run_pinpipe({"stream", "-b", "127.0.0.1:1", "--start", "newest"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.output.find("invalid --start \"newest\""), std::string::npos) << run.output;
}

TEST(StreamUsage, RejectsABadMetricsAddressBeforeConnecting) {
    const auto run = run_pinpipe({"stream", "-b", "127.0.0.1:1", "--metrics-listen", "9464"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.output.find("invalid --metrics-listen \"9464\""), std::string::npos)
        << run.output;
}

}  // namespace
}  // namespace pinpipe
