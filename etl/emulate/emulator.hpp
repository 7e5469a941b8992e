// pinpipe emulate's engine: paces generated events (emulate/generator.hpp) into Kafka, or posts
// them to an HTTP ingest endpoint the way the seeds' posting scripts do.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "kafka/config.hpp"
#include "serve/ingest_client.hpp"

namespace pinpipe::emulate {

// Hands out the due time of the n-th event: by schedule from the start, not by sleeping a fixed
// gap, so long runs do not drift. A rate of 0 means as fast as possible.
class Pacer {
  public:
    using Clock = std::chrono::steady_clock;

    explicit Pacer(double rate, Clock::time_point started = Clock::now())
        : m_rate(rate), m_started(started) {}

    Clock::time_point due(uint64_t event) const;
    // Sleeps until the event is due; false when a stop (SIGTERM, SIGINT) was requested first.
    bool wait_turn(uint64_t event) const;

  private:
    double m_rate;
    Clock::time_point m_started;
};

struct EmulateOptions {
    uint64_t count = 1000;  // events (0: until SIGTERM/SIGINT)
    double rate = 0;        // events per second (0: as fast as possible)
    uint64_t seed = 1;
    // Called about ten times a second with the events sent so far.
    std::function<void(uint64_t events)> progress;
};

struct EmulateSummary {
    uint64_t events = 0;
    uint64_t messages = 0;  // Kafka messages delivered, or records posted over HTTP
    uint64_t resent = 0;    // events that were re-sends of earlier ones (Kafka only)
    uint64_t requests = 0;  // HTTP requests (via HTTP only)
    double seconds = 0;
};

// Each event's pin, geo and user message (key = ind) into the three topics; waits for every
// delivery report and throws when a message could not be delivered.
EmulateSummary emulate_to_kafka(const kafka::Properties& properties,
                                const std::array<std::string, 3>& topics,
                                const EmulateOptions& options);

struct HttpTarget {
    serve::BaseUrl url;
    std::string api_key;
    serve::IngestApi api = serve::IngestApi::rest_proxy;
    size_t batch = 1;  // records per request (rest-proxy style only)
    std::string topic_prefix;
};

// Each event's pin, geo and user record posted to the target in its API style, on one keep-alive
// connection; each request answered once Kafka acknowledged it. Throws when a record was refused.
EmulateSummary emulate_via_http(const HttpTarget& target, const EmulateOptions& options);

}  // namespace pinpipe::emulate
