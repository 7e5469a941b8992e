#include "stream/streamer.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "consume/engine.hpp"
#include "events/cleaning.hpp"
#include "obs/log.hpp"
#include "pg/copy_encoding.hpp"
#include "stream/batch.hpp"
#include "stream/latency.hpp"
#include "stream/metric_writer.hpp"

namespace pinpipe::stream {
namespace {

std::string ms_text(double seconds) {
    return fmt::format("{:.1f}", seconds * 1000.0);
}

double seconds_between(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

// What a stream batch becomes: cleaned (DESIGN §6) and aggregated metric deltas, upserted.
class MetricSink final : public consume::BatchSink {
  public:
    MetricSink(const StreamOptions& options, StreamSummary& summary, LatencyRecorder& latency)
        : m_options(options), m_summary(summary), m_latency(latency) {}

    std::unique_ptr<consume::Batch> new_batch() override { return std::make_unique<StreamBatch>(); }

    std::optional<events::Verdict> add(consume::Batch& batch,
                                       const consume::Message& msg) override {
        auto& stream_batch = static_cast<StreamBatch&>(batch);
        if (!pg::copy_timestamp_in_range(msg.timestamp_ms)) {
            // Its minute cannot be stored: PostgreSQL would refuse the whole batch, every time.
            return events::Verdict{
                false, 0, events::BadReason::timestamp_out_of_range,
                fmt::format("Kafka timestamp {} ms lies outside the years PostgreSQL can store "
                            "(1 to 294276; nanoseconds in the milliseconds field?)",
                            msg.timestamp_ms)};
        }
        try {
            add_event(stream_batch, msg.kind, msg.payload, msg.timestamp_ms);
        } catch (const std::invalid_argument& error) {
            // The validator accepted what the cleaner cannot read: keep it, do not stop.
            return events::Verdict{false, 0, events::BadReason::invalid_json,
                                   fmt::format("could not clean the event: {}", error.what())};
        }
        stream_batch.timestamps_ms.push_back(msg.timestamp_ms);
        const int64_t arrival_delay_ms = msg.polled_at_ms - msg.timestamp_ms;
        stream_batch.arrival_delay_sum_ms += arrival_delay_ms;
        stream_batch.arrival_delay_max_ms =
            std::max(stream_batch.arrival_delay_max_ms, arrival_delay_ms);
        stream_batch.received_sum_ms += msg.polled_at_ms;
        return std::nullopt;
    }

    pg::CommitOutcome commit(pqxx::connection_base& cx, const pg::OffsetStore& store,
                             consume::Batch& batch) override {
        return commit_metrics(cx, store, static_cast<StreamBatch&>(batch));
    }

    void committed(const consume::Batch& batch, const consume::CommitDone& done) override {
        const auto& stream_batch = static_cast<const StreamBatch&>(batch);
        log_batch(stream_batch, done);
        for (size_t kind = 0; kind < events::event_kind_count; ++kind) {
            m_summary.events[kind] += stream_batch.events[kind];
        }
        m_summary.dead_letters += stream_batch.dead_letter_count;
        for (const int64_t timestamp : stream_batch.timestamps_ms) {
            m_latency.record(done.committed_at_ms - timestamp);
        }
        if (m_options.observer) {
            m_options.observer->on_commit(
                {stream_batch.messages(), stream_batch.dead_letter_count, done.writer_seconds});
            for (const int64_t timestamp : stream_batch.timestamps_ms) {
                m_options.observer->on_end_to_end_latency(
                    static_cast<double>(std::max<int64_t>(done.committed_at_ms - timestamp, 0)) /
                    1000.0);
            }
        }
    }

    void consumed(events::EventKind kind, bool valid) override {
        if (m_options.observer) {
            m_options.observer->on_consumed(kind, valid);
        }
    }

    bool wants_lag() const override { return m_options.observer != nullptr; }
    void lag(const std::map<events::TopicPartition, int64_t>& lag) override {
        m_options.observer->on_lag(lag);
    }

  private:
    void add_event(StreamBatch& batch, events::EventKind kind, std::string_view json,
                   int64_t timestamp) {
        switch (kind) {
            case events::EventKind::pin:
                batch.deltas.add_pin(m_cleaner.clean_pin(json), timestamp);
                break;
            case events::EventKind::geo:
                batch.deltas.add_geolocation(m_cleaner.clean_geolocation(json), timestamp);
                break;
            case events::EventKind::user:
                batch.deltas.add_user(m_cleaner.clean_user(json), timestamp);
                break;
        }
        ++batch.events[events::kind_index(kind)];
    }

    // One debug line per committed batch: where its messages' time went, for tuning (the bench
    // script's TRACE=1 summarises these lines).
    static void log_batch(const StreamBatch& batch, const consume::CommitDone& done) {
        const double messages = static_cast<double>(std::max<uint64_t>(batch.messages(), 1));
        const CommitTimings& timings = batch.timings;
        obs::log(
            obs::LogLevel::debug, "batch committed",
            {{"messages", std::to_string(batch.messages())},
             {"rows", std::to_string(batch.deltas.rows())},
             {"arrival_delay_mean_ms",
              fmt::format("{:.1f}", static_cast<double>(batch.arrival_delay_sum_ms) / messages)},
             {"arrival_delay_max_ms", std::to_string(batch.arrival_delay_max_ms)},
             {"batching_wait_mean_ms",
              fmt::format("{:.1f}", static_cast<double>(done.queued_at_ms) -
                                        static_cast<double>(batch.received_sum_ms) / messages)},
             {"fill_ms", ms_text(seconds_between(done.filled, done.queued))},
             {"queue_ms", ms_text(seconds_between(done.queued, done.started))},
             {"build_ms", ms_text(timings.build)},
             {"upsert_ms", ms_text(timings.upserts)},
             {"dead_letters_ms", ms_text(timings.dead_letters)},
             {"offsets_ms", ms_text(timings.offsets)},
             {"commit_ms", ms_text(timings.commit)},
             {"writer_ms", ms_text(done.writer_seconds)},
             {"attempts", std::to_string(done.attempts)}});
    }

    const StreamOptions& m_options;
    StreamSummary& m_summary;
    LatencyRecorder& m_latency;
    events::EventCleaner m_cleaner;
};

}  // namespace

StreamSummary run_stream(const StreamOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    StreamSummary summary;
    LatencyRecorder latency;
    MetricSink sink(options, summary, latency);
    const consume::ConsumerRun run = consume::run_consumer(options, sink);
    summary.batches = run.batches;
    summary.sessions = run.sessions;
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    summary.latency_p50_ms = latency.quantile(0.50);
    summary.latency_p99_ms = latency.quantile(0.99);
    summary.latency_max_ms = latency.max();
    return summary;
}

}  // namespace pinpipe::stream
