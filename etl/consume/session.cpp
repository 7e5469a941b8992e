#include "consume/session.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "consume/errors.hpp"
#include "obs/log.hpp"
#include "pg/copy_encoding.hpp"
#include "pg/failpoint.hpp"
#include "util/process.hpp"
#include "util/signals.hpp"

namespace pinpipe::consume {
namespace {

using events::TopicPartition;
using namespace std::chrono_literals;

constexpr size_t messages_per_poll = 5000;
constexpr auto idle_poll_timeout = 100ms;
constexpr auto lag_interval = 1s;
constexpr auto kafka_error_log_interval = 5s;
// Serialization failures and deadlocks clear up when the other transaction is done; one that
// keeps coming back is treated as an outage (a new session).
constexpr int max_commit_attempts = 5;

int64_t now_epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double seconds_between(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

}  // namespace

Session::Session(const ConsumerOptions& options, BatchSink& sink, ConsumerRun& run)
    : m_options(options),
      m_sink(sink),
      m_run(run),
      m_store(options.group),
      m_claims(make_claim_strategy(options)),
      m_membership(options.group, util::host_name(), static_cast<int>(getpid()), m_claims->role(),
                   options.claim_lease),
      m_member_cx(options.dsn, options.application_name),
      m_liveness_cx(options.dsn, options.application_name),
      m_consumer(options.kafka_properties),
      m_validator(options.max_message_bytes),
      m_claim_context{options,    sink,      run,     m_store,         m_membership, m_member_cx,
                      m_consumer, m_writers, m_table, m_kind_of_topic, m_partitions} {
    for (size_t kind = 0; kind < event_kind_count; ++kind) {
        m_kind_of_topic[options.topics[kind]] = static_cast<events::EventKind>(kind);
    }
    for (size_t writer = 0; writer < std::max<size_t>(options.writers, 1); ++writer) {
        m_writers.push_back(std::make_unique<Writer>(options, sink));
    }
}

void Session::run() {
    m_partitions = all_partitions(m_consumer, m_options);
    for (const auto& writer : m_writers) {
        // A batch's commit need not wait for its WAL flush, which would leave PostgreSQL idle
        // between batches: the rows or deltas and the offsets they consume commit in one
        // transaction, so a commit that a crash loses takes its offsets with it and those
        // messages are read again. WAL is flushed in order, so no later commit (ours or another
        // consumer's fenced on ours) survives without it (issue #5).
        writer->run([this, &writer] {
            pqxx::nontransaction session(*writer->cx);
            session.exec("SET synchronous_commit = off");
            session.exec(fmt::format("SET lock_timeout = {}", m_options.lock_timeout.count()));
        });
    }
    m_membership.join(m_member_cx);
    for (const auto& writer : m_writers) {
        writer->run([this, &writer] { m_membership.attach(*writer->cx); });
    }
    m_membership.attach(m_liveness_cx);
    // Before claiming: ends the sessions of a hung instance whose lease ran out, so that its
    // partitions are free to claim. From here on the keeper's thread heartbeats.
    m_membership.heartbeat(m_liveness_cx, 0);
    m_keeper.emplace(m_membership, m_liveness_cx, m_options.rebalance_interval);
    m_claims->start(m_claim_context);
    obs::log_info("consumer session started", {{"group", m_options.group},
                                               {"partitions", std::to_string(m_partitions.size())},
                                               {"writers", std::to_string(m_writers.size())},
                                               {"brokers", m_consumer.brokers()}});
    m_last_kafka_activity = Clock::now();
    std::vector<kafka::Delivery> deliveries;
    while (true) {
        if (util::stop_requested()) {
            m_run.stopped_by_signal = true;
            break;
        }
        m_keeper->rethrow_failure();
        m_keeper->set_owned_partitions(m_table.size());
        if (!m_claims->step(m_claim_context, m_keeper->take_peers_ended())) {
            break;
        }
        deliveries.clear();
        if (!m_claims->idle(m_table)) {
            m_consumer.consume(deliveries, messages_per_poll, poll_timeout());
        }
        m_polled_at_ms = now_epoch_ms();
        m_heard_from_kafka = false;
        for (const kafka::Delivery& delivery : deliveries) {
            handle(delivery);
        }
        if (m_heard_from_kafka) {
            m_last_kafka_activity = Clock::now();
        }
        for (const auto& writer : m_writers) {
            collect(*writer, /*wait=*/false);
            step_batching(*writer);
        }
        report_lag();
        check_kafka_silence();
    }
    // Done or stopping: the batches in hand commit, then the claims go with the connections.
    for (const auto& writer : m_writers) {
        collect(*writer, /*wait=*/true);
        submit(*writer);
    }
    for (const auto& writer : m_writers) {
        collect(*writer, /*wait=*/true);
    }
    m_keeper.reset();
    m_membership.leave(m_member_cx);
}

uint64_t Session::settle() {
    for (const auto& writer : m_writers) {
        while (!writer->in_flight.empty()) {
            try {
                collect_one(*writer);
            } catch (const std::exception&) {
                // Counted in m_lost; the session already ends with the first error.
            }
        }
    }
    uint64_t total = m_lost;
    for (const auto& writer : m_writers) {
        total += writer->batch->messages();
    }
    return total;
}

std::chrono::steady_clock::duration Session::since_last_heartbeat() const {
    return m_membership.joined() ? Clock::now() - m_membership.last_heartbeat()
                                 : Clock::duration::zero();
}

void Session::handle(const kafka::Delivery& delivery) {
    if (delivery.kind == kafka::DeliveryKind::error) {
        log_kafka_error(delivery.error);
        return;
    }
    const TopicPartition tp{std::string(delivery.topic), delivery.partition};
    if (delivery.kind == kafka::DeliveryKind::partition_end) {
        const EndStep end = m_table.reach_end(tp, delivery.offset);
        if (end.partition == nullptr) {
            return;
        }
        m_heard_from_kafka = true;
        if (end.gap) {
            Writer& writer = *m_writers[end.partition->writer];
            start_batch_if_empty(writer);
            writer.batch->progress.advance(tp, end.gap->fence, end.gap->to - 1);
        }
        if (end.finished) {
            m_claim_context.finish(tp);
        }
        return;
    }
    const MessageStep step = m_table.take(tp, delivery.offset);
    if (step.fate != MessageFate::not_owned) {
        m_heard_from_kafka = true;
    }
    if (step.fate != MessageFate::taken) {
        if (step.finished) {
            m_claim_context.finish(tp);
        }
        return;
    }
    const PartitionState& state = *step.partition;
    const Message message{
        state.kind,
        {tp.topic, tp.partition, delivery.offset, delivery.timestamp_ms, delivery.key},
        delivery.payload.value_or(std::string_view()),
        // Only pre-0.10 message formats lack one: the message counts when it was read.
        delivery.timestamp_ms.value_or(m_polled_at_ms),
        m_polled_at_ms};
    Writer& writer = *m_writers[state.writer];
    Batch& batch = *writer.batch;
    events::Verdict verdict = m_validator.validate(
        state.kind, delivery.payload ? delivery.payload->data() : nullptr, message.payload.size());
    if (verdict.ok) {
        if (std::optional<events::Verdict> rejected = m_sink.add(batch, message)) {
            verdict = std::move(*rejected);
        }
    }
    if (!verdict.ok) {
        pg::append_dead_letter_row(batch.dead_letters, m_options.group, message.origin,
                                   delivery.payload, events::reason_name(verdict.reason),
                                   verdict.error);
        ++batch.dead_letter_count;
    }
    m_sink.consumed(state.kind, verdict.ok);
    start_batch_if_empty(writer);
    batch.progress.advance(tp, step.fence, delivery.offset);
    pg::failpoint(m_options.failpoints.mid_batch);
    if (step.finished) {
        m_claim_context.finish(tp);
    }
    // Per message, so that a batch never outgrows its bounds.
    if (batch_full(batch_policy(), {batch.messages(), false, 0ms, false, batch.bytes()})) {
        submit_when_room(writer);
    }
}

// The batch's age counts from its first advance, a gap's included.
void Session::start_batch_if_empty(Writer& writer) {
    if (writer.batch->progress.advances.empty()) {
        writer.batch_started = Clock::now();
    }
}

void Session::log_kafka_error(const std::string& error) {
    ++m_suppressed_kafka_errors;
    if (Clock::now() < m_next_kafka_error_log) {
        return;
    }
    // Informational: librdkafka keeps retrying by itself (broker down, leader moving).
    obs::log_warning("Kafka consumer error; librdkafka keeps retrying",
                     {{"error", error},
                      {"brokers", m_consumer.brokers()},
                      {"errors_since_last_log", std::to_string(m_suppressed_kafka_errors)}});
    m_suppressed_kafka_errors = 0;
    m_next_kafka_error_log = Clock::now() + kafka_error_log_interval;
}

BatchPolicy Session::batch_policy() const {
    return {m_options.max_batch_rows, m_options.min_batch_age, m_options.max_batch_latency,
            m_options.max_batch_bytes};
}

BatchState Session::batch_state(const Writer& writer) const {
    const Batch& batch = *writer.batch;
    const bool has_releases =
        m_claims->hurries_releases() && !batch.progress.release_after_commit.empty();
    return {batch.messages(), has_releases,
            batch.empty() ? 0ms
                          : std::chrono::duration_cast<std::chrono::milliseconds>(
                                Clock::now() - writer.batch_started),
            writer.in_flight.size() >= m_options.max_batches_in_flight, batch.bytes()};
}

std::chrono::milliseconds Session::poll_timeout() const {
    std::chrono::milliseconds timeout = idle_poll_timeout;
    for (const auto& writer : m_writers) {
        timeout = std::min(timeout, consume::poll_timeout(batch_policy(), batch_state(*writer),
                                                          idle_poll_timeout));
    }
    return timeout;
}

void Session::step_batching(Writer& writer) {
    if (m_claims->idle(m_table) && !writer.batch->empty()) {
        submit_when_room(writer);  // nothing more is coming for now
        return;
    }
    switch (next_batch_action(batch_policy(), batch_state(writer))) {
        case BatchAction::keep:
            break;
        case BatchAction::submit:
            submit(writer);
            break;
        case BatchAction::wait_then_submit:
            submit_when_room(writer);
            break;
    }
}

// Back-pressure: a writer never has more than max_batches_in_flight batches queued.
void Session::submit_when_room(Writer& writer) {
    while (writer.in_flight.size() >= m_options.max_batches_in_flight) {
        collect_one(writer);
    }
    submit(writer);
}

void Session::submit(Writer& writer) {
    if (writer.batch->empty()) {
        return;
    }
    for (const auto& [tp, advance] : writer.batch->progress.advances) {
        m_table.submitted(tp, advance.to);
    }
    std::shared_ptr<Batch> batch = std::move(writer.batch);
    writer.batch = m_sink.new_batch();
    const auto filled = writer.batch_started;
    const auto queued = Clock::now();
    const int64_t queued_at_ms = now_epoch_ms();
    std::future<CommitDone> done =
        writer.thread.submit([this, &writer, batch, filled, queued, queued_at_ms] {
            return commit(writer, *batch, filled, queued, queued_at_ms);
        });
    writer.in_flight.push_back({std::move(batch), std::move(done)});
}

// On the writer's thread: the batch in one transaction, run again after a serialization failure
// or deadlock (nothing of it committed), then the claims it gives up.
CommitDone Session::commit(Writer& writer, Batch& batch, Clock::time_point filled,
                           Clock::time_point queued, int64_t queued_at_ms) {
    CommitDone done{0, 0, filled, queued, queued_at_ms, Clock::now(), 0, nullptr};
    for (int attempt = 1;; ++attempt) {
        done.attempts = attempt;
        try {
            if (m_sink.commit(*writer.cx, m_store, batch) == pg::CommitOutcome::fence_lost) {
                throw FenceLost(
                    "the stored offsets of a partition this consumer had claimed were moved by "
                    "another consumer; the batch was rolled back, nothing was written twice");
            }
            break;
        } catch (const pqxx::failure& error) {
            if (next_step(error) != NextStep::retry_batch || attempt == max_commit_attempts) {
                throw;
            }
            obs::log_warning(
                "PostgreSQL aborted the batch's transaction; running it again",
                {{"error", pg::error_message(error)}, {"attempt", std::to_string(attempt)}});
        }
    }
    done.committed_at_ms = now_epoch_ms();
    done.writer_seconds = seconds_between(done.started, Clock::now());
    try {
        pg::failpoint(m_options.failpoints.after_commit);
        batch.progress.release_claims(*writer.cx, m_store);
    } catch (...) {
        done.after_commit_error = std::current_exception();
        return done;
    }
    m_consumer.commit_for_lag_tools(batch.progress.next_offsets());
    return done;
}

void Session::collect(Writer& writer, bool wait) {
    while (!writer.in_flight.empty() &&
           (wait || writer.in_flight.front().done.wait_for(0s) == std::future_status::ready)) {
        collect_one(writer);
    }
}

void Session::collect_one(Writer& writer) {
    InFlight flight = std::move(writer.in_flight.front());
    writer.in_flight.pop_front();
    CommitDone done;
    try {
        done = flight.done.get();  // rethrows the writer's errors
    } catch (...) {
        m_lost += flight.batch->messages();
        throw;
    }
    ++m_run.batches;
    m_sink.committed(*flight.batch, done);
    if (done.after_commit_error) {
        std::rethrow_exception(done.after_commit_error);
    }
}

void Session::report_lag() {
    if (!m_sink.wants_lag() || Clock::now() < m_next_lag_report) {
        return;
    }
    m_next_lag_report = Clock::now() + lag_interval;
    std::map<TopicPartition, int64_t> lag;
    for (const auto& [tp, state] : m_table.partitions()) {
        // Before the first fetch of a partition its high watermark is unknown: 0 until then.
        const auto watermarks = m_consumer.cached_watermarks(tp);
        lag[tp] = watermarks ? std::max<int64_t>(watermarks->high - state.fence, 0) : 0;
    }
    m_sink.lag(lag);
}

// A run must not wait forever for a broker that is gone (the strategy says how long).
void Session::check_kafka_silence() const {
    const std::optional<std::chrono::milliseconds> limit = m_claims->kafka_silence_limit();
    if (!limit || m_table.empty() || Clock::now() - m_last_kafka_activity < *limit) {
        return;
    }
    throw std::runtime_error(fmt::format(
        "no data from Kafka at {} for {} s while {} partitions were still behind (is the broker "
        "up?); committed batches are kept, run again to resume",
        m_consumer.brokers(), std::chrono::duration_cast<std::chrono::seconds>(*limit).count(),
        m_table.size()));
}

}  // namespace pinpipe::consume
