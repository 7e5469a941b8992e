// How a consumer session comes to own partitions (DESIGN §8), chosen once when it starts:
// CronClaims plans what lies behind the high watermarks, claims partitions one by one (work
// stealing) and ends when they are read up to those; FollowClaims holds a fair share of the
// group's partitions and rebalances as instances come and go. Claims run on the writers'
// threads and connections: the session lock that claims a partition is the writer's.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consume/engine.hpp"
#include "consume/partition_table.hpp"
#include "consume/writer.hpp"
#include "events/topic_partition.hpp"
#include "kafka/consumer.hpp"
#include "pg/membership.hpp"
#include "pg/offset_store.hpp"

namespace pinpipe::consume {

// The parts of a session that claims read and change; all outlive the strategy's calls.
struct ClaimContext {
    const ConsumerOptions& options;
    BatchSink& sink;
    ConsumerRun& run;
    const pg::OffsetStore& store;
    pg::Membership& membership;
    pg::Connection& member_cx;  // the instance's registration: on the consuming thread
    kafka::Consumer& consumer;
    Writers& writers;
    PartitionTable& table;
    const std::map<std::string, events::EventKind>& kind_of_topic;
    std::vector<events::TopicPartition>& partitions;  // every partition of the three topics

    // Stops reading tp; its claim is released once its writer's batch in hand commits. The
    // session calls it too, when a partition reaches its target.
    void finish(const events::TopicPartition& tp);
};

class ClaimStrategy {
  public:
    virtual ~ClaimStrategy() = default;

    // How the instance registers in etl.consumer_instances: in the fair share or not.
    virtual pg::MemberRole role() const = 0;
    // Once the instance has joined, before anything is read.
    virtual void start(ClaimContext& ctx) = 0;
    // On every turn of the consuming loop, before Kafka is polled: claims, gives up, answers
    // claims. peers_ended: a heartbeat just ended a lapsed instance, whose partitions are free.
    // Returns false once there is nothing left to read.
    virtual bool step(ClaimContext& ctx, bool peers_ended) = 0;
    // Nothing is read now and nothing will come without a claim: Kafka is not polled, and the
    // batch in hand goes to its writer at once.
    virtual bool idle(const PartitionTable& table) const = 0;
    // Whether a batch that gives up claims goes without waiting for its min_age: another
    // instance waits for those partitions.
    virtual bool hurries_releases() const = 0;
    // How long Kafka may stay silent while partitions are behind before the session gives up;
    // nullopt: it waits (librdkafka reconnects by itself).
    virtual std::optional<std::chrono::milliseconds> kafka_silence_limit() const = 0;
};

std::unique_ptr<ClaimStrategy> make_claim_strategy(const ConsumerOptions& options);

// Every partition of the three topics, interleaved (pin 0, geo 0, user 0, pin 1, ...) so that
// a fair share mixes the heavy pin partitions with the light ones. Throws KafkaUnavailable, or
// kafka::TopicMissing when the cluster does not know a topic.
std::vector<events::TopicPartition> all_partitions(kafka::Consumer& consumer,
                                                   const ConsumerOptions& options);

// Throws OffsetBeyondEnd when group's stored offset of tp lies beyond its high watermark.
void check_stored_offset(const std::string& group, const events::TopicPartition& tp, int64_t stored,
                         const kafka::Watermarks& watermarks);

// Pure: the writer of each of `count` new partitions, one after another to the writer with the
// fewest (the first of those tied), given how many each has now.
std::vector<size_t> spread_over_writers(std::vector<size_t> loads, size_t count);

struct PendingPartition {
    events::TopicPartition tp;
    kafka::Watermarks watermarks;
};

struct CronPlan {
    std::deque<PendingPartition> pending;  // with messages beyond their stored offset
    uint64_t behind = 0;                   // messages between those and the high watermarks
};

// Pure: the partitions a cron run reads (watermarks[i] are partitions[i]'s), starting at
// stored offsets or, never read, at the low watermark; rotated left by `rotation` (modulo their
// number) so that concurrent loaders start apart and meet. Throws OffsetBeyondEnd, naming
// group, for a stored offset beyond its partition's high watermark: the stored offsets must be
// read before the watermarks, so that a concurrent consumer's progress never looks like that.
CronPlan plan_cron_reads(const std::string& group,
                         const std::vector<events::TopicPartition>& partitions,
                         const std::vector<kafka::Watermarks>& watermarks,
                         const std::map<events::TopicPartition, int64_t>& stored, size_t rotation);

// Cron: the partitions with messages beyond their stored offset up to the high watermark seen
// at start, claimed one by one as reading slots free up, until none is left.
class CronClaims final : public ClaimStrategy {
  public:
    // kafka_timeout: how long Kafka may stay silent with partitions behind.
    explicit CronClaims(std::chrono::milliseconds kafka_timeout) : m_silence_limit(kafka_timeout) {}

    pg::MemberRole role() const override { return pg::MemberRole::cron; }
    void start(ClaimContext& ctx) override;
    bool step(ClaimContext& ctx, bool peers_ended) override;
    bool idle(const PartitionTable& table) const override { return table.empty(); }
    // A finished partition's claim waits for its batch, which is full soon enough.
    bool hurries_releases() const override { return false; }
    std::optional<std::chrono::milliseconds> kafka_silence_limit() const override {
        return m_silence_limit;
    }

  private:
    struct PendingClaim {
        PendingPartition partition;
        size_t writer;
        std::future<std::optional<int64_t>> stored;
    };

    std::future<std::optional<int64_t>> submit_claim(ClaimContext& ctx, size_t writer,
                                                     const PendingPartition& partition);
    void start_claimed(ClaimContext& ctx, const PendingPartition& partition, size_t writer,
                       std::optional<int64_t> stored);

    std::deque<PendingPartition> m_pending;  // not claimed yet
    std::deque<PendingClaim> m_claims;       // submitted to a writer, not yet answered
    std::chrono::milliseconds m_silence_limit;
};

// Follow: about partitions / live instances, re-checked every rebalance_interval (and at once
// when a lapsed peer was ended), so that partitions move when instances come and go; a crashed
// instance's share is free as soon as its connections drop.
class FollowClaims final : public ClaimStrategy {
  public:
    pg::MemberRole role() const override { return pg::MemberRole::follower; }
    void start(ClaimContext& /*ctx*/) override {}
    bool step(ClaimContext& ctx, bool peers_ended) override;
    // Partitions may come with the next rebalance: the poll's timeout paces the loop meanwhile.
    bool idle(const PartitionTable& /*table*/) const override { return false; }
    bool hurries_releases() const override { return true; }
    std::optional<std::chrono::milliseconds> kafka_silence_limit() const override {
        return std::nullopt;
    }

  private:
    void rebalance(ClaimContext& ctx);
    size_t acquire(ClaimContext& ctx, const std::vector<events::TopicPartition>& partitions);

    std::chrono::steady_clock::time_point m_next_rebalance = std::chrono::steady_clock::now();
};

}  // namespace pinpipe::consume
