// Serves a metrics registry as Prometheus text on GET /metrics from a thread of its own
// (--metrics-listen ADDR:PORT). The address parsing is pure and unit-tested.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "obs/metrics.hpp"

namespace httplib {
class Server;
}

namespace pinpipe::stream {

struct ListenAddress {
    std::string host;  // "127.0.0.1", "0.0.0.0", "::1" (brackets removed)
    int port = 0;
};

// "HOST:PORT" or "[IPV6]:PORT", port 1-65535; throws UsageError naming the value otherwise.
ListenAddress parse_listen_address(std::string_view text);

class MetricsServer {
  public:
    // Binds now (throws std::runtime_error when the address is taken or invalid) and serves
    // until destroyed.
    MetricsServer(const obs::MetricsRegistry& registry, const ListenAddress& address);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

  private:
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
};

}  // namespace pinpipe::stream
