// pinpipe emulate: realistic pin/geo/user events into Kafka, like the seeds' posting script.
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "events/generator.hpp"
#include "kafka/client.hpp"
#include "util/errors.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto delivery_timeout = std::chrono::seconds(60);
constexpr auto progress_interval = std::chrono::seconds(1);

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
        "via", "post to a pinpipe serve URL instead of Kafka",
        cxxopts::value<std::string>()->default_value(""));
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
    if (!(*result)["via"].as<std::string>().empty()) {
        throw UsageError("--via is not built yet (needs pinpipe serve, issue #6)");
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
