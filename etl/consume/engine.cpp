#include "consume/engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <deque>
#include <future>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "consume/backoff.hpp"
#include "consume/batching.hpp"
#include "consume/errors.hpp"
#include "consume/liveness.hpp"
#include "consume/partition_table.hpp"
#include "kafka/consumer.hpp"
#include "obs/log.hpp"
#include "pg/copy_encoding.hpp"
#include "pg/failpoint.hpp"
#include "pg/membership.hpp"
#include "util/process.hpp"
#include "util/serial_executor.hpp"
#include "util/signals.hpp"

namespace pinpipe::consume {
namespace {

using Clock = std::chrono::steady_clock;
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

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

struct InFlight {
    std::shared_ptr<Batch> batch;
    std::future<CommitDone> done;
};

// One connection with the claims of its partitions, the batch being built for them, and the
// thread that commits its batches in order.
struct Writer {
    Writer(const ConsumerOptions& options, BatchSink& sink)
        : cx(std::make_unique<pg::Connection>(options.dsn, options.application_name)),
          batch(sink.new_batch()) {}

    std::unique_ptr<pg::Connection> cx;  // used on `thread` only
    std::unique_ptr<Batch> batch;
    Clock::time_point batch_started = Clock::now();
    std::deque<InFlight> in_flight;
    size_t partitions = 0;  // owned, and (cron) claims on their way
    // Last member: destroyed first, so its queued jobs finish while the rest still exists.
    util::SerialExecutor thread;
};

struct PendingPartition {
    TopicPartition tp;
    kafka::Watermarks watermarks;
};

struct PendingClaim {
    PendingPartition partition;
    size_t writer;
    std::future<std::optional<int64_t>> stored;
};

// One connection per writer, one Kafka consumer, the claims and positions read from
// PostgreSQL: everything a failure may leave stale, so that a new session starts clean.
class Session {
  public:
    Session(const ConsumerOptions& options, BatchSink& sink, ConsumerRun& run)
        : m_options(options),
          m_sink(sink),
          m_run(run),
          m_store(options.group),
          m_membership(options.group, util::host_name(), static_cast<int>(getpid()),
                       options.follow ? pg::MemberRole::follower : pg::MemberRole::cron,
                       options.claim_lease),
          m_member_cx(options.dsn, options.application_name),
          m_liveness_cx(options.dsn, options.application_name),
          m_consumer(options.kafka_properties),
          m_validator(options.max_message_bytes) {
        for (size_t kind = 0; kind < event_kind_count; ++kind) {
            m_kind_of_topic[options.topics[kind]] = static_cast<events::EventKind>(kind);
        }
        for (size_t writer = 0; writer < std::max<size_t>(options.writers, 1); ++writer) {
            m_writers.push_back(std::make_unique<Writer>(options, sink));
        }
    }

    void run() {
        m_partitions = all_partitions();
        for (const auto& writer : m_writers) {
            // A batch's commit need not wait for its WAL flush, which would leave PostgreSQL
            // idle between batches: the rows or deltas and the offsets they consume commit in
            // one transaction, so a commit that a crash loses takes its offsets with it and
            // those messages are read again. WAL is flushed in order, so no later commit (ours
            // or another consumer's fenced on ours) survives without it (issue #5).
            on_writer(*writer, [this, &writer] {
                pqxx::nontransaction session(*writer->cx);
                session.exec("SET synchronous_commit = off");
                session.exec(fmt::format("SET lock_timeout = {}", m_options.lock_timeout.count()));
            });
        }
        m_membership.join(m_member_cx);
        for (const auto& writer : m_writers) {
            on_writer(*writer, [this, &writer] { m_membership.attach(*writer->cx); });
        }
        m_membership.attach(m_liveness_cx);
        // Before claiming: ends the sessions of a hung instance whose lease ran out, so that its
        // partitions are free to claim. From here on the keeper's thread heartbeats.
        m_membership.heartbeat(m_liveness_cx, 0);
        m_keeper.emplace(m_membership, m_liveness_cx, m_options.rebalance_interval);
        if (!m_options.follow) {
            plan();
        }
        obs::log_info("consumer session started",
                      {{"group", m_options.group},
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
            if (m_options.follow) {
                if (m_keeper->take_peers_ended() || Clock::now() >= m_next_rebalance) {
                    rebalance();
                }
            } else {
                claim_more();
                if (m_table.empty() && m_pending.empty() && m_claims.empty()) {
                    break;
                }
            }
            deliveries.clear();
            if (m_options.follow || !m_table.empty()) {
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

    // After a failure: waits for the batches still with the writers, accounts for those that
    // committed all the same, and returns how many messages taken from Kafka did not commit.
    uint64_t settle() {
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

    // How long since the instance last told PostgreSQL it lives (pg::Membership).
    // Zero before it registered: a session that failed before (Kafka down at start) had no
    // lease to run out.
    Clock::duration since_last_heartbeat() const {
        return m_membership.joined() ? Clock::now() - m_membership.last_heartbeat()
                                     : Clock::duration::zero();
    }

  private:
    template <typename Job>
    static auto on_writer(Writer& writer, Job job) -> std::invoke_result_t<Job> {
        return writer.thread.submit(std::move(job)).get();
    }

    // Every partition of the three topics, interleaved (pin 0, geo 0, user 0, pin 1, ...) so
    // that a fair share mixes the heavy pin partitions with the light ones.
    std::vector<TopicPartition> all_partitions() {
        std::vector<std::string> topics(m_options.topics.begin(), m_options.topics.end());
        std::vector<int32_t> counts;
        try {
            counts = m_consumer.partition_counts(topics, m_options.kafka_timeout);
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

    // The writer that gets the next partition: the one with the fewest.
    size_t least_busy_writer() const {
        size_t best = 0;
        for (size_t writer = 1; writer < m_writers.size(); ++writer) {
            if (m_writers[writer]->partitions < m_writers[best]->partitions) {
                best = writer;
            }
        }
        return best;
    }

    // Cron: the partitions with messages beyond their stored offset, up to the high watermark
    // seen now, in a random rotation so that concurrent loaders start apart and meet.
    void plan() {
        Writer& first = *m_writers[0];
        const auto stored = on_writer(first, [&] {
            pqxx::nontransaction session(*first.cx);
            return m_store.stored_offsets(session);
        });
        uint64_t behind = 0;
        for (const TopicPartition& tp : m_partitions) {
            const kafka::Watermarks watermarks = m_consumer.watermarks(tp, m_options.kafka_timeout);
            const auto found = stored.find(tp);
            const int64_t start = found == stored.end() ? watermarks.low : found->second;
            if (start < watermarks.high) {
                m_pending.push_back({tp, watermarks});
                // Messages below the low watermark are gone (retention): they will not be read.
                behind += static_cast<uint64_t>(watermarks.high - std::max(start, watermarks.low));
            }
        }
        m_sink.planned(behind);
        if (!m_pending.empty()) {
            std::mt19937 random(static_cast<unsigned>(getpid()));
            std::rotate(m_pending.begin(),
                        m_pending.begin() + static_cast<long>(random() % m_pending.size()),
                        m_pending.end());
        }
    }

    // Cron: claims queue on the writers behind the batches in flight; waiting for them would
    // leave PostgreSQL idle while the next batch is built, so they are answered later.
    void claim_more() {
        while (m_table.size() + m_claims.size() < m_options.parallel_partitions &&
               !m_pending.empty()) {
            const PendingPartition next = m_pending.front();
            m_pending.pop_front();
            const size_t writer = least_busy_writer();
            ++m_writers[writer]->partitions;
            m_claims.push_back({next, writer, submit_claim(writer, next)});
        }
        bool wait_for_one = m_table.empty();
        while (!m_claims.empty() && (wait_for_one || m_claims.front().stored.wait_for(0s) ==
                                                         std::future_status::ready)) {
            PendingClaim claim = std::move(m_claims.front());
            m_claims.pop_front();
            start_claimed(claim.partition, claim.writer, claim.stored.get());
            wait_for_one = false;
        }
    }

    // The stored offset to read from once the writer has claimed the partition; nullopt when
    // another consumer holds it or it is already read up to the high watermark.
    std::future<std::optional<int64_t>> submit_claim(size_t writer,
                                                     const PendingPartition& partition) {
        Writer& w = *m_writers[writer];
        return w.thread.submit([this, &w, tp = partition.tp, low = partition.watermarks.low,
                                target = partition.watermarks.high]() -> std::optional<int64_t> {
            pqxx::nontransaction session(*w.cx);
            if (!m_store.try_claim(session, tp)) {
                return std::nullopt;
            }
            const int64_t offset = m_store.stored_or_initialize(session, tp, low);
            pg::failpoint(m_options.failpoints.after_claim);
            if (offset >= target) {
                m_store.release(session, tp);  // finished by someone else meanwhile
                return std::nullopt;
            }
            return offset;
        });
    }

    void start_claimed(const PendingPartition& partition, size_t writer,
                       std::optional<int64_t> stored) {
        if (!stored) {
            --m_writers[writer]->partitions;
            return;
        }
        const TopicPartition& tp = partition.tp;
        if (*stored < partition.watermarks.low) {
            obs::log_warning("messages were deleted by Kafka retention before they were read",
                             {{"partition", tp.to_string()},
                              {"lost", std::to_string(partition.watermarks.low - *stored)}});
        }
        m_table.start(tp, m_kind_of_topic.at(tp.topic), writer, *stored, partition.watermarks.high);
        m_consumer.assign({{tp, *stored}});
        ++m_run.partitions_read;
    }

    // Follow: the fair share of DESIGN §8, so that partitions move when instances come and go;
    // a crashed instance's share is free as soon as its connections drop.
    void rebalance() {
        // Topics may have gained partitions; a failed metadata request keeps the old list.
        try {
            m_partitions = all_partitions();
        } catch (const KafkaUnavailable& error) {
            obs::log_warning("could not refresh the partition list from Kafka; keeping the old",
                             {{"error", error.what()}});
        }
        std::set<TopicPartition> owned;
        for (const auto& [tp, state] : m_table.partitions()) {
            owned.insert(tp);
        }
        const pg::ClaimPlan plan =
            m_membership.rebalance(m_member_cx, m_store, m_partitions, owned);
        for (const TopicPartition& tp : plan.release) {
            finish_partition(tp);
        }
        const size_t acquired = plan.acquire.empty() ? 0 : acquire(plan.acquire);
        m_next_rebalance =
            Clock::now() + plan.carried_out(m_table.size(), acquired, m_options.rebalance_interval);
    }

    // Claims what it can of the given partitions, spread over the writers, and starts reading
    // them at their stored offsets; returns how many it got.
    size_t acquire(const std::vector<TopicPartition>& partitions) {
        const auto began = Clock::now();
        Writer& first = *m_writers[0];
        const auto stored = on_writer(first, [&] {
            pqxx::nontransaction session(*first.cx);
            return m_store.stored_offsets(session);
        });
        // A partition never read before is read from its oldest message, or from its end with
        // StartAt::latest; only those need a request to Kafka.
        std::vector<std::vector<std::pair<TopicPartition, int64_t>>> per_writer(m_writers.size());
        std::vector<size_t> load(m_writers.size());
        for (size_t writer = 0; writer < m_writers.size(); ++writer) {
            load[writer] = m_writers[writer]->partitions;
        }
        for (const TopicPartition& tp : partitions) {
            int64_t start_offset = 0;
            if (const auto found = stored.find(tp); found != stored.end()) {
                start_offset = found->second;
            } else {
                try {
                    const auto marks = m_consumer.watermarks(tp, m_options.kafka_timeout);
                    start_offset = m_options.start == StartAt::latest ? marks.high : marks.low;
                } catch (const std::runtime_error& error) {
                    throw KafkaUnavailable(error.what());
                }
            }
            const auto writer =
                static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
            ++load[writer];
            per_writer[writer].emplace_back(tp, start_offset);
        }
        const auto looked_up = Clock::now();
        std::vector<std::future<kafka::PartitionOffsets>> claims;
        for (size_t writer = 0; writer < m_writers.size(); ++writer) {
            Writer& w = *m_writers[writer];
            claims.push_back(w.thread.submit([this, &w, wanted = per_writer[writer]] {
                kafka::PartitionOffsets positions;
                pqxx::nontransaction session(*w.cx);
                for (const auto& [tp, start_offset] : wanted) {
                    if (m_store.try_claim(session, tp)) {  // false: another instance was quicker
                        positions.emplace_back(
                            tp, m_store.stored_or_initialize(session, tp, start_offset));
                        pg::failpoint(m_options.failpoints.after_claim);
                    }
                }
                return positions;
            }));
        }
        kafka::PartitionOffsets claimed;
        for (size_t writer = 0; writer < m_writers.size(); ++writer) {
            for (const auto& [tp, offset] : claims[writer].get()) {
                m_table.start(tp, m_kind_of_topic.at(tp.topic), writer, offset, no_end);
                ++m_writers[writer]->partitions;
                claimed.emplace_back(tp, offset);
            }
        }
        if (!claimed.empty()) {
            // Offsets deleted by retention meanwhile: auto.offset.reset reads from the oldest.
            m_consumer.assign(claimed);
        }
        obs::log(obs::LogLevel::debug, "partitions claimed",
                 {{"claimed", std::to_string(claimed.size())},
                  {"start_offsets_ms",
                   fmt::format("{:.1f}", seconds_between(began, looked_up) * 1000.0)},
                  {"claims_ms",
                   fmt::format("{:.1f}", seconds_between(looked_up, Clock::now()) * 1000.0)}});
        return claimed.size();
    }

    // Stops reading tp; its claim is released once its writer's batch in hand commits.
    void finish_partition(const TopicPartition& tp) {
        const std::optional<PartitionState> state = m_table.finish(tp);
        if (!state) {
            return;
        }
        Writer& writer = *m_writers[state->writer];
        --writer.partitions;
        m_consumer.unassign({tp});
        writer.batch->progress.release_after_commit.push_back(tp);
    }

    void handle(const kafka::Delivery& delivery) {
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
                if (writer.batch->progress.advances.empty()) {
                    writer.batch_started = Clock::now();
                }
                writer.batch->progress.advance(tp, end.gap->fence, end.gap->to - 1);
            }
            if (end.finished) {
                finish_partition(tp);
            }
            return;
        }
        const MessageStep step = m_table.take(tp, delivery.offset);
        if (step.fate != MessageFate::not_owned) {
            m_heard_from_kafka = true;
        }
        if (step.fate != MessageFate::taken) {
            if (step.finished) {
                finish_partition(tp);
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
        events::Verdict verdict =
            m_validator.validate(state.kind, delivery.payload ? delivery.payload->data() : nullptr,
                                 message.payload.size());
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
        if (batch.progress.advances.empty()) {
            writer.batch_started = Clock::now();
        }
        batch.progress.advance(tp, step.fence, delivery.offset);
        pg::failpoint(m_options.failpoints.mid_batch);
        if (step.finished) {
            finish_partition(tp);
        }
        // Per message, so that a batch never outgrows its bounds.
        if (batch_full(batch_policy(), {batch.messages(), false, 0ms, false, batch.bytes()})) {
            submit_when_room(writer);
        }
    }

    void log_kafka_error(const std::string& error) {
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

    BatchPolicy batch_policy() const {
        return {m_options.max_batch_rows, m_options.min_batch_age, m_options.max_batch_latency,
                m_options.max_batch_bytes};
    }

    BatchState batch_state(const Writer& writer) const {
        const Batch& batch = *writer.batch;
        // Follow: partitions given up in a rebalance are released without waiting for min_age.
        // Cron: a finished partition's claim waits for its batch, which is full soon enough.
        const bool has_releases = m_options.follow && !batch.progress.release_after_commit.empty();
        return {batch.messages(), has_releases,
                batch.empty() ? 0ms
                              : std::chrono::duration_cast<std::chrono::milliseconds>(
                                    Clock::now() - writer.batch_started),
                writer.in_flight.size() >= m_options.max_batches_in_flight, batch.bytes()};
    }

    std::chrono::milliseconds poll_timeout() const {
        std::chrono::milliseconds timeout = idle_poll_timeout;
        for (const auto& writer : m_writers) {
            timeout = std::min(timeout, consume::poll_timeout(batch_policy(), batch_state(*writer),
                                                              idle_poll_timeout));
        }
        return timeout;
    }

    void step_batching(Writer& writer) {
        if (!m_options.follow && m_table.empty() && !writer.batch->empty()) {
            submit_when_room(writer);  // cron: nothing more is coming for now
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
    void submit_when_room(Writer& writer) {
        while (writer.in_flight.size() >= m_options.max_batches_in_flight) {
            collect_one(writer);
        }
        submit(writer);
    }

    void submit(Writer& writer) {
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

    // On the writer's thread: the batch in one transaction, run again after a serialization
    // failure or deadlock (nothing of it committed), then the claims it gives up.
    CommitDone commit(Writer& writer, Batch& batch, Clock::time_point filled,
                      Clock::time_point queued, int64_t queued_at_ms) {
        CommitDone done{0, 0, filled, queued, queued_at_ms, Clock::now(), 0};
        for (int attempt = 1;; ++attempt) {
            done.attempts = attempt;
            try {
                if (m_sink.commit(*writer.cx, m_store, batch) == pg::CommitOutcome::fence_lost) {
                    throw FenceLost(
                        "the stored offsets of a partition this consumer had claimed were moved "
                        "by another consumer; the batch was rolled back, nothing was written "
                        "twice");
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
        pg::failpoint(m_options.failpoints.after_commit);
        batch.progress.release_claims(*writer.cx, m_store);
        m_consumer.commit_for_lag_tools(batch.progress.next_offsets());
        return done;
    }

    void collect(Writer& writer, bool wait) {
        while (!writer.in_flight.empty() &&
               (wait || writer.in_flight.front().done.wait_for(0s) == std::future_status::ready)) {
            collect_one(writer);
        }
    }

    void collect_one(Writer& writer) {
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
    }

    void report_lag() {
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

    // Cron: a run must not wait forever for a broker that is gone.
    void check_kafka_silence() {
        if (m_options.follow || m_table.empty() ||
            Clock::now() - m_last_kafka_activity < m_options.kafka_timeout) {
            return;
        }
        throw std::runtime_error(fmt::format(
            "no data from Kafka at {} for {} s while {} partitions were still behind (is the "
            "broker up?); committed batches are kept, run again to resume",
            m_consumer.brokers(),
            std::chrono::duration_cast<std::chrono::seconds>(m_options.kafka_timeout).count(),
            m_table.size()));
    }

    const ConsumerOptions& m_options;
    BatchSink& m_sink;
    ConsumerRun& m_run;
    pg::OffsetStore m_store;
    pg::Membership m_membership;
    // The instance's registration and fair share, used on this thread. The writers' connections
    // and the keeper's hold the instance's liveness lock too (Membership::attach).
    pg::Connection m_member_cx;
    // The heartbeat's own, used on the keeper's thread only: never queued behind a batch, which
    // may wait for a lock that a hung instance holds (the live state's fold lock) until this
    // heartbeat ends that instance's sessions.
    pg::Connection m_liveness_cx;
    kafka::Consumer m_consumer;
    events::EventValidator m_validator;
    std::map<std::string, events::EventKind> m_kind_of_topic;
    std::vector<TopicPartition> m_partitions;
    std::deque<PendingPartition> m_pending;  // cron: not claimed yet
    std::deque<PendingClaim> m_claims;       // cron: submitted to a writer, not yet answered
    PartitionTable m_table;
    int64_t m_polled_at_ms = 0;  // wall clock after the last consume()
    bool m_heard_from_kafka = false;
    Clock::time_point m_last_kafka_activity = Clock::now();
    Clock::time_point m_next_rebalance = Clock::now();
    Clock::time_point m_next_lag_report = Clock::now();
    Clock::time_point m_next_kafka_error_log = Clock::now();
    uint64_t m_suppressed_kafka_errors = 0;
    uint64_t m_lost = 0;                     // messages of batches whose commit failed
    std::optional<LivenessKeeper> m_keeper;  // from the first heartbeat on
    // Last member: the writers' threads stop (finishing their queued jobs) before the rest goes.
    std::vector<std::unique_ptr<Writer>> m_writers;
};

std::runtime_error stopped_without_commit(const ConsumerOptions& options,
                                          const std::exception& error, uint64_t uncommitted) {
    return std::runtime_error(fmt::format(
        "stopped while {} could not commit ({}); {} messages read since the last commit were "
        "not written and will be read again when it starts again",
        options.application_name, pg::error_message(error), uncommitted));
}

// A cron load whose session ended after it went longer than its lease without a heartbeat (it
// was stopped, or hung): the others may end its sessions then, and libpq's "server closed the
// connection unexpectedly" alone would not say why.
std::runtime_error lease_ran_out(const ConsumerOptions& options, const std::exception& error,
                                 Clock::duration silent) {
    return std::runtime_error(fmt::format(
        "this load went {} s without a heartbeat, longer than its --claim-lease-ms of {} ms, so "
        "another instance ended its session ({}); committed batches are kept, run it again",
        std::chrono::duration_cast<std::chrono::seconds>(silent).count(),
        options.claim_lease.count(), pg::error_message(error)));
}

}  // namespace

ConsumerRun run_consumer(const ConsumerOptions& options, BatchSink& sink) {
    ConsumerRun run;
    RetryBackoff backoff(options.first_retry_delay, options.max_retry_delay);
    while (true) {
        const uint64_t batches_before = run.batches;
        uint64_t uncommitted = 0;
        Clock::duration silent{0};  // since the session's last heartbeat, when it failed
        try {
            ++run.sessions;
            std::optional<Session> session;
            try {
                session.emplace(options, sink, run);
                session->run();
            } catch (...) {
                if (session) {
                    silent = session->since_last_heartbeat();
                }
                uncommitted = session ? session->settle() : 0;
                throw;
            }
            return run;
        } catch (const std::exception& error) {
            const NextStep step = next_step(error);
            if (dynamic_cast<const pqxx::undefined_table*>(&error) != nullptr) {
                throw std::runtime_error(
                    fmt::format("{} (has the database been migrated? run pinpipe migrate)",
                                pg::error_message(error)));
            }
            // A retry_batch error here came back max_commit_attempts times: an outage too.
            const bool outage = step == NextStep::new_session || step == NextStep::retry_batch;
            if (!options.follow && outage && silent > options.claim_lease) {
                throw lease_ran_out(options, error, silent);
            }
            if (!options.follow && dynamic_cast<const pg::InstanceLost*>(&error) != nullptr) {
                throw std::runtime_error(fmt::format(
                    "{}; committed batches are kept, run the load again", error.what()));
            }
            if (!options.follow || !outage) {
                throw;
            }
            if (util::stop_requested()) {
                throw stopped_without_commit(options, error, uncommitted);
            }
            const std::chrono::milliseconds retry_delay =
                backoff.after_session(/*progressed=*/run.batches > batches_before);
            obs::log_warning("consumer session ended; starting a new one, nothing is written twice",
                             {{"error", pg::error_message(error)},
                              {"next_step", std::string(next_step_name(step))},
                              {"uncommitted_messages", std::to_string(uncommitted)},
                              {"retry_in_ms", std::to_string(retry_delay.count())}});
            if (!pause_unless_stopped(retry_delay)) {
                throw stopped_without_commit(options, error, uncommitted);
            }
        }
    }
}

}  // namespace pinpipe::consume
