// The HTTP side of `pinpipe serve`: one Boost.Beast/Asio event loop that reads requests, hands
// them to the pure functions of request.hpp, produces through a KafkaGateway and answers when
// the delivery reports (served on the same loop) arrive. Limits, timeouts, bounded connections.
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
    // Open connections served at once. An open connection costs a socket and a few KiB, not a
    // thread; at the limit the server stops accepting, so further clients wait in the kernel's
    // listen backlog until a connection closes.
    size_t max_connections = 512;
    // A client silent this long while sending a request body is dropped; the request line and
    // headers of a connection's first request must arrive within it.
    std::chrono::seconds read_timeout{5};
    std::chrono::seconds write_timeout{5};  // a client not reading its response, likewise
    // An idle keep-alive connection is closed after this long; the next request's line and
    // headers must arrive within it.
    std::chrono::seconds keep_alive_timeout{5};
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
    // Serves on the calling thread until stop(); call once, after bind().
    void run();
    // Thread-safe. Stops accepting, closes idle connections, answers every request already
    // being received or produced (with Connection: close), then run() returns; stop() waits
    // for that when run() is running.
    void stop();

    struct Impl;  // public for the connection class in server.cpp

  private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pinpipe::serve
