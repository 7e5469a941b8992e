// pinpipe serve: HTTP ingest (DESIGN §10, issue #6) speaking the Kafka REST Proxy v2 produce
// API, a Kinesis-style record API and plain /pin/ /geo/ /user/ posts, into <prefix>.<kind>.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "serve/kafka_gateway.hpp"
#include "serve/request.hpp"
#include "serve/server.hpp"
#include "util/errors.hpp"
#include "util/listen_address.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {

int serve_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Serve HTTP ingest into Kafka until SIGTERM or SIGINT. Endpoints: POST /topics/{topic} "
        "(Kafka REST Proxy v2, Content-Type application/vnd.kafka.json.v2+json), PUT "
        "/streams/{name}/record (Kinesis style; a name ending in -pin, -geo or -user goes to "
        "<prefix>.<kind>), POST /pin/, /geo/, /user/ (one bare event), GET /topics, /streams, "
        "/healthz (503 when Kafka is unreachable) and /metrics (Prometheus). Every answer comes "
        "after Kafka acknowledged every record. Prints its URL (http://ADDR:PORT) as the first "
        "line on stdout.");
    add_connection_options(options);
    add_logging_options(options);
    const serve::ServerOptions defaults;
    options.add_options()("listen", "address and port to listen on (port 0: a free one)",
                          cxxopts::value<std::string>()->default_value(
                              fmt::format("{}:{}", defaults.host, defaults.port)))(
        "api-key",
        "require this key in the x-api-key header, else 403 (env PINPIPE_API_KEY; /healthz "
        "and /metrics stay open)",
        cxxopts::value<std::string>()->default_value(""))(
        "base-path",
        "an API gateway stage prefix such as /prod: /prod/topics/{topic} is served as "
        "/topics/{topic} (paths without it too), so the seeds' scripts work unchanged",
        cxxopts::value<std::string>()->default_value(""))(
        "max-body-bytes", "largest request body accepted, else 413",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_body_bytes)))(
        "max-connections",
        "open client connections served at once (one event loop serves them all); further "
        "clients wait in the kernel's listen backlog until one closes",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_connections)))(
        "read-timeout",
        "seconds a client may stay silent while sending a request body, or sending a "
        "connection's first request line and headers, and may take to read an answer",
        cxxopts::value<int>()->default_value(std::to_string(defaults.read_timeout.count())))(
        "keep-alive-timeout",
        "seconds an idle keep-alive connection stays open (the next request's line and headers "
        "must arrive within it)",
        cxxopts::value<int>()->default_value(std::to_string(defaults.keep_alive_timeout.count())));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);

    const std::string listen = (*result)["listen"].as<std::string>();
    const util::ListenAddress address = util::listen_address_option("--listen", listen);
    serve::ServerOptions server_options;
    server_options.host = address.host;
    server_options.port = address.port;
    server_options.max_body_bytes = (*result)["max-body-bytes"].as<size_t>();
    server_options.max_connections = (*result)["max-connections"].as<size_t>();
    const int read_timeout = (*result)["read-timeout"].as<int>();
    const int keep_alive_timeout = (*result)["keep-alive-timeout"].as<int>();
    if (server_options.max_body_bytes == 0) {
        throw UsageError("--max-body-bytes must be positive");
    }
    if (server_options.max_connections == 0 || server_options.max_connections > 10000) {
        throw UsageError("--max-connections must be between 1 and 10000");
    }
    if (read_timeout < 1 || keep_alive_timeout < 1) {
        throw UsageError("--read-timeout and --keep-alive-timeout must be at least 1 second");
    }
    server_options.read_timeout = std::chrono::seconds(read_timeout);
    server_options.write_timeout = std::chrono::seconds(read_timeout);
    server_options.keep_alive_timeout = std::chrono::seconds(keep_alive_timeout);

    const ConnectionSettings settings = connection_settings(*result);
    serve::ServeConfig config;
    config.topic_prefix = settings.topic_prefix;
    const std::string base_path = (*result)["base-path"].as<std::string>();
    const auto normalized_base_path = serve::normalize_base_path(base_path);
    if (!normalized_base_path) {
        throw UsageError(
            fmt::format("invalid --base-path \"{}\" (use a path such as /prod)", base_path));
    }
    config.base_path = *normalized_base_path;
    config.api_key = (*result)["api-key"].as<std::string>();
    if (config.api_key.empty()) {
        if (const char* env = std::getenv("PINPIPE_API_KEY")) {
            config.api_key = env;
        }
    }

    util::install_stop_signal_handlers();
    obs::MetricsRegistry registry;
    serve::KafkaGateway gateway(
        settings.kafka_properties(serve::KafkaGateway::default_properties()));
    {
        serve::Server server(server_options, config, gateway, registry);
        const int port = server.bind();
        const bool v6 = address.host.find(':') != std::string::npos;
        const std::string url = v6 ? fmt::format("http://[{}]:{}", address.host, port)
                                   : fmt::format("http://{}:{}", address.host, port);
        std::thread runner([&server] { server.run(); });
        std::cout << url << std::endl;  // flushed: scripts wait for it
        obs::log_info("serve: listening",
                      {{"url", url},
                       {"kafka", gateway.brokers()},
                       {"topic_prefix", config.topic_prefix},
                       {"api_key", config.api_key.empty() ? "off" : "required"},
                       {"max_connections", std::to_string(server_options.max_connections)}});
        while (!util::stop_requested()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        obs::log_info("serve: stopping (answering requests in flight)");
        server.stop();
        runner.join();
    }
    // The gateway's destructor waits for outstanding deliveries before the producer goes.
    return 0;
}

}  // namespace pinpipe::cli
