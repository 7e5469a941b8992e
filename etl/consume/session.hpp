// One session of the consumer engine: one connection per writer, one Kafka consumer, the claims
// and positions read from PostgreSQL: everything a failure may leave stale, so that a new
// session starts clean (run_consumer starts one after an outage). The consuming thread turns
// deliveries into batches; the writers commit them; the claim strategy decides what is read.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consume/batching.hpp"
#include "consume/claims.hpp"
#include "consume/engine.hpp"
#include "consume/liveness.hpp"
#include "consume/partition_table.hpp"
#include "consume/writer.hpp"
#include "events/validation.hpp"
#include "kafka/consumer.hpp"
#include "kafka/delivery.hpp"
#include "pg/connection.hpp"
#include "pg/membership.hpp"
#include "pg/offset_store.hpp"

namespace pinpipe::consume {

class Session {
  public:
    Session(const ConsumerOptions& options, BatchSink& sink, ConsumerRun& run);

    // Reads and commits until the claim strategy has nothing left to read or a stop is
    // requested, then commits the batches in hand. Throws what ends the session.
    void run();
    // After a failure: waits for the batches still with the writers, accounts for those that
    // committed all the same, and returns how many messages taken from Kafka did not commit.
    uint64_t settle();
    // How long since the instance last told PostgreSQL it lives (pg::Membership). Zero before
    // it registered: a session that failed before (Kafka down at start) had no lease to run out.
    std::chrono::steady_clock::duration since_last_heartbeat() const;

  private:
    using Clock = std::chrono::steady_clock;

    void handle(const kafka::Delivery& delivery);
    void log_kafka_error(const std::string& error);
    void start_batch_if_empty(Writer& writer);
    BatchPolicy batch_policy() const;
    BatchState batch_state(const Writer& writer) const;
    std::chrono::milliseconds poll_timeout() const;
    void step_batching(Writer& writer);
    void submit_when_room(Writer& writer);
    void submit(Writer& writer);
    CommitDone commit(Writer& writer, Batch& batch, Clock::time_point filled,
                      Clock::time_point queued, int64_t queued_at_ms);
    void collect(Writer& writer, bool wait);
    void collect_one(Writer& writer);
    void report_lag();
    void check_kafka_silence() const;

    const ConsumerOptions& m_options;
    BatchSink& m_sink;
    ConsumerRun& m_run;
    pg::OffsetStore m_store;
    std::unique_ptr<ClaimStrategy> m_claims;  // before m_membership, which takes its role
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
    std::vector<events::TopicPartition> m_partitions;
    PartitionTable m_table;
    int64_t m_polled_at_ms = 0;  // wall clock after the last consume()
    bool m_heard_from_kafka = false;
    Clock::time_point m_last_kafka_activity = Clock::now();
    Clock::time_point m_next_lag_report = Clock::now();
    Clock::time_point m_next_kafka_error_log = Clock::now();
    uint64_t m_suppressed_kafka_errors = 0;
    uint64_t m_lost = 0;                     // messages of batches whose commit failed
    std::optional<LivenessKeeper> m_keeper;  // from the first heartbeat on
    // What the claim strategy works with; the writers' queued claims use it, so it outlives them.
    ClaimContext m_claim_context;
    // Last member: the writers' threads stop (finishing their queued jobs) before the rest goes.
    Writers m_writers;
};

}  // namespace pinpipe::consume
