// pinpipe emulate as a user runs it: a broker that cannot be reached fails the run before the
// first event, and SIGINT ends it promptly whatever it is waiting for (its pacing, a full
// producer queue behind a broker that went away).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>

#include "kafka/mock_cluster.hpp"
#include "support/harness.hpp"
#include "support/kafka_support.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

using namespace std::chrono_literals;

// A bound bound only a hang reaches: the waits these tests end would last minutes.
constexpr auto hang_bound = 60s;

// A TCP port of 127.0.0.1 that refuses connections for as long as this lives: bound, never
// listened on, so that no other process can take it meanwhile.
class RefusingPort {
  public:
    RefusingPort() : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("could not bind a TCP socket on 127.0.0.1");
        }
        m_port = ntohs(address.sin_port);
    }
    ~RefusingPort() { ::close(m_fd); }
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;

    std::string address() const { return "127.0.0.1:" + std::to_string(m_port); }

  private:
    int m_fd;
    int m_port = 0;
};

class EmulateTest : public ::testing::Test {
  protected:
    EmulateTest() {
        for (const char* kind : {".pin", ".geo", ".user"}) {
            m_kafka.create_topic(m_prefix + kind, 1);
        }
    }

    util::ChildProcess start(std::vector<std::string> args) {
        std::vector<std::string> argv = {
            PINPIPE_BINARY,   "emulate", "-b", m_kafka.bootstrap_servers(),
            "--topic-prefix", m_prefix};
        argv.insert(argv.end(), args.begin(), args.end());
        return util::ChildProcess(argv, {}, m_stderr);
    }

    // Returns once the first event's pin has reached the broker.
    void wait_for_first_event() {
        ASSERT_EQ(testing::consume_all(m_kafka.bootstrap_servers(), m_prefix + ".pin", 1).size(),
                  1u);
    }

    kafka::MockCluster m_kafka;
    const std::string m_prefix = testing::unique_name("emu");
    const std::filesystem::path m_stderr =
        std::filesystem::temp_directory_path() / (m_prefix + ".stderr");
};

TEST(Emulate, AnUnreachableBrokerFailsBeforeTheFirstEventNamingIt) {
    const RefusingPort port;
    const auto run = testing::run_pinpipe({"emulate", "--count", "10", "-b", port.address()});
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("could not reach Kafka at " + port.address()), std::string::npos)
        << run.output;
    EXPECT_EQ(run.output.find("undelivered"), std::string::npos) << run.output;
}

// Drift fixed: the pacer slept out the gap to the next event (100 s at --rate 0.01) ignoring
// the stop flag.
TEST_F(EmulateTest, SigintWhilePacingStopsAfterTheEventsSent) {
    util::ChildProcess emulate = start({"--count", "0", "--rate", "0.01"});
    wait_for_first_event();
    emulate.send_signal(SIGINT);
    const std::string summary = emulate.read_all();
    EXPECT_EQ(emulate.wait_for(hang_bound), 0) << testing::read_file(m_stderr);
    EXPECT_NE(summary.find("emulate: 1 events (3 messages"), std::string::npos) << summary;
}

// Drift fixed: with the broker gone, a full producer queue waited for librdkafka to expire its
// messages (message.timeout.ms, 5 minutes by default), then flushed for 60 s more, deaf to
// SIGINT all along.
TEST_F(EmulateTest, SigintWithTheBrokerGoneEndsInSecondsSayingWhatWasNotDelivered) {
    util::ChildProcess emulate = start({"--count", "0", "-X", "queue.buffering.max.messages=30"});
    wait_for_first_event();
    m_kafka.set_brokers_down(true);
    emulate.send_signal(SIGINT);
    EXPECT_EQ(emulate.wait_for(hang_bound), 1);
    EXPECT_NE(testing::read_file(m_stderr).find("still undelivered"), std::string::npos)
        << testing::read_file(m_stderr);
}

}  // namespace
}  // namespace pinpipe
