// pinpipe emulate: realistic pin/geo/user events into Kafka, like the seeds' posting script.
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "events/generator.hpp"
#include "kafka/client.hpp"
#include "serve/ingest_client.hpp"
#include "util/errors.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto delivery_timeout = std::chrono::seconds(60);
constexpr auto progress_interval = std::chrono::seconds(1);

// --via: the seeds' posting scripts, in C++: each event's pin, geo and user go to serve in
// the --api style (REST proxy v2 with `batch` records per request, Kinesis-style or plain
// records one per request), one keep-alive connection, each request answered once Kafka
// acknowledged it.
int emulate_via_http(const serve::BaseUrl& url, const std::string& api_key, serve::IngestApi api,
                     size_t batch, uint64_t count, double rate, uint64_t seed,
                     const std::string& prefix) {
    serve::IngestClient client(url, api_key, api, prefix);
    constexpr std::array<const char*, 3> kinds = {"pin", "geo", "user"};
    std::array<std::vector<std::string>, 3> pending;
    uint64_t posted_records = 0;
    uint64_t failed_records = 0;
    std::string first_error;
    const auto post_pending = [&] {
        for (size_t kind = 0; kind < kinds.size(); ++kind) {
            if (pending[kind].empty()) {
                continue;
            }
            const serve::ProduceOutcome outcome = client.post(kinds[kind], pending[kind]);
            posted_records += pending[kind].size();
            failed_records += outcome.failed;
            if (first_error.empty()) {
                first_error = outcome.first_error;
            }
            pending[kind].clear();
        }
    };

    util::install_stop_signal_handlers();
    events::EventGenerator generator(seed);
    const bool show_progress = isatty(STDERR_FILENO) != 0;
    const auto started = Clock::now();
    auto next_progress = started + progress_interval;
    uint64_t produced = 0;
    while ((count == 0 || produced < count) && !util::stop_requested()) {
        if (rate > 0) {
            const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(produced / rate));
            std::this_thread::sleep_until(due);
        }
        events::GeneratedEvent event = generator.next();
        pending[0].push_back(std::move(event.pin));
        pending[1].push_back(std::move(event.geo));
        pending[2].push_back(std::move(event.user));
        ++produced;
        if (pending[0].size() >= batch) {
            post_pending();
        }
        if (show_progress && Clock::now() >= next_progress) {
            const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
            std::cerr << fmt::format("\remulated {} events ({:.0f}/s)", produced,
                                     produced / seconds)
                      << std::flush;
            next_progress += progress_interval;
        }
    }
    post_pending();
    if (show_progress) {
        std::cerr << "\n";
    }
    if (failed_records > 0) {
        throw std::runtime_error(fmt::format("{} of {} records were not acknowledged by {}: {}",
                                             failed_records, posted_records, url.origin,
                                             first_error));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::cout << fmt::format(
                     "emulate: {} events ({} records in {} requests) via {}{} to {}.pin/.geo/.user "
                     "in {:.2f} s ({:.0f} events/s)",
                     produced, posted_records, client.requests(), url.origin, url.base_path, prefix,
                     seconds, seconds > 0 ? produced / seconds : 0.0)
              << std::endl;
    return 0;
}

}  // namespace

int emulate_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Produce N events, each a pin, a geo and a user message with the same ind (the key), "
        "into <prefix>.pin, .geo and .user. Values are realistic and dirty (placeholders, "
        "\"7k\" follower counts, boundary ages), about 2% are re-sends of earlier events, and "
        "the same --seed gives the same events. Waits for every delivery report.");
    add_connection_options(options);
    add_logging_options(options);
    options.add_options()("count", "events to produce (0: until SIGTERM/SIGINT)",
                          cxxopts::value<uint64_t>()->default_value("1000"))(
        "rate", "events per second (0: as fast as possible)",
        cxxopts::value<double>()->default_value("0"))(
        "seed", "random seed", cxxopts::value<uint64_t>()->default_value("1"))(
        "via",
        "post to a pinpipe serve (or Kafka REST proxy) base URL instead of producing to "
        "Kafka, as the seeds' posting scripts do, in the --api style, one record per request "
        "unless --batch (x-api-key from PINPIPE_API_KEY)",
        cxxopts::value<std::string>()->default_value(""))(
        "api",
        "with --via: rest-proxy (POST URL/topics/<prefix>.<kind>), kinesis (PUT "
        "URL/streams/<prefix>-<kind>/record with {\"StreamName\",\"Data\",\"PartitionKey\"}) or "
        "plain (POST URL/<kind>/ with the bare event), the three styles of the seeds' scripts",
        cxxopts::value<std::string>()->default_value("rest-proxy"))(
        "batch",
        "with --via --api rest-proxy: records per request (events of one kind per request)",
        cxxopts::value<size_t>()->default_value("1"));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const uint64_t count = (*result)["count"].as<uint64_t>();
    const double rate = (*result)["rate"].as<double>();
    if (rate < 0) {
        throw UsageError("--rate must not be negative");
    }
    const std::string via = (*result)["via"].as<std::string>();
    const size_t batch = (*result)["batch"].as<size_t>();
    if (batch == 0 || batch > 100000) {
        throw UsageError("--batch must be between 1 and 100000");
    }
    if (batch > 1 && via.empty()) {
        throw UsageError("--batch needs --via (it sets the records per HTTP request)");
    }
    const std::string api_name = (*result)["api"].as<std::string>();
    const auto api = serve::parse_ingest_api(api_name);
    if (!api) {
        throw UsageError(
            fmt::format("invalid --api \"{}\" (use rest-proxy, kinesis or plain)", api_name));
    }
    if (result->count("api") && via.empty()) {
        throw UsageError("--api needs --via (it sets how events are posted over HTTP)");
    }
    if (batch > 1 && !serve::carries_batches(*api)) {
        throw UsageError(
            fmt::format("--batch needs --api rest-proxy ({} sends one record per "
                        "request, as the seeds' scripts do)",
                        api_name));
    }
    if (!via.empty()) {
        const auto base_url = serve::parse_base_url(via);
        if (!base_url) {
            throw UsageError(fmt::format(
                "invalid --via \"{}\" (use a base URL such as http://127.0.0.1:8082)", via));
        }
        const char* api_key = std::getenv("PINPIPE_API_KEY");
        return emulate_via_http(*base_url, api_key ? api_key : "", *api, batch, count, rate,
                                (*result)["seed"].as<uint64_t>(),
                                resolve_topic_prefix((*result)["topic-prefix"].as<std::string>()));
    }
    const ConnectionSettings settings = connection_settings(*result);
    kafka::Producer producer(settings.kafka_properties(kafka::Producer::default_properties()));
    const auto topics = settings.topics();

    util::install_stop_signal_handlers();
    events::EventGenerator generator((*result)["seed"].as<uint64_t>());
    const bool show_progress = isatty(STDERR_FILENO) != 0;
    const auto started = Clock::now();
    auto next_progress = started + progress_interval;
    uint64_t produced = 0;
    uint64_t resent = 0;
    while ((count == 0 || produced < count) && !util::stop_requested()) {
        if (rate > 0) {
            // Pace by schedule, not by sleeping a fixed gap: no drift over long runs.
            const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(produced / rate));
            std::this_thread::sleep_until(due);
        }
        const events::GeneratedEvent event = generator.next();
        const std::string key = std::to_string(event.ind);
        producer.produce(topics[0], key, event.pin);
        producer.produce(topics[1], key, event.geo);
        producer.produce(topics[2], key, event.user);
        producer.poll(std::chrono::milliseconds(0));
        ++produced;
        resent += event.resent ? 1 : 0;
        if (show_progress && Clock::now() >= next_progress) {
            const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
            std::cerr << fmt::format("\remulated {} events ({:.0f}/s)", produced,
                                     produced / seconds)
                      << std::flush;
            next_progress += progress_interval;
        }
    }
    producer.flush(delivery_timeout);
    if (show_progress) {
        std::cerr << "\n";
    }
    if (producer.failed() > 0) {
        throw std::runtime_error(fmt::format("{} of {} messages could not be delivered: {}",
                                             producer.failed(), produced * 3,
                                             producer.first_error()));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::cout << fmt::format(
                     "emulate: {} events ({} messages, {} re-sent) to {}.pin/.geo/.user in "
                     "{:.2f} s ({:.0f} events/s)",
                     produced, producer.delivered(), resent, settings.topic_prefix, seconds,
                     seconds > 0 ? produced / seconds : 0.0)
              << std::endl;
    return 0;
}

}  // namespace pinpipe::cli
