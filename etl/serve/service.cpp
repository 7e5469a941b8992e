#include "serve/service.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <thread>

#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "serve/kafka_gateway.hpp"
#include "util/errors.hpp"

namespace pinpipe::serve {
namespace {

constexpr auto stop_poll_interval = std::chrono::milliseconds(100);

std::string url_of(const std::string& host, int port) {
    const bool v6 = host.find(':') != std::string::npos;
    return v6 ? fmt::format("http://[{}]:{}", host, port) : fmt::format("http://{}:{}", host, port);
}

}  // namespace

void check_exposure(const ServiceSettings& settings) {
    // Before the key check, which would otherwise call a name like localhost exposed.
    if (!is_ip_address(settings.server.host)) {
        throw UsageError(fmt::format(
            "serve --listen takes an IP address, not the host name \"{}\" (use 127.0.0.1:PORT, "
            "[::1]:PORT, or 0.0.0.0:PORT for every interface)",
            settings.server.host));
    }
    if (!settings.config.api_key.empty() || settings.allow_anonymous ||
        is_loopback_host(settings.server.host)) {
        return;
    }
    throw UsageError(fmt::format(
        "refusing to listen on {} without an API key: anyone who reaches it could write into "
        "the topics (set PINPIPE_API_KEY, listen on 127.0.0.1, or pass --allow-anonymous if "
        "that is intended)",
        settings.server.host));
}

void run_service(const ServiceSettings& settings,
                 const std::function<void(const std::string& url)>& on_listening,
                 const std::function<bool()>& stop_requested) {
    check_exposure(settings);
    obs::MetricsRegistry registry;
    // Declared before the server: its destructor waits for outstanding deliveries, which
    // outlive the server only when the event loop failed (their callbacks are dropped then).
    KafkaGateway gateway(settings.kafka);
    Server server(settings.server, settings.config, gateway, registry);
    const int port = server.bind();
    const std::string url = url_of(settings.server.host, port);

    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    std::thread runner([&server, &failure, &failed] {
        // An exception must not leave this thread (std::terminate): it is handed to the
        // waiting thread, which reports it.
        try {
            server.run();
        } catch (...) {
            failure = std::current_exception();
            failed.store(true);
        }
    });
    on_listening(url);
    obs::log_info("serve: listening",
                  {{"url", url},
                   {"kafka", gateway.brokers()},
                   {"topic_prefix", settings.config.topic_prefix},
                   {"api_key", settings.config.api_key.empty() ? "off" : "required"},
                   {"max_connections", std::to_string(settings.server.max_connections)}});
    while (!stop_requested() && !failed.load()) {
        std::this_thread::sleep_for(stop_poll_interval);
    }
    if (!failed.load()) {
        obs::log_info("serve: stopping (answering requests in flight)");
    }
    server.stop();
    runner.join();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& error) {
            throw std::runtime_error(fmt::format(
                "serve: the HTTP server on {} failed: {} (requests in flight were not answered)",
                url, error.what()));
        }
    }
}

}  // namespace pinpipe::serve
