#include "kafka/mock_cluster.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace pinpipe::kafka {

MockCluster::MockCluster(int broker_count) : m_broker_count(broker_count) {
    // A producer handle with no brokers of its own only hosts the mock cluster.
    m_rk = make_client(RD_KAFKA_PRODUCER, make_conf({{"log_level", "3"}}));
    m_mock = rd_kafka_mock_cluster_new(m_rk.get(), broker_count);
    if (m_mock == nullptr) {
        throw std::runtime_error("could not start librdkafka's mock Kafka cluster");
    }
}

MockCluster::~MockCluster() {
    // DESIGN §11: destroy the mock cluster before its rd_kafka_t.
    rd_kafka_mock_cluster_destroy(m_mock);
}

std::string MockCluster::bootstrap_servers() const {
    return rd_kafka_mock_cluster_bootstraps(m_mock);
}

void MockCluster::create_topic(const std::string& name, int partitions) {
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(m_mock, name.c_str(), partitions, /*replication_factor=*/1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(fmt::format("could not create topic {} on the mock cluster: {}",
                                             name, rd_kafka_err2str(err)));
    }
}

void MockCluster::set_brokers_down(bool down) {
    for (int32_t broker = 1; broker <= m_broker_count; ++broker) {
        if (down) {
            rd_kafka_mock_broker_set_down(m_mock, broker);
        } else {
            rd_kafka_mock_broker_set_up(m_mock, broker);
        }
    }
}

}  // namespace pinpipe::kafka
