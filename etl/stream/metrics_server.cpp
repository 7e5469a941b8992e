#include "stream/metrics_server.hpp"

#include <httplib.h>

#include <stdexcept>

#include <fmt/format.h>

#include "util/errors.hpp"

namespace pinpipe::stream {
namespace {

constexpr size_t max_request_body_bytes = 1024;

}  // namespace

MetricsServer::MetricsServer(const obs::MetricsRegistry& registry,
                             const util::ListenAddress& address)
    : m_server(std::make_unique<httplib::Server>()) {
    m_server->Get("/metrics", [&registry](const httplib::Request&, httplib::Response& response) {
        response.set_content(registry.render(), std::string(obs::prometheus_content_type));
    });
    // A scrape endpoint takes no body: anything but GET is refused before cpp-httplib reads
    // one (the pre-routing handler runs first), and a body is never buffered past a few bytes
    // (cpp-httplib's default limit is unbounded).
    m_server->set_payload_max_length(max_request_body_bytes);
    m_server->set_pre_routing_handler(
        [](const httplib::Request& request, httplib::Response& response) {
            if (request.method == "GET" || request.method == "HEAD") {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            response.status = 405;
            response.set_header("Allow", "GET");
            response.set_header("Connection", "close");
            response.set_content("only GET /metrics is served here\n", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        });
    if (address.port == 0) {
        m_port = m_server->bind_to_any_port(address.host);
    } else if (m_server->bind_to_port(address.host, address.port)) {
        m_port = address.port;
    }
    if (m_port <= 0) {
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
