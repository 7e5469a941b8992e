// The lifecycle of `pinpipe serve`: refuses an exposed listener without a key, builds the Kafka
// gateway and the server, runs the event loop on a thread of its own until a stop request, and
// turns a failure of that loop into one error line instead of an aborted process.
#pragma once

#include <functional>
#include <string>

#include "kafka/config.hpp"
#include "serve/request.hpp"
#include "serve/server.hpp"

namespace pinpipe::serve {

struct ServiceSettings {
    ServerOptions server;
    ServeConfig config;
    kafka::Properties kafka;  // the producer's, defaults and user settings merged
    // Listening beyond the loopback without an API key is what the user means (--allow-anonymous).
    bool allow_anonymous = false;
};

// Throws UsageError when the listen host is not an IP address, and when the server would listen
// on a non-loopback address without a key and allow_anonymous is false: anyone reaching the port
// could write into the pipeline's topics.
void check_exposure(const ServiceSettings& settings);

// check_exposure, then binds and calls on_listening(url) (http://ADDR:PORT) once clients can
// connect, serves until stop_requested() returns true (polled every 100 ms), answers the
// requests in flight and returns. Throws std::runtime_error (one line) when the address cannot
// be bound or the event loop fails.
void run_service(const ServiceSettings& settings,
                 const std::function<void(const std::string& url)>& on_listening,
                 const std::function<bool()>& stop_requested);

}  // namespace pinpipe::serve
