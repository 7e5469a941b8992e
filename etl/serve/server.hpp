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
    // headers of a connection's first request must arrive within it (however they trickle).
    std::chrono::seconds read_timeout{5};
    std::chrono::seconds write_timeout{5};  // a client not reading its response, likewise
    // An idle keep-alive connection is closed after this long; the next request's line and
    // headers must arrive within it.
    std::chrono::seconds keep_alive_timeout{5};
    // A request's body must have arrived this long after its headers, however steadily it
    // trickles: a client sending a byte every few seconds cannot hold a slot for longer.
    std::chrono::seconds request_timeout{30};
    // Declared body bytes of the requests being received or handled, all connections together:
    // a request that would go past it is answered 503 before its body is read. Beast reserves
    // a declared body up front, so this bounds what clients can make the server allocate.
    size_t max_inflight_bytes = size_t{64} << 20;
};

// True when host (as --listen gives it) is a loopback address: 127.0.0.0/8 or ::1.
bool is_loopback_host(const std::string& host);
// True when host is an IPv4 or IPv6 address, the only hosts the server binds (not a name).
bool is_ip_address(const std::string& host);

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
