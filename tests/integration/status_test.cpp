// pinpipe status against a real Postgres and librdkafka's mock cluster: lag per partition and
// group, thresholds that change the exit code, freshness, tables that do not exist yet, dead
// letters by reason.
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

constexpr const char* kinds[] = {"pin", "geo", "user"};
constexpr int partitions_per_topic = 2;

class StatusTest : public testing::PipelineTest {
  protected:
    StatusTest() : PipelineTest("status", partitions_per_topic) {}

    // count valid events of kind into one partition (the field the validator needs is set).
    void produce(const char* kind, int32_t partition, int count, int first_ind = 0) const {
        const char* field = std::string_view(kind) == "pin" ? "index" : "ind";
        std::vector<std::pair<std::string, std::string>> messages;
        for (int i = 0; i < count; ++i) {
            const int ind = first_ind + i;
            messages.emplace_back(std::to_string(ind),
                                  fmt::format(R"({{"{}": {}, "country": "Chad"}})", field, ind));
        }
        PipelineTest::produce(topic(kind), partition, messages);
    }

    void produce_raw(const char* kind, int32_t partition, const std::string& value) const {
        PipelineTest::produce(topic(kind), partition, {{"k", value}});
    }

    void load() const {
        const auto run = run_pinpipe(with_connection({"load"}));
        ASSERT_EQ(run.exit_code, 0) << run.output;
    }

    testing::PinpipeRun status(std::vector<std::string> extra = {}) const {
        extra.insert(extra.begin(), "status");
        return run_pinpipe(with_connection(std::move(extra)));
    }

    // The JSON document of `status --json --exact-counts` (which must exit 0).
    nlohmann::json status_json(std::vector<std::string> extra = {}) const {
        extra.insert(extra.begin(), {"--json", "--exact-counts"});
        const auto run = status(std::move(extra));
        EXPECT_EQ(run.exit_code, 0) << run.output;
        return nlohmann::json::parse(run.output);
    }
};

const nlohmann::json& partition_of(const nlohmann::json& doc, const std::string& topic,
                                   int partition) {
    for (const nlohmann::json& entry : doc.at("partitions")) {
        if (entry.at("topic") == topic && entry.at("partition") == partition) {
            return entry;
        }
    }
    throw std::runtime_error("partition missing from status: " + topic);
}

TEST_F(StatusTest, LagIsHighWatermarkMinusStoredOffsetPerGroup) {
    produce("pin", 0, 30);
    produce("pin", 1, 20, 100);
    produce("geo", 0, 10);
    load();
    produce("pin", 0, 7, 200);  // arrives after the load: lag 7 on pin[0]
    produce("user", 1, 4);      // a topic the loader has not stored any offset of yet

    // The stream group stored one offset: it is deployed, and partitions it never stored count
    // from the low watermark.
    exec(fmt::format("INSERT INTO etl.consumer_offsets VALUES ('pinpipe-stream', '{}', 0, 25)",
                     topic("pin")));

    const nlohmann::json doc = status_json();
    const nlohmann::json& pin0 = partition_of(doc, topic("pin"), 0);
    EXPECT_EQ(pin0.at("high"), 37);
    EXPECT_EQ(pin0.at("load").at("next_offset"), 30);
    EXPECT_EQ(pin0.at("load").at("lag"), 7);
    EXPECT_EQ(pin0.at("stream").at("next_offset"), 25);
    EXPECT_EQ(pin0.at("stream").at("lag"), 12);
    const nlohmann::json& user1 = partition_of(doc, topic("user"), 1);
    EXPECT_TRUE(user1.at("load").at("next_offset").is_null());
    EXPECT_EQ(user1.at("load").at("lag"), 4);

    const nlohmann::json& load_lag = doc.at("lag").at("pinpipe-load");
    EXPECT_EQ(load_lag.at(topic("pin")), 7);
    EXPECT_EQ(load_lag.at(topic("geo")), 0);
    EXPECT_EQ(load_lag.at(topic("user")), 4);
    const nlohmann::json& stream_lag = doc.at("lag").at("pinpipe-stream");
    EXPECT_EQ(stream_lag.at(topic("pin")), 12 + 20);
    EXPECT_EQ(stream_lag.at(topic("geo")), 10);

    EXPECT_EQ(doc.at("staging").at(0).at("table"), "staging.pin_events");
    EXPECT_EQ(doc.at("staging").at(0).at("rows"), 50);
    EXPECT_EQ(doc.at("staging").at(1).at("rows"), 10);
    EXPECT_EQ(doc.at("staging").at(2).at("rows"), 0);
    EXPECT_TRUE(doc.at("staging").at(0).at("exact").get<bool>());
    const nlohmann::json& run = doc.at("last_load_run");
    EXPECT_EQ(run.at("outcome"), "ok");
    EXPECT_EQ(run.at("rows").at("pin"), 50);
    EXPECT_EQ(run.at("rows").at("geo"), 10);
    EXPECT_TRUE(doc.at("ok").get<bool>());
}

TEST_F(StatusTest, GroupWithoutStoredOffsetsIsNotDeployedAndNotChecked) {
    produce("pin", 0, 5);
    const nlohmann::json doc = status_json({"--max-lag", "0"});
    EXPECT_TRUE(partition_of(doc, topic("pin"), 0).at("load").at("lag").is_null());
    EXPECT_TRUE(doc.at("lag").at("pinpipe-stream").at(topic("pin")).is_null());
    EXPECT_TRUE(doc.at("last_load_run").is_null());

    const auto text = status();
    ASSERT_EQ(text.exit_code, 0) << text.output;
    EXPECT_NE(text.output.find("pinpipe-load: no stored offsets"), std::string::npos)
        << text.output;
}

TEST_F(StatusTest, MaxLagChangesTheExitCodeWithOneLineReason) {
    produce("pin", 0, 10);
    load();
    produce("pin", 0, 3, 50);
    produce("pin", 1, 2, 60);

    EXPECT_EQ(status({"--max-lag", "5"}).exit_code, 0);
    const auto over = status({"--max-lag", "4"});
    EXPECT_EQ(over.exit_code, 1) << over.output;
    const std::string reason =
        fmt::format("pinpipe-load is 5 messages behind on {} (--max-lag 4)", topic("pin"));
    EXPECT_NE(over.output.find(reason), std::string::npos) << over.output;
    // The report comes first, the reason is the last line, alone.
    EXPECT_NE(over.output.find("Kafka partitions"), std::string::npos);
    EXPECT_EQ(over.output.find(reason), over.output.rfind(reason));

    // JSON keeps the violations in the document too.
    const auto json = status({"--json", "--max-lag", "4"});
    EXPECT_EQ(json.exit_code, 1);
    const nlohmann::json doc =
        nlohmann::json::parse(json.output.substr(0, json.output.rfind('}') + 1));
    EXPECT_FALSE(doc.at("ok").get<bool>());
    EXPECT_EQ(doc.at("violations").at(0), reason);

    // Leaving the load group out leaves its lag unchecked.
    EXPECT_EQ(status({"--max-lag", "4", "--load-group="}).exit_code, 0);
}

// A topic recreated behind a stored offset: the lag, clamped to 0, read "caught up" while load
// refused to read the partition. Now a problem, whatever the thresholds.
TEST_F(StatusTest, AStoredOffsetBeyondTheEndIsAProblemNotCaughtUp) {
    produce("pin", 0, 10);
    load();
    exec(
        fmt::format("UPDATE etl.consumer_offsets SET next_offset = 5000 WHERE consumer = "
                    "'pinpipe-load' AND topic = '{}' AND partition = 0",
                    topic("pin")));
    const auto text = status();
    EXPECT_EQ(text.exit_code, 1) << text.output;
    const std::string reason = fmt::format(
        "pinpipe-load's stored offset 5000 on {} partition 0 is beyond its high watermark 10 (the "
        "topic was recreated or its log truncated: reset the offset as docs/operations.md shows)",
        topic("pin"));
    EXPECT_NE(text.output.find(reason), std::string::npos) << text.output;
    EXPECT_NE(text.output.find("beyond end!"), std::string::npos) << text.output;
    // The pin row of the freshness table says stuck, not caught up.
    const size_t freshness = text.output.find("Freshness");
    const size_t pin_row = text.output.find(topic("pin"), freshness);
    const std::string row = text.output.substr(pin_row, text.output.find('\n', pin_row) - pin_row);
    EXPECT_NE(row.find("stuck: a stored offset is beyond Kafka's end"), std::string::npos)
        << text.output;

    const auto json = status({"--json"});
    EXPECT_EQ(json.exit_code, 1);
    const nlohmann::json doc =
        nlohmann::json::parse(json.output.substr(0, json.output.rfind('}') + 1));
    EXPECT_TRUE(partition_of(doc, topic("pin"), 0).at("load").at("beyond_end").get<bool>());
    EXPECT_EQ(doc.at("freshness").at(0).at("load"), "offset_beyond_end");
    EXPECT_EQ(doc.at("violations").at(0), reason);
}

TEST_F(StatusTest, MaxFreshnessChangesTheExitCode) {
    produce("pin", 0, 3);
    produce("geo", 0, 3);
    load();
    // Nothing produced to user: nothing to be stale about.
    EXPECT_EQ(status({"--max-freshness-s", "3600"}).exit_code, 0);

    exec("UPDATE staging.geo_events SET kafka_timestamp = now() - interval '2 hours'");
    // Two hours without a new geo event, all of them loaded: no events arrived, which is not a
    // failure of the pipeline.
    const auto idle = status({"--max-freshness-s", "3600"});
    EXPECT_EQ(idle.exit_code, 0) << idle.output;
    EXPECT_NE(idle.output.find("caught up (no newer events in Kafka)"), std::string::npos)
        << idle.output;
    // A new geo event waits in Kafka: now the pipeline is behind.
    produce("geo", 0, 1, 10);
    const auto stale = status({"--max-freshness-s", "3600"});
    EXPECT_EQ(stale.exit_code, 1) << stale.output;
    EXPECT_NE(stale.output.find(fmt::format("newest row loaded from {} is", topic("geo"))),
              std::string::npos)
        << stale.output;
    EXPECT_NE(stale.output.find("while 1 messages wait to be loaded"), std::string::npos)
        << stale.output;
    EXPECT_EQ(stale.output.find(fmt::format("loaded from {} is", topic("pin"))), std::string::npos)
        << stale.output;
    EXPECT_EQ(status({"--max-freshness-s", "10000"}).exit_code, 0);

    const nlohmann::json doc = status_json();
    const double geo_age = doc.at("freshness").at(1).at("age_seconds").get<double>();
    EXPECT_GE(geo_age, 7200);
    EXPECT_LT(geo_age, 7200 + 600);

    produce("user", 1, 1);  // in Kafka, never loaded
    const auto unloaded = status({"--max-freshness-s", "10000"});
    EXPECT_EQ(unloaded.exit_code, 1);
    EXPECT_NE(unloaded.output.find(fmt::format("nothing loaded from {} yet", topic("user"))),
              std::string::npos)
        << unloaded.output;
}

TEST_F(StatusTest, RealtimeTablesAreListedOnceTheyExist) {
    // Migration 0020 creates the tables pinpipe stream writes; without them the schema is empty.
    exec(
        "DROP TABLE realtime.event_minute, realtime.category_minute, realtime.country_minute, "
        "realtime.age_group_minute, realtime.poster_popularity");
    EXPECT_TRUE(status_json().at("realtime").empty());
    EXPECT_NE(status().output.find("no tables in schema realtime yet"), std::string::npos);

    exec(
        "CREATE TABLE realtime.category_minute (category text, minute timestamptz, posts "
        "bigint); INSERT INTO realtime.category_minute VALUES ('art', now(), 3), ('diy', now(), "
        "1)");
    const nlohmann::json realtime = status_json().at("realtime");
    ASSERT_EQ(realtime.size(), 1u);
    EXPECT_EQ(realtime.at(0).at("table"), "realtime.category_minute");
    EXPECT_EQ(realtime.at(0).at("rows"), 2);
}

TEST_F(StatusTest, DeadLettersAreCountedByReason) {
    produce("pin", 0, 2);
    produce_raw("pin", 1, "not json");
    produce_raw("pin", 1, "[1, 2]");
    produce_raw("pin", 1, "{broken");
    load();
    const nlohmann::json dead = status_json().at("dead_letters");
    ASSERT_EQ(dead.size(), 2u) << dead.dump();
    EXPECT_EQ(dead.at(0).at("reason"), "invalid_json");
    EXPECT_EQ(dead.at(0).at("count"), 2);
    EXPECT_EQ(dead.at(0).at("consumer"), "pinpipe-load");
    EXPECT_EQ(dead.at(1).at("reason"), "not_object");
    EXPECT_EQ(dead.at(1).at("count"), 1);
    const auto text = status();
    EXPECT_NE(text.output.find("invalid_json"), std::string::npos) << text.output;
}

TEST_F(StatusTest, BadThresholdIsUsageError) {
    EXPECT_EQ(status({"--max-lag", "-1"}).exit_code, 2);
    EXPECT_EQ(status({"--max-freshness-s", "soon"}).exit_code, 2);
}

TEST_F(StatusTest, UnreachableKafkaFailsNamingIt) {
    const auto run = run_pinpipe({"status", "--dsn", m_dsn, "-b", "127.0.0.1:1", "--topic-prefix",
                                  m_prefix, "--kafka-timeout-s", "1"});
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("127.0.0.1:1"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace pinpipe
