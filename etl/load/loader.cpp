#include "load/loader.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "kafka/consumer.hpp"
#include "load/batch.hpp"
#include "load/batch_writer.hpp"
#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "pg/failpoint.hpp"
#include "pg/membership.hpp"
#include "pg/offset_store.hpp"
#include "util/process.hpp"
#include "util/serial_executor.hpp"
#include "util/signals.hpp"

namespace pinpipe::load {
namespace {

using Clock = std::chrono::steady_clock;
using kafka::TopicPartition;

constexpr size_t messages_per_poll = 2000;
constexpr auto poll_timeout = std::chrono::milliseconds(100);
// One batch being written while the next is built (and one queued) keeps both sides busy
// with bounded memory.
constexpr size_t max_batches_in_flight = 2;
constexpr int64_t no_end = std::numeric_limits<int64_t>::max();

// Another consumer moved a partition's stored offset while we held its claim: nothing was
// written twice (the transaction rolled back), but this session's positions are stale.
class FenceLost : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct PartitionState {
    events::EventKind kind;
    int64_t fence;   // where the stored offset stands once every submitted batch has committed
    int64_t next;    // the offset after the last message taken from Kafka
    int64_t target;  // cron: the high watermark seen at start; --follow: no_end
};

struct PendingPartition {
    TopicPartition tp;
    kafka::Watermarks watermarks;
};

struct PendingClaim {
    PendingPartition partition;
    std::future<std::optional<int64_t>> stored;
};

class Loader {
  public:
    explicit Loader(const LoaderOptions& options)
        : m_options(options),
          m_store(options.group),
          m_cx(std::make_unique<pg::Connection>(pg::Connection::open(options.dsn, "pinpipe-load"))),
          m_consumer(options.kafka_properties),
          m_validator(options.max_message_bytes),
          m_membership(options.group, util::host_name(), static_cast<int>(getpid()),
                       options.claim_lease) {
        for (size_t kind = 0; kind < event_kind_count; ++kind) {
            m_kind_of_topic[options.topics[kind]] = static_cast<events::EventKind>(kind);
        }
        // A batch's commit need not wait for its WAL flush, which would leave PostgreSQL idle
        // between batches: rows and offsets commit atomically either way, so a crash that loses
        // the last commits loses both together and they are read from Kafka again. The run's
        // closing etl.load_runs update commits synchronously, flushing all of them before exit.
        m_cx->exec("SET synchronous_commit = off");
    }

    LoadSummary run() {
        const auto started = Clock::now();
        plan();
        if (m_options.follow) {
            m_writer.submit([this] { m_membership.join(*m_cx); }).get();
        }
        m_last_kafka_activity = Clock::now();
        std::vector<kafka::MessagePtr> messages;
        while (true) {
            if (util::stop_requested()) {
                m_summary.stopped_by_signal = true;
                break;
            }
            claim_more();
            if (!m_options.follow && m_active.empty() && m_pending.empty() && m_claims.empty()) {
                break;
            }
            messages.clear();
            if (!m_active.empty()) {
                m_consumer.consume(messages, messages_per_poll, poll_timeout);
            } else if (m_options.follow) {
                std::this_thread::sleep_for(poll_timeout);
            }
            for (const kafka::MessagePtr& msg : messages) {
                handle(*msg);
                if (batch_full()) {
                    submit_batch();  // per message, so that a batch never outgrows its bounds
                }
            }
            if (batch_full() || batch_late()) {
                submit_batch();
            }
            collect(/*wait_for_all=*/false);
            check_kafka_silence();
        }
        submit_batch();
        collect(/*wait_for_all=*/true);
        if (m_membership.joined()) {
            m_writer.submit([this] { m_membership.leave(*m_cx); }).get();
        }
        m_summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        return m_summary;
    }

  private:
    template <typename Job>
    auto on_writer(Job job) {
        return m_writer.submit(std::move(job)).get();
    }

    std::vector<TopicPartition> all_partitions() {
        std::vector<std::string> topics(m_options.topics.begin(), m_options.topics.end());
        const std::vector<int32_t> counts =
            m_consumer.partition_counts(topics, m_options.kafka_timeout);
        std::vector<TopicPartition> partitions;
        for (size_t t = 0; t < topics.size(); ++t) {
            for (int32_t partition = 0; partition < counts[t]; ++partition) {
                partitions.push_back({topics[t], partition});
            }
        }
        return partitions;
    }

    // Cron mode: which partitions have messages beyond their stored offset, up to the high
    // watermark seen now. --follow: every partition, claimed as it becomes free.
    void plan() {
        m_partitions = all_partitions();
        if (m_options.follow) {
            return;
        }
        const auto stored = on_writer([this] { return m_store.stored_offsets(*m_cx); });
        for (const TopicPartition& tp : m_partitions) {
            const kafka::Watermarks watermarks = m_consumer.watermarks(tp, m_options.kafka_timeout);
            const auto found = stored.find(tp);
            const int64_t start = found == stored.end() ? watermarks.low : found->second;
            if (start < watermarks.high) {
                m_pending.push_back({tp, watermarks});
            }
        }
        // Concurrent loaders start at different partitions and meet in the middle.
        if (!m_pending.empty()) {
            std::mt19937 random(static_cast<unsigned>(getpid()));
            std::rotate(m_pending.begin(),
                        m_pending.begin() + static_cast<long>(random() % m_pending.size()),
                        m_pending.end());
        }
    }

    void claim_more() {
        if (!m_options.follow) {
            // Claims queue on the writer behind the batches in flight; waiting for them would
            // leave PostgreSQL idle while the next batch is built, so they are answered later.
            while (m_active.size() + m_claims.size() < m_options.parallel_partitions &&
                   !m_pending.empty()) {
                PendingPartition next = m_pending.front();
                m_pending.pop_front();
                m_claims.push_back(
                    {next, submit_claim(next.tp, next.watermarks, next.watermarks.high)});
            }
            start_claimed(/*wait_for_one=*/m_active.empty());
            return;
        }
        if (Clock::now() < m_next_claim_scan) {
            return;
        }
        // Long-running loaders take a fair share (DESIGN §8), so that partitions move when
        // instances come and go; a crashed instance's share is free when its connection drops.
        std::set<TopicPartition> owned;
        for (const auto& [tp, state] : m_active) {
            owned.insert(tp);
        }
        const pg::ClaimPlan claims =
            on_writer([&] { return m_membership.rebalance(*m_cx, m_store, m_partitions, owned); });
        for (const TopicPartition& tp : claims.release) {
            finish_partition(tp);
        }
        size_t acquired = 0;
        for (const TopicPartition& tp : claims.acquire) {
            const kafka::Watermarks watermarks = m_consumer.watermarks(tp, m_options.kafka_timeout);
            start_partition(tp, watermarks, no_end, submit_claim(tp, watermarks, no_end).get());
            acquired += m_active.contains(tp) ? 1 : 0;
        }
        m_next_claim_scan = Clock::now() + claims.carried_out(m_active.size(), acquired,
                                                              m_options.rebalance_interval);
    }

    // The stored offset to read tp from once the writer has claimed it; nullopt when another
    // loader holds tp or it is already read up to target.
    std::future<std::optional<int64_t>> submit_claim(const TopicPartition& tp,
                                                     const kafka::Watermarks& watermarks,
                                                     int64_t target) {
        return m_writer.submit(
            [this, tp, low = watermarks.low, target]() -> std::optional<int64_t> {
                if (!m_store.try_claim(*m_cx, tp)) {
                    return std::nullopt;
                }
                const int64_t offset = m_store.stored_or_initialize(*m_cx, tp, low);
                pg::failpoint(obs::Failpoint::load_after_claim);
                if (offset >= target) {
                    m_store.release(*m_cx, tp);  // finished by someone else meanwhile
                    return std::nullopt;
                }
                return offset;
            });
    }

    void start_claimed(bool wait_for_one) {
        while (!m_claims.empty() &&
               (wait_for_one || m_claims.front().stored.wait_for(std::chrono::seconds(0)) ==
                                    std::future_status::ready)) {
            PendingClaim claim = std::move(m_claims.front());
            m_claims.pop_front();
            start_partition(claim.partition.tp, claim.partition.watermarks,
                            claim.partition.watermarks.high, claim.stored.get());
            wait_for_one = false;
        }
    }

    void start_partition(const TopicPartition& tp, const kafka::Watermarks& watermarks,
                         int64_t target, std::optional<int64_t> stored) {
        if (!stored) {
            return;
        }
        if (*stored < watermarks.low) {
            obs::log_warning("messages were deleted by Kafka retention before they were loaded",
                             {{"partition", tp.to_string()},
                              {"lost", std::to_string(watermarks.low - *stored)}});
        }
        m_active[tp] = {m_kind_of_topic.at(tp.topic), *stored, *stored, target};
        m_consumer.assign({{tp, *stored}});
        ++m_summary.partitions_read;
    }

    void handle(const rd_kafka_message_t& msg) {
        const TopicPartition tp{rd_kafka_topic_name(msg.rkt), msg.partition};
        const auto found = m_active.find(tp);
        if (found == m_active.end()) {
            return;  // from a partition we have finished with
        }
        PartitionState& state = found->second;
        if (msg.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            m_last_kafka_activity = Clock::now();
            if (msg.offset >= state.target) {
                finish_partition(tp);
            }
            return;
        }
        if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            obs::log_warning("Kafka consumer error", {{"partition", tp.to_string()},
                                                      {"error", rd_kafka_message_errstr(&msg)}});
            return;
        }
        m_last_kafka_activity = Clock::now();
        if (msg.offset < state.next) {
            return;  // already taken (a re-delivery after a seek)
        }
        if (msg.offset >= state.target) {
            finish_partition(tp);
            return;
        }
        rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        const int64_t timestamp = rd_kafka_message_timestamp(&msg, &timestamp_type);
        const KafkaCoordinates at{
            tp.topic, tp.partition, msg.offset,
            timestamp_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? std::nullopt
                                                               : std::optional(timestamp),
            msg.key
                ? std::optional(std::string_view(static_cast<const char*>(msg.key), msg.key_len))
                : std::nullopt};
        const auto* payload = static_cast<const char*>(msg.payload);
        const events::Verdict verdict = m_validator.validate(state.kind, payload, msg.len);
        if (verdict.ok) {
            StagingRows& rows = m_batch.rows[kind_index(state.kind)];
            if (rows.empty()) {
                // Room for a whole batch up front: growing by doubling would copy it repeatedly.
                rows.reserve(m_options.max_batch_bytes + m_options.max_message_bytes +
                             staging_row_overhead_bytes);
            }
            rows.append(at, std::string_view(payload, msg.len));
        } else {
            append_dead_letter_row(
                m_batch.dead_letters, m_options.group, at,
                payload ? std::optional(std::string_view(payload, msg.len)) : std::nullopt,
                events::reason_name(verdict.reason), verdict.error);
            ++m_batch.dead_letter_count;
        }
        if (m_batch.progress.advances.empty()) {
            m_batch_started = Clock::now();
        }
        m_batch.progress.advance(tp, state.fence, msg.offset);
        pg::failpoint(obs::Failpoint::load_mid_batch);
        state.next = msg.offset + 1;
        if (state.next >= state.target) {
            finish_partition(tp);
        }
    }

    void finish_partition(const TopicPartition& tp) {
        m_active.erase(tp);
        m_consumer.unassign({tp});
        m_batch.progress.release_after_commit.push_back(tp);
    }

    bool batch_full() const {
        return !m_batch.empty() &&
               (m_batch.messages() >= m_options.max_batch_rows ||
                m_batch.bytes() >= m_options.max_batch_bytes || m_active.empty());
    }

    // Checked once per poll rather than per message: it reads the clock.
    bool batch_late() const {
        return !m_batch.empty() && Clock::now() - m_batch_started >= m_options.max_batch_latency;
    }

    void submit_batch() {
        if (m_batch.empty()) {
            return;
        }
        m_batch.progress.move_fences(m_active);
        auto batch = std::make_shared<LoadBatch>(std::move(m_batch));
        m_batch = LoadBatch{};
        m_batch_started = Clock::now();
        m_in_flight.push_back(m_writer.submit([this, batch] {
            const CommitResult result = commit_batch(*m_cx, m_store, *batch);
            if (result.outcome == CommitOutcome::committed) {
                pg::failpoint(obs::Failpoint::load_after_commit);
                batch->progress.release_claims(*m_cx, m_store);
                m_consumer.commit_for_lag_tools(batch->progress.next_offsets());
            }
            return result;
        }));
        while (m_in_flight.size() > max_batches_in_flight) {
            collect_one();
        }
    }

    void collect_one() {
        const CommitResult result = m_in_flight.front().get();  // rethrows the writer's errors
        m_in_flight.pop_front();
        if (result.outcome == CommitOutcome::fence_lost) {
            throw FenceLost(
                "the stored offsets of a partition this loader had claimed were moved by another "
                "consumer; the batch was rolled back, nothing was loaded twice (run load again)");
        }
        for (size_t kind = 0; kind < event_kind_count; ++kind) {
            m_summary.rows[kind] += result.rows[kind];
        }
        m_summary.dead_letters += result.dead_letters;
    }

    void collect(bool wait_for_all) {
        while (!m_in_flight.empty() &&
               (wait_for_all || m_in_flight.front().wait_for(std::chrono::seconds(0)) ==
                                    std::future_status::ready)) {
            collect_one();
        }
    }

    void check_kafka_silence() {
        if (m_options.follow || m_active.empty() ||
            Clock::now() - m_last_kafka_activity < m_options.kafka_timeout) {
            return;
        }
        throw std::runtime_error(fmt::format(
            "no data from Kafka at {} for {} s while {} partitions were still behind (is the "
            "broker up?); committed batches are kept, run load again to resume",
            m_consumer.brokers(),
            std::chrono::duration_cast<std::chrono::seconds>(m_options.kafka_timeout).count(),
            m_active.size()));
    }

    const LoaderOptions& m_options;
    pg::OffsetStore m_store;
    std::unique_ptr<pg::Connection> m_cx;  // used on the writer thread only
    kafka::Consumer m_consumer;
    events::EventValidator m_validator;
    std::map<std::string, events::EventKind> m_kind_of_topic;
    std::vector<TopicPartition> m_partitions;
    std::deque<PendingPartition> m_pending;
    std::deque<PendingClaim> m_claims;  // cron: submitted to the writer, not yet answered
    std::map<TopicPartition, PartitionState> m_active;
    LoadBatch m_batch;
    Clock::time_point m_batch_started = Clock::now();
    Clock::time_point m_last_kafka_activity = Clock::now();
    Clock::time_point m_next_claim_scan = Clock::now();
    pg::Membership m_membership;  // --follow only; used on the writer thread
    std::deque<std::future<CommitResult>> m_in_flight;
    LoadSummary m_summary;
    // Last member: destroyed first, so its queued jobs finish while the rest still exists.
    util::SerialExecutor m_writer;
};

int64_t record_run_start(const LoaderOptions& options) {
    pg::Connection cx = pg::Connection::open(options.dsn, "pinpipe-load");
    return std::stoll(std::string(
        cx.exec("INSERT INTO etl.load_runs (consumer, host) VALUES ($1, $2) RETURNING id",
                {options.group, util::host_name()})
            .get(0, 0)));
}

void record_run_end(const LoaderOptions& options, int64_t run_id, const LoadSummary& summary,
                    const std::string& outcome, const std::string& detail) {
    try {
        pg::Connection cx = pg::Connection::open(options.dsn, "pinpipe-load");
        cx.exec(
            "UPDATE etl.load_runs SET finished_at = now(), pin_rows = $2, geo_rows = $3, "
            "user_rows = $4, dead_letters = $5, outcome = $6, detail = NULLIF($7, '') "
            "WHERE id = $1",
            {std::to_string(run_id), std::to_string(summary.rows[0]),
             std::to_string(summary.rows[1]), std::to_string(summary.rows[2]),
             std::to_string(summary.dead_letters), outcome, detail});
    } catch (const std::exception& error) {
        obs::log_warning("could not record the end of the load run in etl.load_runs",
                         {{"run", std::to_string(run_id)}, {"error", error.what()}});
    }
}

}  // namespace

LoadSummary run_load(const LoaderOptions& options) {
    // Batches and Kafka fetch buffers are megabytes each and come and go all run long. glibc
    // would map each afresh and unmap it on free, so every byte loaded would cost a page fault;
    // served from the heap instead, their pages are reused. Peak memory is bounded by the batch
    // sizes either way.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    const int64_t run_id = record_run_start(options);
    constexpr auto first_retry_delay = std::chrono::seconds(1);
    constexpr auto max_retry_delay = std::chrono::seconds(30);
    auto retry_delay = first_retry_delay;
    LoadSummary total;
    total.run_id = run_id;
    while (true) {
        try {
            const LoadSummary session = Loader(options).run();
            for (size_t kind = 0; kind < event_kind_count; ++kind) {
                total.rows[kind] += session.rows[kind];
            }
            total.dead_letters += session.dead_letters;
            total.partitions_read += session.partitions_read;
            total.seconds += session.seconds;
            total.stopped_by_signal = session.stopped_by_signal;
            record_run_end(options, run_id, total, session.stopped_by_signal ? "stopped" : "ok",
                           "");
            return total;
        } catch (const std::exception& error) {
            // --follow outlives database restarts and lost claims: start a new session (new
            // connection, claims and positions from Postgres) after a growing pause.
            const auto* pg_error = dynamic_cast<const pg::Error*>(&error);
            const bool recoverable = dynamic_cast<const FenceLost*>(&error) != nullptr ||
                                     (pg_error != nullptr && pg_error->connection_lost());
            if (!options.follow || !recoverable || util::stop_requested()) {
                record_run_end(options, run_id, total, "failed", error.what());
                throw;
            }
            obs::log_warning(
                "load session ended; starting a new one",
                {{"error", error.what()}, {"retry_in_s", std::to_string(retry_delay.count())}});
            std::this_thread::sleep_for(retry_delay);
            retry_delay = std::min(retry_delay * 2, max_retry_delay);
        }
    }
}

}  // namespace pinpipe::load
