#include "stream/streamer.hpp"

#include <unistd.h>

#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include <fmt/format.h>

#include "events/cleaning.hpp"
#include "kafka/consumer.hpp"
#include "load/copy_encoding.hpp"
#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "pg/failpoint.hpp"
#include "pg/membership.hpp"
#include "pg/offset_store.hpp"
#include "stream/batch.hpp"
#include "stream/batching.hpp"
#include "stream/latency.hpp"
#include "stream/metric_writer.hpp"
#include "util/process.hpp"
#include "util/serial_executor.hpp"
#include "util/signals.hpp"

namespace pinpipe::stream {
namespace {

using Clock = std::chrono::steady_clock;
using kafka::TopicPartition;
using namespace std::chrono_literals;

constexpr auto kafka_request_timeout = 10s;
constexpr size_t messages_per_poll = 5000;
constexpr auto idle_poll_timeout = 100ms;
constexpr auto lag_interval = 1s;
constexpr auto kafka_error_log_interval = 5s;
// Another consumer moved a partition's stored offset while we held its claim: our transaction
// rolled back, so nothing was counted twice, but this session's positions are stale.
class FenceLost : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Kafka could not be reached for metadata or offsets; the session is retried.
class KafkaUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Errors after which a new session (new connection, claims and positions) may succeed.
bool is_outage(const std::exception& error) {
    if (dynamic_cast<const FenceLost*>(&error) || dynamic_cast<const KafkaUnavailable*>(&error)) {
        return true;
    }
    const auto* pg_error = dynamic_cast<const pg::Error*>(&error);
    if (pg_error == nullptr) {
        return false;
    }
    const std::string& state = pg_error->sqlstate();
    // 08 connection exception, 57P0x shutdown / cannot connect now, 53 out of resources
    // (too many connections), 40 a transaction rolled back too often.
    return pg_error->connection_lost() || state.starts_with("08") || state.starts_with("57P") ||
           state.starts_with("53") || state.starts_with("40");
}

int64_t now_epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct PartitionState {
    events::EventKind kind;
    int64_t fence;  // where the stored offset stands once every submitted batch has committed
    int64_t next;   // the offset after the last message taken from Kafka
};

struct CommitDone {
    CommitOutcome outcome;
    double seconds;
    int64_t committed_at_ms;    // wall clock, for the end-to-end latency
    Clock::time_point started;  // when the writer thread took the batch up
    CommitTimings timings;
};

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

std::string ms_text(double seconds) {
    return fmt::format("{:.1f}", seconds * 1000.0);
}

// What outlives a session: the totals and the latency record of the whole run.
struct RunState {
    StreamSummary summary;
    LatencyRecorder latency;
};

class StreamSession {
  public:
    StreamSession(const StreamOptions& options, RunState& run)
        : m_options(options),
          m_run(run),
          m_store(options.group),
          m_membership(options.group, util::host_name(), static_cast<int>(getpid()),
                       options.claim_lease),
          m_cx(std::make_unique<pg::Connection>(
              pg::Connection::open(options.dsn, "pinpipe-stream"))),
          m_consumer(options.kafka_properties),
          m_validator(options.max_message_bytes) {
        for (size_t kind = 0; kind < event_kind_count; ++kind) {
            m_kind_of_topic[options.topics[kind]] = static_cast<events::EventKind>(kind);
        }
    }

    void run() {
        m_partitions = all_partitions();
        on_writer([this] {
            // The writer's commits need not wait for the WAL flush: the metric deltas and the
            // offsets they consume commit in the same transaction, so a commit that a
            // PostgreSQL crash loses takes its offsets with it, and those messages are read
            // again from Kafka and counted once. WAL is flushed in order, so no later commit
            // (ours or another instance's fenced on ours) can survive without it. Costs at
            // most wal_writer_delay x 3 of re-reading after a crash; saves a flush per batch
            // and per claim (measured in bench/stream.sh, issue #5).
            m_cx->exec("SET synchronous_commit = off");
            m_membership.join(*m_cx);
        });
        obs::log_info("stream session started",
                      {{"group", m_options.group},
                       {"instance", std::to_string(m_membership.id())},
                       {"partitions", std::to_string(m_partitions.size())},
                       {"brokers", m_consumer.brokers()}});
        std::vector<kafka::MessagePtr> messages;
        while (!util::stop_requested()) {
            if (Clock::now() >= m_next_rebalance) {
                rebalance();
            }
            messages.clear();
            m_consumer.consume(messages, messages_per_poll, poll_timeout());
            m_polled_at_ms = now_epoch_ms();
            for (const kafka::MessagePtr& msg : messages) {
                handle(*msg);
            }
            collect(/*wait=*/false);
            switch (next_batch_action(batch_policy(), batch_state())) {
                case BatchAction::keep:
                    break;
                case BatchAction::submit:
                    submit_batch();
                    break;
                case BatchAction::wait_then_submit:
                    collect(/*wait=*/true);  // back-pressure: one batch commits at a time
                    submit_batch();
                    break;
            }
            report_lag();
        }
        // Stopping: the batch in hand commits, then the claims go with the connection.
        collect(/*wait=*/true);
        submit_batch();
        collect(/*wait=*/true);
        on_writer([this] { m_membership.leave(*m_cx); });
    }

  private:
    template <typename Job>
    auto on_writer(Job job) -> std::invoke_result_t<Job> {
        return m_writer.submit(std::move(job)).get();
    }

    // Every partition of the three topics, interleaved (pin 0, geo 0, user 0, pin 1, ...) so
    // that a fair share mixes the heavy pin partitions with the light ones.
    std::vector<TopicPartition> all_partitions() {
        std::vector<std::string> topics(m_options.topics.begin(), m_options.topics.end());
        std::vector<int32_t> counts;
        try {
            counts = m_consumer.partition_counts(topics, kafka_request_timeout);
        } catch (const std::runtime_error& error) {
            throw KafkaUnavailable(error.what());
        }
        std::vector<TopicPartition> partitions;
        const int32_t most = *std::max_element(counts.begin(), counts.end());
        for (int32_t partition = 0; partition < most; ++partition) {
            for (size_t t = 0; t < topics.size(); ++t) {
                if (partition < counts[t]) {
                    partitions.push_back({topics[t], partition});
                }
            }
        }
        return partitions;
    }

    void rebalance() {
        // Topics may have gained partitions; a failed metadata request keeps the old list.
        try {
            m_partitions = all_partitions();
        } catch (const KafkaUnavailable& error) {
            obs::log_warning("could not refresh the partition list from Kafka; keeping the old",
                             {{"error", error.what()}});
        }
        std::set<TopicPartition> owned;
        for (const auto& [tp, state] : m_active) {
            owned.insert(tp);
        }
        const pg::ClaimPlan plan =
            on_writer([&] { return m_membership.rebalance(*m_cx, m_store, m_partitions, owned); });
        for (const TopicPartition& tp : plan.release) {
            m_active.erase(tp);
            m_consumer.unassign({tp});
            m_batch.progress.release_after_commit.push_back(tp);
        }
        const size_t acquired = plan.acquire.empty() ? 0 : acquire(plan.acquire);
        m_next_rebalance = Clock::now() + plan.carried_out(m_active.size(), acquired,
                                                           m_options.rebalance_interval);
    }

    // Claims what it can of the given partitions and starts reading them at their stored
    // offsets; returns how many it got.
    size_t acquire(const std::vector<TopicPartition>& partitions) {
        const auto began = Clock::now();
        const auto stored = on_writer([this] { return m_store.stored_offsets(*m_cx); });
        // A partition never read before is read from its oldest message, as load does; only
        // those need a request to Kafka.
        std::map<TopicPartition, int64_t> start_offsets;
        for (const TopicPartition& tp : partitions) {
            if (const auto found = stored.find(tp); found != stored.end()) {
                start_offsets[tp] = found->second;
                continue;
            }
            try {
                start_offsets[tp] = m_consumer.watermarks(tp, kafka_request_timeout).low;
            } catch (const std::runtime_error& error) {
                throw KafkaUnavailable(error.what());
            }
        }
        const auto looked_up = Clock::now();
        const kafka::PartitionOffsets claimed = on_writer([&] {
            kafka::PartitionOffsets positions;
            for (const auto& [tp, start_offset] : start_offsets) {
                if (m_store.try_claim(*m_cx, tp)) {  // false: another instance was quicker
                    positions.emplace_back(tp,
                                           m_store.stored_or_initialize(*m_cx, tp, start_offset));
                    pg::failpoint(obs::Failpoint::stream_after_claim);
                }
            }
            return positions;
        });
        for (const auto& [tp, offset] : claimed) {
            m_active[tp] = {m_kind_of_topic.at(tp.topic), offset, offset};
        }
        if (!claimed.empty()) {
            // Offsets deleted by retention meanwhile: auto.offset.reset reads from the oldest.
            m_consumer.assign(claimed);
        }
        obs::log(obs::LogLevel::debug, "partitions claimed",
                 {{"claimed", std::to_string(claimed.size())},
                  {"start_offsets_ms", ms_text(seconds_between(began, looked_up))},
                  {"claims_ms", ms_text(seconds_between(looked_up, Clock::now()))}});
        return claimed.size();
    }

    std::chrono::milliseconds poll_timeout() const {
        return stream::poll_timeout(batch_policy(), batch_state(), idle_poll_timeout);
    }

    BatchPolicy batch_policy() const {
        return {m_options.max_batch_rows, m_options.min_batch_age, m_options.max_latency};
    }

    BatchState batch_state() const {
        return {m_batch.messages(), !m_batch.progress.release_after_commit.empty(),
                m_batch.empty() ? 0ms
                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                      Clock::now() - m_batch_started),
                m_in_flight.has_value()};
    }

    void handle(const rd_kafka_message_t& msg) {
        const TopicPartition tp{rd_kafka_topic_name(msg.rkt), msg.partition};
        const auto found = m_active.find(tp);
        if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (msg.err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                log_kafka_error(msg);
            }
            return;
        }
        if (found == m_active.end()) {
            return;  // from a partition given up since it was fetched
        }
        PartitionState& state = found->second;
        if (msg.offset < state.next) {
            return;  // already taken (a re-delivery after a seek)
        }
        rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        int64_t timestamp = rd_kafka_message_timestamp(&msg, &timestamp_type);
        if (timestamp_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
            // Only pre-0.10 message formats lack one: count it in the minute it was read.
            timestamp = now_epoch_ms();
        }
        const auto* payload = static_cast<const char*>(msg.payload);
        events::Verdict verdict = m_validator.validate(state.kind, payload, msg.len);
        if (verdict.ok) {
            try {
                add_event(state.kind, std::string_view(payload, msg.len), timestamp);
            } catch (const std::invalid_argument& error) {
                // The validator accepted what the cleaner cannot read: keep it, do not stop.
                verdict = {false, 0, events::BadReason::invalid_json,
                           fmt::format("could not clean the event: {}", error.what())};
            }
        }
        if (!verdict.ok) {
            const load::KafkaCoordinates at{
                tp.topic, tp.partition, msg.offset,
                timestamp_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? std::nullopt
                                                                   : std::optional(timestamp),
                msg.key ? std::optional(
                              std::string_view(static_cast<const char*>(msg.key), msg.key_len))
                        : std::nullopt};
            load::append_dead_letter_row(
                m_batch.dead_letters, m_options.group, at,
                payload ? std::optional(std::string_view(payload, msg.len)) : std::nullopt,
                events::reason_name(verdict.reason), verdict.error);
            ++m_batch.dead_letter_count;
        }
        if (m_options.observer) {
            m_options.observer->on_consumed(state.kind, verdict.ok);
        }
        if (m_batch.empty()) {
            m_batch_started = Clock::now();
        }
        m_batch.progress.advance(tp, state.fence, msg.offset);
        pg::failpoint(obs::Failpoint::stream_mid_batch);
        m_batch.timestamps_ms.push_back(timestamp);
        const int64_t arrival_delay_ms = m_polled_at_ms - timestamp;
        m_batch.arrival_delay_sum_ms += arrival_delay_ms;
        m_batch.arrival_delay_max_ms = std::max(m_batch.arrival_delay_max_ms, arrival_delay_ms);
        m_batch.received_sum_ms += m_polled_at_ms;
        state.next = msg.offset + 1;
    }

    void add_event(events::EventKind kind, std::string_view json, int64_t timestamp) {
        switch (kind) {
            case events::EventKind::pin:
                m_batch.deltas.add_pin(m_cleaner.clean_pin(json), timestamp);
                break;
            case events::EventKind::geo:
                m_batch.deltas.add_geolocation(m_cleaner.clean_geolocation(json), timestamp);
                break;
            case events::EventKind::user:
                m_batch.deltas.add_user(m_cleaner.clean_user(json), timestamp);
                break;
        }
        ++m_batch.events[static_cast<size_t>(kind)];
    }

    void log_kafka_error(const rd_kafka_message_t& msg) {
        ++m_suppressed_kafka_errors;
        if (Clock::now() < m_next_kafka_error_log) {
            return;
        }
        // Informational: librdkafka keeps retrying by itself (broker down, leader moving).
        obs::log_warning("Kafka consumer error; librdkafka keeps retrying",
                         {{"error", rd_kafka_message_errstr(&msg)},
                          {"brokers", m_consumer.brokers()},
                          {"errors_since_last_log", std::to_string(m_suppressed_kafka_errors)}});
        m_suppressed_kafka_errors = 0;
        m_next_kafka_error_log = Clock::now() + kafka_error_log_interval;
    }

    void submit_batch() {
        if (m_batch.empty()) {
            return;
        }
        m_batch.progress.move_fences(m_active);
        auto batch = std::make_shared<StreamBatch>(std::move(m_batch));
        m_batch = StreamBatch{};
        m_in_flight_batch = batch;
        m_in_flight_filled = m_batch_started;
        m_in_flight_submitted = Clock::now();
        m_in_flight_submitted_ms = now_epoch_ms();
        m_in_flight = m_writer.submit([this, batch] {
            const auto started = Clock::now();
            CommitTimings timings;
            const CommitOutcome outcome = commit_metrics(*m_cx, m_store, *batch, &timings);
            const CommitDone done{outcome, seconds_between(started, Clock::now()), now_epoch_ms(),
                                  started, timings};
            if (outcome == CommitOutcome::committed) {
                pg::failpoint(obs::Failpoint::stream_after_commit);
                batch->progress.release_claims(*m_cx, m_store);
                m_consumer.commit_for_lag_tools(batch->progress.next_offsets());
            }
            return done;
        });
    }

    void collect(bool wait) {
        if (!m_in_flight || (!wait && m_in_flight->wait_for(0s) != std::future_status::ready)) {
            return;
        }
        const auto batch = std::move(m_in_flight_batch);
        std::future<CommitDone> future = std::move(*m_in_flight);
        m_in_flight.reset();
        m_in_flight_batch.reset();
        CommitDone done{};
        try {
            done = future.get();  // rethrows the writer's errors
        } catch (...) {
            m_batch_lost = batch->messages();
            throw;
        }
        if (done.outcome == CommitOutcome::fence_lost) {
            m_batch_lost = batch->messages();
            throw FenceLost(
                "the stored offsets of a partition this instance had claimed were moved by "
                "another consumer; the batch was rolled back, nothing was counted twice");
        }
        log_batch(*batch, done);
        StreamSummary& summary = m_run.summary;
        for (size_t kind = 0; kind < event_kind_count; ++kind) {
            summary.events[kind] += batch->events[kind];
        }
        summary.dead_letters += batch->dead_letter_count;
        ++summary.batches;
        for (const int64_t timestamp : batch->timestamps_ms) {
            m_run.latency.record(done.committed_at_ms - timestamp);
        }
        if (m_options.observer) {
            m_options.observer->on_commit(
                {batch->messages(), batch->dead_letter_count, done.seconds});
            for (const int64_t timestamp : batch->timestamps_ms) {
                m_options.observer->on_end_to_end_latency(
                    static_cast<double>(std::max<int64_t>(done.committed_at_ms - timestamp, 0)) /
                    1000.0);
            }
        }
    }

    // One debug line per committed batch: where its messages' time went, for tuning (the bench
    // script's TRACE=1 summarises these lines).
    void log_batch(const StreamBatch& batch, const CommitDone& done) const {
        const double messages = static_cast<double>(std::max<uint64_t>(batch.messages(), 1));
        obs::log(
            obs::LogLevel::debug, "batch committed",
            {{"messages", std::to_string(batch.messages())},
             {"rows", std::to_string(batch.deltas.rows())},
             {"arrival_delay_mean_ms",
              fmt::format("{:.1f}", static_cast<double>(batch.arrival_delay_sum_ms) / messages)},
             {"arrival_delay_max_ms", std::to_string(batch.arrival_delay_max_ms)},
             {"batching_wait_mean_ms",
              fmt::format("{:.1f}", static_cast<double>(m_in_flight_submitted_ms) -
                                        static_cast<double>(batch.received_sum_ms) / messages)},
             {"fill_ms", ms_text(seconds_between(m_in_flight_filled, m_in_flight_submitted))},
             {"queue_ms", ms_text(seconds_between(m_in_flight_submitted, done.started))},
             {"build_ms", ms_text(done.timings.build)},
             {"upsert_ms", ms_text(done.timings.upserts)},
             {"dead_letters_ms", ms_text(done.timings.dead_letters)},
             {"offsets_ms", ms_text(done.timings.offsets)},
             {"commit_ms", ms_text(done.timings.commit)},
             {"writer_ms", ms_text(done.seconds)},
             {"attempts", std::to_string(done.timings.attempts)}});
    }

    void report_lag() {
        if (!m_options.observer || Clock::now() < m_next_lag_report) {
            return;
        }
        m_next_lag_report = Clock::now() + lag_interval;
        std::map<TopicPartition, int64_t> lag;
        for (const auto& [tp, state] : m_active) {
            // Before the first fetch of a partition its high watermark is unknown: 0 until then.
            const auto watermarks = m_consumer.cached_watermarks(tp);
            lag[tp] = watermarks ? std::max<int64_t>(watermarks->high - state.fence, 0) : 0;
        }
        m_options.observer->on_lag(lag);
    }

  public:
    // Messages taken from Kafka but not committed when the session ended.
    uint64_t uncommitted() const { return m_batch.messages() + m_batch_lost; }

  private:
    const StreamOptions& m_options;
    RunState& m_run;
    pg::OffsetStore m_store;
    pg::Membership m_membership;           // used on the writer thread only
    std::unique_ptr<pg::Connection> m_cx;  // used on the writer thread only
    kafka::Consumer m_consumer;
    events::EventValidator m_validator;
    events::EventCleaner m_cleaner;
    std::map<std::string, events::EventKind> m_kind_of_topic;
    std::vector<TopicPartition> m_partitions;
    std::map<TopicPartition, PartitionState> m_active;
    StreamBatch m_batch;
    Clock::time_point m_batch_started = Clock::now();
    int64_t m_polled_at_ms = 0;               // wall clock after the last consume()
    Clock::time_point m_in_flight_filled;     // the in-flight batch's first message
    Clock::time_point m_in_flight_submitted;  // handed to the writer
    int64_t m_in_flight_submitted_ms = 0;     // the same, wall clock
    Clock::time_point m_next_rebalance = Clock::now();
    Clock::time_point m_next_lag_report = Clock::now();
    Clock::time_point m_next_kafka_error_log = Clock::now();
    uint64_t m_suppressed_kafka_errors = 0;
    uint64_t m_batch_lost = 0;
    std::optional<std::future<CommitDone>> m_in_flight;
    std::shared_ptr<StreamBatch> m_in_flight_batch;
    // Last member: destroyed first, so its queued jobs finish while the rest still exists.
    util::SerialExecutor m_writer;
};

// Sleeps up to delay, waking early when a stop is requested.
void pause_unless_stopped(std::chrono::milliseconds delay) {
    const auto until = Clock::now() + delay;
    while (Clock::now() < until && !util::stop_requested()) {
        std::this_thread::sleep_for(std::min<Clock::duration>(50ms, until - Clock::now()));
    }
}

}  // namespace

StreamSummary run_stream(const StreamOptions& options) {
    const auto started = Clock::now();
    auto run = std::make_unique<RunState>();
    auto retry_delay = options.first_retry_delay;
    while (true) {
        const uint64_t batches_before = run->summary.batches;
        uint64_t uncommitted = 0;
        try {
            ++run->summary.sessions;
            std::optional<StreamSession> session;
            try {
                session.emplace(options, *run);
                session->run();
            } catch (...) {
                uncommitted = session ? session->uncommitted() : 0;
                throw;
            }
            break;
        } catch (const std::exception& error) {
            const auto* pg_error = dynamic_cast<const pg::Error*>(&error);
            if (pg_error != nullptr && pg_error->sqlstate() == "42P01") {  // undefined_table
                throw std::runtime_error(fmt::format(
                    "{} (has the database been migrated? run pinpipe migrate)", error.what()));
            }
            if (!is_outage(error)) {
                throw;
            }
            if (util::stop_requested()) {
                throw std::runtime_error(fmt::format(
                    "stopped while the stream could not commit ({}); {} messages read since the "
                    "last commit were not counted and will be counted when stream starts again",
                    error.what(), uncommitted));
            }
            if (run->summary.batches > batches_before) {
                retry_delay = options.first_retry_delay;  // that session made progress
            }
            obs::log_warning("stream session ended; starting a new one, nothing is counted twice",
                             {{"error", error.what()},
                              {"uncommitted_messages", std::to_string(uncommitted)},
                              {"retry_in_ms", std::to_string(retry_delay.count())}});
            pause_unless_stopped(retry_delay);
            retry_delay = std::min(retry_delay * 2, options.max_retry_delay);
            if (util::stop_requested()) {
                throw std::runtime_error(fmt::format(
                    "stopped while the stream could not commit ({}); {} messages read since the "
                    "last commit were not counted and will be counted when stream starts again",
                    error.what(), uncommitted));
            }
        }
    }
    StreamSummary summary = run->summary;
    summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    summary.latency_p50_ms = run->latency.quantile(0.50);
    summary.latency_p99_ms = run->latency.quantile(0.99);
    summary.latency_max_ms = run->latency.max();
    return summary;
}

}  // namespace pinpipe::stream
