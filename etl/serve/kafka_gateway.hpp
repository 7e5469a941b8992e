// The Kafka side of `pinpipe serve`: one idempotent producer shared by every HTTP worker, a
// thread that serves its delivery reports, and a cached view of which topics exist.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kafka/client.hpp"
#include "serve/request.hpp"

namespace pinpipe::serve {

// Kafka could not be reached to answer a question about topics: the caller answers 503.
class KafkaUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The REST proxy's error code for a librdkafka error: 50003 when retrying can succeed (broker
// down, timeouts, leader changes), 50002 otherwise.
int rest_error_code(rd_kafka_resp_err_t err);

class KafkaGateway {
  public:
    // Our producer defaults for serving HTTP (see kafka_gateway.cpp for why), under the user's
    // -F file and -X overrides.
    static kafka::Properties default_properties();

    explicit KafkaGateway(const kafka::Properties& properties);
    // Waits (bounded) for outstanding deliveries, then stops the delivery-report thread.
    ~KafkaGateway();
    KafkaGateway(const KafkaGateway&) = delete;
    KafkaGateway& operator=(const KafkaGateway&) = delete;

    // Produces every record of the plan and blocks until each has its delivery report (or could
    // not be queued); results are in record order.
    std::vector<RecordResult> produce(const ProducePlan& plan);

    // The topic's partition count, nullopt when the topic does not exist. Served from a cache
    // refreshed every few seconds, and at most once a second on a miss; throws KafkaUnavailable
    // when Kafka was never reached.
    std::optional<int32_t> partition_count(const std::string& topic);
    // Every topic name, sorted; throws KafkaUnavailable.
    std::vector<std::string> topics();
    // Asks the cluster for metadata now (for /healthz); returns an error text, empty when OK.
    std::string check_reachable(std::chrono::milliseconds timeout);

    std::string brokers() const { return kafka::brokers_of(m_producer.raw()); }

  private:
    void refresh_topics_locked(std::chrono::milliseconds timeout);

    kafka::Producer m_producer;
    std::atomic<bool> m_stop{false};
    std::thread m_poller;

    std::mutex m_topics_mutex;  // one metadata request at a time; guards the cache
    std::map<std::string, int32_t> m_partition_counts;
    std::optional<std::chrono::steady_clock::time_point> m_refreshed_at;
    std::optional<std::chrono::steady_clock::time_point> m_attempted_at;
};

}  // namespace pinpipe::serve
