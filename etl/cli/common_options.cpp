#include "cli/common_options.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "consume/engine.hpp"
#include "obs/log.hpp"
#include "obs/progress.hpp"
#include "pg/membership.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {
namespace {

constexpr const char* default_topic_prefix = "pinterest";

std::string from_env(const char* name, std::string fallback = {}) {
    const char* value = std::getenv(name);
    return (value != nullptr && *value != '\0') ? value : fallback;
}

std::string read_properties_file(const std::string& path) {
    if (path.empty()) {
        return {};
    }
    std::ifstream in(path);
    if (!in) {
        throw UsageError(fmt::format("could not read Kafka properties file {} (-F)", path));
    }
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
}

}  // namespace

void add_connection_options(cxxopts::Options& options) {
    options.add_options("Connection")(
        "dsn",
        "PostgreSQL connection string or URI (default: libpq's PGHOST, PGPORT, PGDATABASE, "
        "PGUSER, PGSERVICE, ~/.pgpass); never put a password here, use ~/.pgpass",
        cxxopts::value<std::string>()->default_value(""))(
        "b,brokers", "Kafka bootstrap servers host:port[,...] (env PINPIPE_BROKERS)",
        cxxopts::value<std::string>()->default_value(""))(
        "F,kafka-config", "librdkafka properties file, e.g. a client.properties for SASL_SSL",
        cxxopts::value<std::string>()->default_value(""))(
        "X", "librdkafka property override key=value (repeatable)",
        cxxopts::value<std::vector<std::string>>())(
        "topic-prefix",
        "topics are <prefix>.pin, <prefix>.geo, <prefix>.user (env "
        "PINPIPE_TOPIC_PREFIX, default pinterest)",
        cxxopts::value<std::string>()->default_value(""));
}

void add_logging_options(cxxopts::Options& options) {
    options.add_options("Logging")("log-format", "text or json (one line per event on stderr)",
                                   cxxopts::value<std::string>()->default_value("text"))(
        "log-level", "least severe level logged: debug, info, warning or error",
        cxxopts::value<std::string>()->default_value("info"));
}

ConnectionSettings connection_settings(const cxxopts::ParseResult& result) {
    ConnectionSettings settings;
    settings.dsn = result["dsn"].as<std::string>();
    settings.kafka.brokers = result["brokers"].as<std::string>();
    if (settings.kafka.brokers.empty()) {
        settings.kafka.brokers = from_env("PINPIPE_BROKERS");
    }
    settings.kafka.properties_file = result["kafka-config"].as<std::string>();
    if (result.count("X")) {
        settings.kafka.overrides = result["X"].as<std::vector<std::string>>();
        for (const std::string& argument : settings.kafka.overrides) {
            kafka::parse_override(argument);  // reject a malformed -X before connecting
        }
    }
    settings.topic_prefix = resolve_topic_prefix(result["topic-prefix"].as<std::string>());
    return settings;
}

std::string ConnectionSettings::topic(std::string_view kind) const {
    return fmt::format("{}.{}", topic_prefix, kind);
}

kafka::Properties ConnectionSettings::kafka_properties(
    const kafka::Properties& command_defaults) const {
    return kafka::resolve_properties(command_defaults, kafka,
                                     read_properties_file(kafka.properties_file));
}

std::string resolve_topic_prefix(const std::string& flag) {
    return flag.empty() ? from_env("PINPIPE_TOPIC_PREFIX", default_topic_prefix) : flag;
}

void apply_logging_options(const cxxopts::ParseResult& result) {
    obs::set_log_format(obs::parse_log_format(result["log-format"].as<std::string>()));
    obs::set_min_log_level(obs::parse_log_level(result["log-level"].as<std::string>()));
}

void add_progress_options(cxxopts::Options& options) {
    options.add_options("Logging")(
        "progress",
        "redraw a status line on stderr even when it is not a terminal (never with "
        "--log-format json)")("no-progress",
                              "no status line, even on a terminal (the default when stderr is "
                              "not one: cron, pipes, systemd)");
}

bool progress_wanted(const cxxopts::ParseResult& result) {
    if (result.count("progress") && result.count("no-progress")) {
        throw UsageError("--progress and --no-progress cannot go together");
    }
    const obs::ProgressMode mode = result.count("no-progress") ? obs::ProgressMode::off
                                   : result.count("progress")  ? obs::ProgressMode::on
                                                               : obs::ProgressMode::automatic;
    const bool json_logs =
        obs::parse_log_format(result["log-format"].as<std::string>()) == obs::LogFormat::json;
    return obs::progress_enabled(mode, obs::stderr_is_tty(), json_logs);
}

namespace {

void add_lock_timeout(cxxopts::Options& options, const std::string& description) {
    options.add_options()("lock-timeout-ms", description,
                          cxxopts::value<int>()->default_value(
                              std::to_string(consume::ConsumerOptions{}.lock_timeout.count())));
}

}  // namespace

void add_liveness_options(cxxopts::Options& options) {
    options.add_options()(
        "claim-lease-ms",
        "an instance that shows no sign of life for this long (stopped, hung on a disk, in a "
        "debugger) has its PostgreSQL session ended by the others, which take its partitions "
        "over; when it resumes it starts a new session (stream, load --follow) or fails and "
        "leaves the rest to the next run (a cron load)",
        cxxopts::value<int>()->default_value(std::to_string(pg::default_claim_lease.count())));
    add_lock_timeout(options,
                     "a batch that waits longer than this for a lock (the live state's fold lock, "
                     "a row another session holds) is rolled back and run again; the error names "
                     "the session that held the fold lock. Longer than the lease, so that a hung "
                     "peer is ended first");
}

void add_lock_timeout_option(cxxopts::Options& options) {
    add_lock_timeout(options,
                     "a transaction that waits longer than this for a lock (the live state's fold "
                     "lock, which loads hold while they fold a batch) fails with nothing written, "
                     "naming the session that held the fold lock");
}

std::chrono::milliseconds lock_timeout(const cxxopts::ParseResult& result) {
    const std::chrono::milliseconds timeout(result["lock-timeout-ms"].as<int>());
    if (timeout.count() <= 0) {
        throw UsageError("--lock-timeout-ms must be positive");
    }
    return timeout;
}

std::chrono::milliseconds claim_lease(const cxxopts::ParseResult& result,
                                      std::chrono::milliseconds heartbeat_interval) {
    const std::chrono::milliseconds lease((result)["claim-lease-ms"].as<int>());
    // A live instance heartbeats once per interval, a little later while a batch commits: a
    // lease of two intervals or less would end healthy sessions.
    if (lease <= 2 * heartbeat_interval) {
        throw UsageError(fmt::format(
            "--claim-lease-ms ({}) must exceed twice the interval at which instances heartbeat "
            "({} ms), or live instances would end each other's sessions",
            lease.count(), heartbeat_interval.count()));
    }
    return lease;
}

}  // namespace pinpipe::cli
