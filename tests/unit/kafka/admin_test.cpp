// kafka::Admin against librdkafka's mock cluster in this process: listing works; creating says
// the mock cannot and what to do instead; an unreachable cluster is named in the error.
#include "kafka/admin.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "kafka/mock_cluster.hpp"

namespace pinpipe::kafka {
namespace {

using namespace std::chrono_literals;

TEST(Admin, ListsTheClustersTopicsSorted) {
    MockCluster cluster;
    cluster.create_topic("admin_test.user", 1);
    cluster.create_topic("admin_test.geo", 2);
    Admin admin(Properties{{"bootstrap.servers", cluster.bootstrap_servers()}});
    const std::vector<std::string> topics = admin.list_topics(10s);
    const std::vector<std::string> expected = {"admin_test.geo", "admin_test.user"};
    EXPECT_EQ(topics, expected);
}

TEST(Admin, CreatingOnTheMockClusterSaysPinpipeBrokerCreatesTopics) {
    MockCluster cluster;
    Admin admin(Properties{{"bootstrap.servers", cluster.bootstrap_servers()}});
    const std::vector<std::string> topics = {"admin_test.pin"};
    try {
        admin.create_topics(topics, 3, 1, 1s);
        FAIL() << "the mock cluster has no CreateTopics";
    } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find(cluster.bootstrap_servers()), std::string::npos) << message;
        EXPECT_NE(message.find("pinpipe broker"), std::string::npos) << message;
    }
}

TEST(Admin, AnUnreachableClusterIsNamedWithAHint) {
    Admin admin(Properties{{"bootstrap.servers", "127.0.0.1:1"}});
    try {
        admin.list_topics(500ms);
        FAIL() << "nothing listens on port 1";
    } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("127.0.0.1:1"), std::string::npos) << message;
        EXPECT_NE(message.find("PINPIPE_BROKERS"), std::string::npos) << message;
    }
}

TEST(Admin, AnInvalidTopicIsAUsageErrorNamingIt) {
    Admin admin(Properties{{"bootstrap.servers", "127.0.0.1:1"}});
    const std::vector<std::string> topics = {"admin_test.pin"};
    try {
        admin.create_topics(topics, -2, 1, 1s);
        FAIL() << "-2 partitions";
    } catch (const std::exception& error) {
        EXPECT_NE(std::string(error.what()).find("admin_test.pin"), std::string::npos)
            << error.what();
    }
}

}  // namespace
}  // namespace pinpipe::kafka
