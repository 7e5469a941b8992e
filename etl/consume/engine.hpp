// The one consumer engine of load and stream (DESIGN §8): claims partitions in PostgreSQL, reads
// them from their stored offsets, validates every message, builds batches within their bounds,
// and has writer threads commit each batch with its fenced offsets. Errors are sorted once
// (consume/errors.hpp): a batch is retried, a new session starts after a backoff, or the run
// ends. What a batch becomes (COPY rows, metric deltas) is the BatchSink's business alone.
// Inside: session.hpp (the consuming loop), claims.hpp (cron and follow claims),
// partition_table.hpp (where each partition stands), writer.hpp (a connection and its thread).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/origin.hpp"
#include "events/topic_partition.hpp"
#include "events/validation.hpp"
#include "kafka/config.hpp"
#include "obs/failpoints.hpp"
#include "pg/connection.hpp"
#include "pg/membership.hpp"
#include "pg/offset_store.hpp"
#include "pg/partition_progress.hpp"

namespace pinpipe::consume {

using events::event_kind_count;

// One transaction's worth: the sink's rows or deltas (in a derived type), the dead letters and
// how far each partition moves. Built by the consuming thread, committed by a writer thread.
struct Batch {
    virtual ~Batch() = default;

    std::string dead_letters;  // COPY text for etl.dead_letters
    uint64_t dead_letter_count = 0;
    pg::PartitionProgress progress;

    // Messages taken into the batch, dead letters included.
    virtual uint64_t messages() const = 0;
    // Encoded bytes, for the batch's byte bound.
    virtual size_t bytes() const { return dead_letters.size(); }
    bool empty() const { return progress.empty(); }
};

// A valid message handed to the sink.
struct Message {
    events::EventKind kind;
    events::MessageOrigin origin;
    std::string_view payload;
    int64_t timestamp_ms;  // Kafka's, or when it was read if the message has none
    int64_t polled_at_ms;  // wall clock when it was taken from Kafka
};

// When and how a committed batch went, for the sink's accounting and trace.
struct CommitDone {
    double writer_seconds = 0;                      // the writer's time on it, retries included
    int64_t committed_at_ms = 0;                    // wall clock, for the end-to-end latency
    std::chrono::steady_clock::time_point filled;   // its first message
    std::chrono::steady_clock::time_point queued;   // handed to the writer
    int64_t queued_at_ms = 0;                       // the same, wall clock
    std::chrono::steady_clock::time_point started;  // taken up by the writer
    int attempts = 0;
    // An error after the commit (releasing claims, a lost connection): the batch is written and
    // counts as such; the session ends with this error once it is counted.
    std::exception_ptr after_commit_error;
};

// What a batch becomes. add() runs on the consuming thread; commit() on a writer thread, with
// the writer's connection, inside nothing: it opens and commits its own transaction.
class BatchSink {
  public:
    virtual ~BatchSink() = default;

    virtual std::unique_ptr<Batch> new_batch() = 0;
    // Adds a valid message; returns why not when it must become a dead letter after all.
    virtual std::optional<events::Verdict> add(Batch& batch, const Message& msg) = 0;
    // Writes the batch, dead letters and the fenced offset advance in one transaction (rolled
    // back when the fence was lost). Throws libpqxx's errors otherwise; the engine runs it again
    // when next_step says retry_batch.
    virtual pg::CommitOutcome commit(pqxx::connection_base& cx, const pg::OffsetStore& store,
                                     Batch& batch) = 0;
    // On the consuming thread, once the batch has committed.
    virtual void committed(const Batch& /*batch*/, const CommitDone& /*done*/) {}

    // Cron: the messages between the stored offsets and the high watermarks seen at start, the
    // most the run will read; once per session, before anything is read.
    virtual void planned(uint64_t /*messages_behind*/) {}
    // One message taken from Kafka: valid or a dead letter (counted once its batch commits).
    virtual void consumed(events::EventKind /*kind*/, bool /*valid*/) {}
    // Messages behind the high watermark for every partition owned now; when wants_lag().
    virtual bool wants_lag() const { return false; }
    virtual void lag(const std::map<events::TopicPartition, int64_t>& /*lag*/) {}
};

// The engine's failpoints (DESIGN §8), named after the command that runs it (load.*, stream.*):
// the command passes its own; unset, the engine has none there.
struct EngineFailpoints {
    // On the writer, a partition claimed and its offset read.
    std::optional<obs::Failpoint> after_claim;
    // On the consuming thread, a message added to a batch.
    std::optional<obs::Failpoint> mid_batch;
    // On the writer, before claims are released and Kafka told.
    std::optional<obs::Failpoint> after_commit;
};

// Where a follow-mode group starts on a partition it has no stored offset for (a new group): at
// the oldest message Kafka holds, or at the end, reading only what arrives afterwards (as the
// seeds' streaming job did). A stored offset always wins, so restarts never skip or re-read.
enum class StartAt { earliest, latest };

struct ConsumerOptions {
    std::string dsn;
    std::string application_name;        // pinpipe-load, pinpipe-stream: shows in pg_stat_activity
    kafka::Properties kafka_properties;  // complete: brokers, -F file, -X overrides
    std::string group;
    std::array<std::string, event_kind_count> topics;  // pin, geo, user
    // Long-running (stream, load --follow): register, claim a fair share, rebalance, and outlive
    // outages with new sessions. Otherwise (cron load): claim partitions one by one, read each
    // up to the high watermark seen at start, then return; any failure ends the run.
    bool follow = false;
    size_t writers = 1;  // connections committing batches, each for its own partitions

    // Batching bounds. A batch goes to its writer once full, or once its first message has
    // waited min_age and the writer has room (min_age beyond max_latency counts as
    // max_latency); while the writer is busy it grows.
    size_t max_batch_rows = 20000;
    size_t max_batch_bytes = size_t{8} << 20;
    std::chrono::milliseconds min_batch_age{20};
    std::chrono::milliseconds max_batch_latency{100};
    size_t max_batches_in_flight = 1;  // per writer: committing or queued
    size_t max_message_bytes = events::EventValidator::default_max_message_bytes;

    size_t parallel_partitions = 8;  // cron: partitions read at once (the rest wait)
    // Kafka requests; and in cron mode how long Kafka may stay silent with partitions behind.
    std::chrono::milliseconds kafka_timeout{30000};
    // Heartbeat; follow: re-check the fair share too.
    std::chrono::milliseconds rebalance_interval{3000};
    StartAt start = StartAt::earliest;  // follow: partitions never read
    // A hung instance's partitions are taken over after this long (pg::Membership).
    std::chrono::milliseconds claim_lease = pg::default_claim_lease;
    // How long a writer's statement may wait for a lock (PostgreSQL's lock_timeout): a batch
    // that waits longer is rolled back and run again (consume::next_step). Beyond the lease and
    // a heartbeat, so that a hung peer holding the fold lock is ended before anyone gives up.
    std::chrono::milliseconds lock_timeout{30000};
    EngineFailpoints failpoints;  // none: load and stream name theirs
    // Pause before a new session; doubles up to max_retry_delay, back to the first after a
    // session that committed something. SIGTERM cuts it short.
    std::chrono::milliseconds first_retry_delay{500};
    std::chrono::milliseconds max_retry_delay{30000};
};

struct ConsumerRun {
    size_t partitions_read = 0;  // cron: partitions read from their stored offset
    uint64_t sessions = 0;       // more than 1 after outages or lost fences
    uint64_t batches = 0;
    bool stopped_by_signal = false;
};

// Runs until done (cron) or SIGTERM/SIGINT (util::stop_requested), commits what is in hand and
// returns. Throws on errors whose next step is exit, on any error in cron mode, and when stopped
// while no session could commit (what was read since is read again on the next start).
ConsumerRun run_consumer(const ConsumerOptions& options, BatchSink& sink);

}  // namespace pinpipe::consume
