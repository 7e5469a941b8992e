#include "emulate/emulator.hpp"

#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "emulate/generator.hpp"
#include "kafka/client.hpp"
#include "util/signals.hpp"

namespace pinpipe::emulate {
namespace {

using Clock = Pacer::Clock;
constexpr auto delivery_timeout = std::chrono::seconds(60);
// Twice as often as the status line is redrawn (obs::progress_redraw_interval), which throttles
// itself: at the same period, a call a hair early would be skipped and the line would stall.
constexpr auto progress_interval = std::chrono::milliseconds(100);

double seconds_since(Clock::time_point started) {
    return std::chrono::duration<double>(Clock::now() - started).count();
}

// Calls the options' progress callback about ten times a second.
class Progress {
  public:
    Progress(const EmulateOptions& options, Clock::time_point started)
        : m_options(options), m_next(started + progress_interval) {}

    void tick(uint64_t events) {
        if (m_options.progress && Clock::now() >= m_next) {
            m_options.progress(events);
            m_next += progress_interval;
        }
    }

  private:
    const EmulateOptions& m_options;
    Clock::time_point m_next;
};

bool more(const EmulateOptions& options, uint64_t produced) {
    return (options.count == 0 || produced < options.count) && !util::stop_requested();
}

}  // namespace

Clock::time_point Pacer::due(uint64_t event) const {
    if (m_rate <= 0) {
        return m_started;
    }
    return m_started + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(event) / m_rate));
}

void Pacer::wait_turn(uint64_t event) const {
    if (m_rate > 0) {
        std::this_thread::sleep_until(due(event));
    }
}

EmulateSummary emulate_to_kafka(const kafka::Properties& properties,
                                const std::array<std::string, 3>& topics,
                                const EmulateOptions& options) {
    kafka::Producer producer(properties);
    EventGenerator generator(options.seed);
    const auto started = Clock::now();
    const Pacer pacer(options.rate, started);
    Progress progress(options, started);
    EmulateSummary summary;
    while (more(options, summary.events)) {
        pacer.wait_turn(summary.events);
        const GeneratedEvent event = generator.next();
        const std::string key = std::to_string(event.ind);
        producer.produce(topics[0], key, event.pin);
        producer.produce(topics[1], key, event.geo);
        producer.produce(topics[2], key, event.user);
        producer.poll(std::chrono::milliseconds(0));
        ++summary.events;
        summary.resent += event.resent ? 1 : 0;
        progress.tick(summary.events);
    }
    producer.flush(delivery_timeout);
    if (producer.failed() > 0) {
        throw std::runtime_error(fmt::format("{} of {} messages could not be delivered: {}",
                                             producer.failed(), summary.events * 3,
                                             producer.first_error()));
    }
    summary.messages = producer.delivered();
    summary.seconds = seconds_since(started);
    return summary;
}

EmulateSummary emulate_via_http(const HttpTarget& target, const EmulateOptions& options) {
    serve::IngestClient client(target.url, target.api_key, target.api, target.topic_prefix);
    constexpr std::array<const char*, 3> kinds = {"pin", "geo", "user"};
    std::array<std::vector<std::string>, 3> pending;
    uint64_t failed_records = 0;
    std::string first_error;
    EmulateSummary summary;
    const auto post_pending = [&] {
        for (size_t kind = 0; kind < kinds.size(); ++kind) {
            if (pending[kind].empty()) {
                continue;
            }
            const serve::ProduceOutcome outcome = client.post(kinds[kind], pending[kind]);
            summary.messages += pending[kind].size();
            failed_records += outcome.failed;
            if (first_error.empty()) {
                first_error = outcome.first_error;
            }
            pending[kind].clear();
        }
    };

    EventGenerator generator(options.seed);
    const auto started = Clock::now();
    const Pacer pacer(options.rate, started);
    Progress progress(options, started);
    while (more(options, summary.events)) {
        pacer.wait_turn(summary.events);
        GeneratedEvent event = generator.next();
        pending[0].push_back(std::move(event.pin));
        pending[1].push_back(std::move(event.geo));
        pending[2].push_back(std::move(event.user));
        ++summary.events;
        if (pending[0].size() >= target.batch) {
            post_pending();
        }
        progress.tick(summary.events);
    }
    post_pending();
    if (failed_records > 0) {
        throw std::runtime_error(fmt::format("{} of {} records were not acknowledged by {}: {}",
                                             failed_records, summary.messages, target.url.origin,
                                             first_error));
    }
    summary.requests = client.requests();
    summary.seconds = seconds_since(started);
    return summary;
}

}  // namespace pinpipe::emulate
