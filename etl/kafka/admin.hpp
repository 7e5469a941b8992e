// Topic administration on a Kafka cluster through librdkafka's Admin API: creating the
// pipeline's topics and listing what exists, for `pinpipe topics`. librdkafka's mock cluster has
// no CreateTopics: `pinpipe broker` creates its topics itself (MockCluster::create_topic).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/config.hpp"

namespace pinpipe::kafka {

enum class TopicCreation { created, already_exists, failed };

struct TopicCreateResult {
    std::string topic;
    TopicCreation outcome = TopicCreation::failed;
    std::string error;  // the broker's reason when failed
};

class Admin {
  public:
    // Properties as for any client (bootstrap.servers, security); nothing connects yet.
    explicit Admin(const Properties& properties);

    // Asks the cluster to create each topic with this many partitions and replicas, waiting up
    // to timeout for the answer, and returns each topic's outcome. Throws
    // UsageError for a name or count the client rejects, std::runtime_error naming the brokers
    // when the request as a whole fails or goes unanswered.
    std::vector<TopicCreateResult> create_topics(std::span<const std::string> topics,
                                                 int partitions, int replication,
                                                 std::chrono::milliseconds timeout);

    // Every topic's name, sorted; throws naming the brokers when the cluster cannot be reached.
    std::vector<std::string> list_topics(std::chrono::milliseconds timeout);

  private:
    HandlePtr m_rk;
};

}  // namespace pinpipe::kafka
