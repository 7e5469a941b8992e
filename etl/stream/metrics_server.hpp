// Serves a metrics registry as Prometheus text on GET /metrics from a thread of its own
// (--metrics-listen ADDR:PORT, read by util/listen_address.hpp). Answers only GET (and HEAD);
// request bodies are bounded.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "obs/metrics.hpp"
#include "util/listen_address.hpp"

namespace httplib {
class Server;
}

namespace pinpipe::stream {

class MetricsServer {
  public:
    // Binds now (throws std::runtime_error when the address is taken or invalid) and serves
    // until destroyed.
    MetricsServer(const obs::MetricsRegistry& registry, const util::ListenAddress& address);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    int port() const { return m_port; }  // the bound one (a free one when asked for port 0)

  private:
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
    int m_port = 0;
};

}  // namespace pinpipe::stream
