#include "stream/metrics_server.hpp"

#include <httplib.h>

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "util/errors.hpp"

namespace pinpipe::stream {

ListenAddress parse_listen_address(std::string_view text) {
    const auto invalid = [&] {
        return UsageError(fmt::format(
            "invalid listen address \"{}\" (expected HOST:PORT such as 127.0.0.1:9464 or "
            "[::1]:9464)",
            text));
    };
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        throw invalid();
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') {
            throw invalid();
        }
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        throw invalid();  // a bare IPv6 address needs brackets
    }
    int port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
        throw invalid();
    }
    return {std::string(host), port};
}

MetricsServer::MetricsServer(const obs::MetricsRegistry& registry, const ListenAddress& address)
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
