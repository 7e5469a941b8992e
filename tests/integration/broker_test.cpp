// pinpipe broker as a standalone process, used by a real librdkafka client and by kcat.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "kafka/client.hpp"
#include "support/harness.hpp"
#include "support/kafka_support.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

using namespace std::chrono_literals;

struct RunningBroker {
    util::ChildProcess process;
    std::string bootstrap;
};

RunningBroker start_broker(const std::string& prefix, int partitions) {
    util::ChildProcess process({PINPIPE_BINARY, "broker", "--partitions",
                                std::to_string(partitions), "--topic-prefix", prefix});
    const auto line = process.read_line(10s);
    if (!line) {
        throw std::runtime_error("pinpipe broker printed no bootstrap address");
    }
    return {std::move(process), *line};
}

TEST(Broker, PrintsBootstrapCreatesTopicsAndStopsOnSigterm) {
    RunningBroker broker = start_broker("b1", 5);
    EXPECT_TRUE(broker.bootstrap.starts_with("127.0.0.1:")) << broker.bootstrap;

    kafka::HandlePtr rk = kafka::make_client(
        RD_KAFKA_PRODUCER, kafka::make_conf({{"bootstrap.servers", broker.bootstrap}}));
    EXPECT_EQ(kafka::partition_counts(rk.get(), {"b1.pin", "b1.geo", "b1.user"}, 10s),
              (std::vector<int32_t>{5, 5, 5}));

    broker.process.send_signal(SIGTERM);
    EXPECT_EQ(broker.process.wait_for(5s), 0);
}

TEST(Broker, RoundTripsKeyedMessagesThroughLibrdkafka) {
    RunningBroker broker = start_broker("b2", 3);
    kafka::Producer producer(kafka::resolve_properties(kafka::Producer::default_properties(),
                                                       {broker.bootstrap, "", {}}, ""));
    for (int i = 0; i < 100; ++i) {
        producer.produce("b2.pin", std::to_string(i), "{\"index\":" + std::to_string(i) + "}");
    }
    producer.flush(10s);
    EXPECT_EQ(producer.delivered(), 100u);
    EXPECT_EQ(producer.failed(), 0u);

    const auto messages = testing::consume_all(broker.bootstrap, "b2.pin", 100);
    ASSERT_EQ(messages.size(), 100u);
    std::set<int> partitions;
    for (const auto& msg : messages) {
        EXPECT_EQ(msg.value, "{\"index\":" + msg.key + "}");
        partitions.insert(msg.partition);
    }
    EXPECT_EQ(partitions.size(), 3u) << "keyed messages spread over every partition";
}

TEST(Broker, KcatProducesAndConsumes) {
    if (util::run_process({"sh", "-c", "command -v kcat"}).exit_code != 0) {
        GTEST_SKIP() << "kcat is not installed (apt-get install kcat)";
    }
    RunningBroker broker = start_broker("b3", 2);
    const auto file = std::filesystem::temp_directory_path() / testing::unique_name("kcat");
    std::ofstream(file) << "{\"ind\":1}\n{\"ind\":2}\n{\"ind\":3}\n";
    const auto produced = util::run_process(
        {"kcat", "-P", "-b", broker.bootstrap, "-t", "b3.geo", "-l", file.string()});
    std::filesystem::remove(file);
    ASSERT_EQ(produced.exit_code, 0) << produced.output;
    const auto consumed = util::run_process({"kcat", "-C", "-b", broker.bootstrap, "-t", "b3.geo",
                                             "-o", "beginning", "-e", "-q", "-f", "%s\\n"});
    ASSERT_EQ(consumed.exit_code, 0) << consumed.output;
    for (const char* value : {"{\"ind\":1}", "{\"ind\":2}", "{\"ind\":3}"}) {
        EXPECT_NE(consumed.output.find(value), std::string::npos) << consumed.output;
    }
}

TEST(Broker, RejectsBadPartitionCount) {
    EXPECT_EQ(testing::run_pinpipe({"broker", "--partitions", "0"}).exit_code, 2);
}

}  // namespace
}  // namespace pinpipe
