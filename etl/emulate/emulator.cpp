#include "emulate/emulator.hpp"

#include <algorithm>
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
// After SIGTERM/SIGINT the queued messages get this long to be delivered, so that a stop with the
// broker gone ends in seconds, not after delivery_timeout.
constexpr auto delivery_timeout_after_stop = std::chrono::seconds(5);
// A broker that does not answer a metadata request in this time fails the run before the first
// event, instead of after delivery_timeout with every message undelivered.
constexpr auto broker_check_timeout = std::chrono::seconds(10);
// How often the pacer's wait looks at the stop flag.
constexpr auto stop_check_interval = std::chrono::milliseconds(100);
// The pacer's due times stay within a steady_clock duration however small the rate.
constexpr double max_due_seconds = 1e9;
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

// Queues one message, waiting for room while librdkafka's queue is full (a slow or vanished
// broker); false when a stop was requested while waiting, the message not queued.
bool produce_unless_stopped(kafka::Producer& producer, const std::string& topic,
                            const std::string& key, const std::string& value) {
    const rd_kafka_resp_err_t err = producer.try_produce(topic, key, value, nullptr);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return false;  // only when stopped: try_produce waits for room otherwise
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(
            fmt::format("could not produce to Kafka topic {}: {}", topic, rd_kafka_err2str(err)));
    }
    return true;
}

}  // namespace

Clock::time_point Pacer::due(uint64_t event) const {
    if (m_rate <= 0) {
        return m_started;
    }
    const double seconds = std::min(static_cast<double>(event) / m_rate, max_due_seconds);
    return m_started +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

bool Pacer::wait_turn(uint64_t event) const {
    if (m_rate > 0) {
        const Clock::time_point until = due(event);
        while (!util::stop_requested() && Clock::now() < until) {
            std::this_thread::sleep_until(std::min(until, Clock::now() + stop_check_interval));
        }
    }
    return !util::stop_requested();
}

EmulateSummary emulate_to_kafka(const kafka::Properties& properties,
                                const std::array<std::string, 3>& topics,
                                const EmulateOptions& options) {
    kafka::Producer producer(properties);
    kafka::fetch_metadata(producer.raw(), broker_check_timeout);
    EventGenerator generator(options.seed);
    const auto started = Clock::now();
    const Pacer pacer(options.rate, started);
    Progress progress(options, started);
    EmulateSummary summary;
    while (more(options, summary.events)) {
        if (!pacer.wait_turn(summary.events)) {
            break;
        }
        const GeneratedEvent event = generator.next();
        const std::string key = std::to_string(event.ind);
        // A stop while the queue is full may leave the event's last messages unsent: the
        // summary counts what was delivered.
        if (!produce_unless_stopped(producer, topics[0], key, event.pin) ||
            !produce_unless_stopped(producer, topics[1], key, event.geo) ||
            !produce_unless_stopped(producer, topics[2], key, event.user)) {
            break;
        }
        producer.poll(std::chrono::milliseconds(0));
        ++summary.events;
        summary.resent += event.resent ? 1 : 0;
        progress.tick(summary.events);
    }
    producer.flush(util::stop_requested() ? delivery_timeout_after_stop : delivery_timeout);
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
        if (!pacer.wait_turn(summary.events)) {
            break;
        }
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
