// The Kafka side of `pinpipe serve`: one idempotent producer, its delivery reports surfaced on a
// file descriptor that the server's event loop watches (so a request is answered on the loop
// thread that read it, without a hand-off between threads), and a cached view of the topics.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
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

// What the topic cache can tell without asking Kafka.
struct CachedTopic {
    enum class State { found, missing, ask_kafka };
    State state = State::ask_kafka;
    int32_t partitions = 0;  // when found
};

class KafkaGateway {
  public:
    // Called once every record of a produce call has its delivery report (or could not be
    // queued), with the results in record order.
    using ProduceDone = std::function<void(std::vector<RecordResult>)>;

    // Our producer defaults for serving HTTP (see kafka_gateway.cpp for why), under the user's
    // -F file and -X overrides.
    static kafka::Properties default_properties();

    explicit KafkaGateway(const kafka::Properties& properties);
    // Waits (bounded) for outstanding deliveries, serving their reports on this thread.
    ~KafkaGateway();
    KafkaGateway(const KafkaGateway&) = delete;
    KafkaGateway& operator=(const KafkaGateway&) = delete;

    // Queues every record of the plan; `done` runs inside serve_events() once the last delivery
    // report arrived, or right here when no record could be queued at all.
    void produce(const ProducePlan& plan, ProduceDone done);

    // Readable when delivery reports wait: watch it (never read or close it) and call
    // serve_events() on the thread that produces.
    int events_fd() const { return m_event_pipe.read_end; }
    // Serves waiting delivery reports (and the `done` callbacks they complete) without blocking.
    void serve_events();

    // The topic's partition count, nullopt when the topic does not exist. Served from a cache
    // refreshed every few seconds, and at most once a second on a miss; throws KafkaUnavailable
    // when Kafka was never reached. May block for a metadata request: keep it off event loops.
    std::optional<int32_t> partition_count(const std::string& topic);
    // The cache's answer when partition_count would not ask Kafka, else ask_kafka (also while
    // another thread is asking); never blocks.
    CachedTopic cached_partition_count(const std::string& topic);
    // Every topic name, sorted; throws KafkaUnavailable.
    std::vector<std::string> topics();
    // Asks the cluster for metadata now (for /healthz); returns an error text, empty when OK.
    std::string check_reachable(std::chrono::milliseconds timeout);

    std::string brokers() const { return kafka::brokers_of(m_producer.raw()); }

    // Produce calls waiting for delivery reports.
    size_t pending() const;
    // Drops the `done` callbacks of every pending call (their deliveries are still awaited):
    // for a server whose event loop failed, so that nothing calls into it once it is gone.
    void forget_callbacks();

  private:
    struct Pending;
    void refresh_topics_locked(std::chrono::milliseconds timeout);
    void complete(Pending* pending);

    // Declared before the producer so that they outlive it: librdkafka holds pointers into them
    // until its handle is destroyed.
    mutable std::mutex m_pending_mutex;
    std::unordered_map<const Pending*, std::unique_ptr<Pending>> m_pending;
    // librdkafka writes to write_end when delivery reports are queued; non-blocking both ends.
    struct EventPipe {
        EventPipe();
        ~EventPipe();
        EventPipe(const EventPipe&) = delete;
        EventPipe& operator=(const EventPipe&) = delete;
        int read_end = -1;
        int write_end = -1;
    };
    EventPipe m_event_pipe;
    kafka::Producer m_producer;
    kafka::QueuePtr m_main_queue;  // where delivery reports land

    std::mutex m_topics_mutex;  // one metadata request at a time; guards the cache
    std::map<std::string, int32_t> m_partition_counts;
    std::optional<std::chrono::steady_clock::time_point> m_refreshed_at;
    std::optional<std::chrono::steady_clock::time_point> m_attempted_at;
};

}  // namespace pinpipe::serve
