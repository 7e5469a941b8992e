// The HTTP side of `pinpipe serve`: cpp-httplib with bounded workers, limits and timeouts, every
// request handed to the pure functions of request.hpp and produced through a KafkaGateway.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "obs/metrics.hpp"
#include "serve/kafka_gateway.hpp"
#include "serve/request.hpp"

namespace pinpipe::serve {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8082;  // the REST proxy's port; 0 picks a free one
    size_t max_body_bytes = size_t{10} << 20;
    // cpp-httplib serves each connection on one worker thread for the connection's life (keep-
    // alive included), so this is both the thread count and the connections served at once;
    // further connections wait in a queue of the same length, then in the kernel's backlog.
    size_t max_connections = 64;
    std::chrono::seconds read_timeout{5};        // a client silent this long mid-request is dropped
    std::chrono::seconds write_timeout{5};       // a client not reading its response, likewise
    std::chrono::seconds keep_alive_timeout{5};  // an idle keep-alive connection is closed
    // Requests per connection before it is closed, so that a worker is handed back now and
    // then even to a client that never goes idle.
    size_t keep_alive_max_requests = 10000;
};

class Server {
  public:
    Server(ServerOptions options, ServeConfig config, KafkaGateway& gateway,
           obs::MetricsRegistry& registry);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds the listening socket; returns the port (the chosen one when options.port is 0).
    // Throws when the address cannot be bound.
    int bind();
    // Serves until stop(); call after bind().
    void run();
    // Thread-safe; run() returns once in-flight requests are answered.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pinpipe::serve
