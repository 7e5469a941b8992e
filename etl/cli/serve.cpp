// pinpipe serve: HTTP ingest (DESIGN §10, issue #6) speaking the Kafka REST Proxy v2 produce
// API, a Kinesis-style record API and plain /pin/ /geo/ /user/ posts, into <prefix>.<kind>.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "serve/kafka_gateway.hpp"
#include "serve/request.hpp"
#include "serve/service.hpp"
#include "util/errors.hpp"
#include "util/listen_address.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {

int serve_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Serve HTTP ingest into Kafka until SIGTERM or SIGINT. Endpoints: POST /topics/{topic} "
        "(Kafka REST Proxy v2, Content-Type application/vnd.kafka.json.v2+json; only "
        "<prefix>.pin, .geo, .user and --allow-topic topics), PUT /streams/{name}/record "
        "(Kinesis style; a name ending in -pin, -geo or -user goes to <prefix>.<kind>), POST "
        "/pin/, /geo/, /user/ (one bare event), GET /topics, /streams, /healthz (503 when Kafka "
        "is unreachable) and /metrics (Prometheus). Every answer comes after Kafka acknowledged "
        "every record; 403, 404, 405, 413 and 415 are answered from the headers, before any "
        "body is read. Listening beyond the loopback needs an API key (PINPIPE_API_KEY) or "
        "--allow-anonymous. Prints its URL (http://ADDR:PORT) as the first line on stdout.");
    add_connection_options(options);
    add_logging_options(options);
    const serve::ServerOptions defaults;
    options.add_options()("listen", "address and port to listen on (port 0: a free one)",
                          cxxopts::value<std::string>()->default_value(
                              fmt::format("{}:{}", defaults.host, defaults.port)))(
        "api-key",
        "require this key in the x-api-key header, else 403 (prefer env PINPIPE_API_KEY: "
        "arguments are visible to every user of the machine; /healthz and /metrics stay open)",
        cxxopts::value<std::string>()->default_value(""))(
        "allow-anonymous",
        "accept writes without an API key on a non-loopback --listen address (refused "
        "otherwise, exit 2)")(
        "allow-topic",
        "a topic the REST-proxy routes accept besides <prefix>.pin, .geo and .user (repeatable)",
        cxxopts::value<std::vector<std::string>>())(
        "base-path",
        "an API gateway stage prefix such as /prod: /prod/topics/{topic} is served as "
        "/topics/{topic} (paths without it too), so the seeds' scripts work unchanged",
        cxxopts::value<std::string>()->default_value(""))(
        "max-body-bytes", "largest request body accepted, else 413 (decided from Content-Length)",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_body_bytes)))(
        "max-records", "records one request may carry, else 413",
        cxxopts::value<size_t>()->default_value(std::to_string(serve::default_max_records)))(
        "max-inflight-bytes",
        "declared body bytes of all requests being received or handled at once; a request that "
        "would go past it gets 503 before its body is read",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_inflight_bytes)))(
        "max-connections",
        "open client connections served at once (one event loop serves them all); further "
        "clients wait in the kernel's listen backlog until one closes",
        cxxopts::value<size_t>()->default_value(std::to_string(defaults.max_connections)))(
        "read-timeout",
        "seconds a client may stay silent while sending a request body, may take to send a "
        "connection's first request line and headers, and may take to read an answer",
        cxxopts::value<int>()->default_value(std::to_string(defaults.read_timeout.count())))(
        "request-timeout",
        "seconds a request's body may take to arrive after its headers, however steadily it "
        "trickles; a client past it is disconnected",
        cxxopts::value<int>()->default_value(std::to_string(defaults.request_timeout.count())))(
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
    serve::ServiceSettings settings;
    serve::ServerOptions& server_options = settings.server;
    server_options.host = address.host;
    server_options.port = address.port;
    server_options.max_body_bytes = (*result)["max-body-bytes"].as<size_t>();
    server_options.max_connections = (*result)["max-connections"].as<size_t>();
    server_options.max_inflight_bytes = (*result)["max-inflight-bytes"].as<size_t>();
    const int read_timeout = (*result)["read-timeout"].as<int>();
    const int request_timeout = (*result)["request-timeout"].as<int>();
    const int keep_alive_timeout = (*result)["keep-alive-timeout"].as<int>();
    if (server_options.max_body_bytes == 0) {
        throw UsageError("--max-body-bytes must be positive");
    }
    if (server_options.max_inflight_bytes < server_options.max_body_bytes) {
        throw UsageError(
            "--max-inflight-bytes must be at least --max-body-bytes (else no request of the "
            "largest size could ever be served)");
    }
    if (server_options.max_connections == 0 || server_options.max_connections > 10000) {
        throw UsageError("--max-connections must be between 1 and 10000");
    }
    if (read_timeout < 1 || keep_alive_timeout < 1 || request_timeout < 1) {
        throw UsageError(
            "--read-timeout, --request-timeout and --keep-alive-timeout must be at least 1 "
            "second");
    }
    server_options.read_timeout = std::chrono::seconds(read_timeout);
    server_options.write_timeout = std::chrono::seconds(read_timeout);
    server_options.keep_alive_timeout = std::chrono::seconds(keep_alive_timeout);
    server_options.request_timeout = std::chrono::seconds(request_timeout);

    const ConnectionSettings connection = connection_settings(*result);
    serve::ServeConfig& config = settings.config;
    config.topic_prefix = connection.topic_prefix;
    config.max_records = (*result)["max-records"].as<size_t>();
    if (config.max_records == 0) {
        throw UsageError("--max-records must be positive");
    }
    const auto extra_topics = result->count("allow-topic") > 0
                                  ? (*result)["allow-topic"].as<std::vector<std::string>>()
                                  : std::vector<std::string>{};
    for (const std::string& topic : extra_topics) {
        if (!serve::is_valid_topic_name(topic)) {
            throw UsageError(fmt::format(
                "invalid --allow-topic \"{}\" (Kafka topic names are 1-249 of a-z A-Z 0-9 . _ -)",
                topic));
        }
        config.extra_topics.push_back(topic);
    }
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
    settings.allow_anonymous = (*result)["allow-anonymous"].as<bool>();
    // Refused before anything connects to Kafka.
    serve::check_exposure(settings);
    settings.kafka = connection.kafka_properties(serve::KafkaGateway::default_properties());

    util::install_stop_signal_handlers();
    serve::run_service(
        settings,
        [](const std::string& url) {
            std::cout << url << std::endl;  // flushed: scripts wait for it
        },
        [] { return util::stop_requested(); });
    return 0;
}

}  // namespace pinpipe::cli
