// pinpipe emulate: realistic pin/geo/user events into Kafka, like the seeds' posting script.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <iostream>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "emulate/emulator.hpp"
#include "kafka/client.hpp"
#include "obs/progress.hpp"
#include "serve/ingest_client.hpp"
#include "util/errors.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {

int emulate_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Produce N events, each a pin, a geo and a user message with the same ind (the key), "
        "into <prefix>.pin, .geo and .user. Values are realistic and dirty (placeholders, "
        "\"7k\" follower counts, boundary ages), about 2% are re-sends of earlier events, and "
        "the same --seed gives the same events. Waits for every delivery report.");
    add_connection_options(options);
    add_logging_options(options);
    add_progress_options(options);
    const emulate::EmulateOptions defaults;
    const emulate::HttpTarget http_defaults;
    options.add_options()(
        "count", "events to produce (0: until SIGTERM/SIGINT)",
        cxxopts::value<uint64_t>()->default_value(std::to_string(defaults.count)))(
        "rate", "events per second (0: as fast as possible)",
        cxxopts::value<double>()->default_value(fmt::format("{}", defaults.rate)))(
        "seed", "random seed",
        cxxopts::value<uint64_t>()->default_value(std::to_string(defaults.seed)))(
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
        cxxopts::value<size_t>()->default_value(std::to_string(http_defaults.batch)));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    emulate::EmulateOptions emulation;
    emulation.count = (*result)["count"].as<uint64_t>();
    emulation.rate = (*result)["rate"].as<double>();
    emulation.seed = (*result)["seed"].as<uint64_t>();
    if (!std::isfinite(emulation.rate) || emulation.rate < 0) {
        throw UsageError("--rate must be a number of events per second, 0 or more");
    }
    obs::ProgressLine progress(progress_wanted(*result), std::cerr, obs::stderr_width());
    if (progress.enabled()) {
        emulation.progress = [&progress, total = emulation.count](uint64_t events) {
            obs::ProgressFigures figures;
            figures.label = "emulate";
            figures.unit = "events";
            figures.done = events;
            if (total > 0) {
                figures.total = total;
            }
            progress.show(figures);
        };
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
    util::install_stop_signal_handlers();
    if (!via.empty()) {
        const auto base_url = serve::parse_base_url(via);
        if (!base_url) {
            throw UsageError(fmt::format(
                "invalid --via \"{}\" (use a base URL such as http://127.0.0.1:8082)", via));
        }
        const char* api_key = std::getenv("PINPIPE_API_KEY");
        const emulate::HttpTarget target{
            *base_url, api_key ? api_key : "", *api, batch,
            resolve_topic_prefix((*result)["topic-prefix"].as<std::string>())};
        const emulate::EmulateSummary summary = emulate::emulate_via_http(target, emulation);
        progress.finish();
        std::cout << fmt::format(
                         "emulate: {} events ({} records in {} requests) via {}{} to "
                         "{}.pin/.geo/.user in {:.2f} s ({:.0f} events/s)",
                         summary.events, summary.messages, summary.requests, base_url->origin,
                         base_url->base_path, target.topic_prefix, summary.seconds,
                         summary.seconds > 0 ? summary.events / summary.seconds : 0.0)
                  << std::endl;
        return 0;
    }
    const ConnectionSettings settings = connection_settings(*result);
    const emulate::EmulateSummary summary =
        emulate::emulate_to_kafka(settings.kafka_properties(kafka::Producer::default_properties()),
                                  settings.topics(), emulation);
    progress.finish();
    std::cout << fmt::format(
                     "emulate: {} events ({} messages, {} re-sent) to {}.pin/.geo/.user in "
                     "{:.2f} s ({:.0f} events/s)",
                     summary.events, summary.messages, summary.resent, settings.topic_prefix,
                     summary.seconds, summary.seconds > 0 ? summary.events / summary.seconds : 0.0)
              << std::endl;
    return 0;
}

}  // namespace pinpipe::cli
