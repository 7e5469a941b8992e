#include "stream/metrics_server.hpp"

#include <httplib.h>

#include <stdexcept>

#include <fmt/format.h>

#include "util/errors.hpp"

namespace pinpipe::stream {

MetricsServer::MetricsServer(const obs::MetricsRegistry& registry,
                             const util::ListenAddress& address)
    : m_server(std::make_unique<httplib::Server>()) {
    m_server->Get("/metrics", [&registry](const httplib::Request&, httplib::Response& response) {
        response.set_content(registry.render(), std::string(obs::prometheus_content_type));
    });
    if (!m_server->bind_to_port(address.host, address.port)) {
        throw std::runtime_error(
            fmt::format("could not listen for metrics on {}:{} (is the port in use, or the "
                        "address not one of this machine's? set --metrics-listen)",
                        address.host, address.port));
    }
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
    // stop() only interrupts a listen that has begun: give the thread a moment to get there.
    for (int i = 0; i < 1000 && !m_server->is_running(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    m_server->stop();
    m_thread.join();
}

}  // namespace pinpipe::stream
