// librdkafka's mock cluster: real Kafka protocol over TCP on 127.0.0.1, in this process. It is
// the embedded broker of `pinpipe broker`, the demo and the tests (DESIGN §11).
#pragma once

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h included before it.
#include <librdkafka/rdkafka_mock.h>

#include <string>

#include "kafka/client.hpp"

namespace pinpipe::kafka {

class MockCluster {
  public:
    explicit MockCluster(int broker_count = 1);
    ~MockCluster();
    MockCluster(const MockCluster&) = delete;
    MockCluster& operator=(const MockCluster&) = delete;

    std::string bootstrap_servers() const;
    void create_topic(const std::string& name, int partitions);
    // Makes every broker unreachable (connections refused) or reachable again.
    void set_brokers_down(bool down);
    rd_kafka_mock_cluster_t* raw() const { return m_mock; }

  private:
    HandlePtr m_rk;  // the mock cluster lives inside this handle and must go first
    rd_kafka_mock_cluster_t* m_mock = nullptr;
    int m_broker_count;
};

}  // namespace pinpipe::kafka
