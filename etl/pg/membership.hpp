// Fair sharing of a consumer group's partitions among long-running instances (DESIGN §8):
// instances register in etl.consumer_instances, count as live while they hold an advisory lock
// named after their row, and each claims about partitions / live instances, re-checking every
// few seconds. The arithmetic is pure (fair_share, plan_claims); Membership does the I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "events/topic_partition.hpp"
#include "pg/connection.hpp"
#include "pg/offset_store.hpp"

namespace pinpipe::pg {

// How many of `partitions` the live instance of position `rank` (0-based, instances ordered by
// registration) should own: partitions / instances, and one more for the first
// partitions % instances ranks, so that the shares of all ranks add up to partitions exactly.
// No instances (or a rank beyond them) means a share of 0.
size_t fair_share(size_t partitions, size_t instances, size_t rank);

struct ClaimPlan {
    // Owned beyond the share: stop reading them, commit, then release their claims. Taken from
    // the end of the preference order, so that an instance keeps its first partitions.
    std::vector<events::TopicPartition> release;
    // Unclaimed partitions to try to claim (in preference order), as many as the share lacks.
    std::vector<events::TopicPartition> acquire;
    // Owned partitions once this plan is carried out, if every acquisition succeeds.
    size_t owned_after = 0;
    size_t share = 0;

    bool settled() const { return owned_after == share; }

    // After carrying the plan out (acquired of acquire succeeded, owned now held): logs what
    // moved, and returns when to look again: soon until this instance holds its share.
    std::chrono::milliseconds carried_out(size_t owned, size_t acquired,
                                          std::chrono::milliseconds interval) const;
};

// Pure: the moves that bring `owned` to `share` partitions. all lists every partition in
// preference order; claimed_by_others are those some other session holds (they are never
// acquired). Partitions in owned that are not in all (a topic shrank) are released.
ClaimPlan plan_claims(const std::vector<events::TopicPartition>& all,
                      const std::set<events::TopicPartition>& owned,
                      const std::set<events::TopicPartition>& claimed_by_others, size_t share);

struct LiveMembers {
    size_t count = 0;  // live instances of the group, this one included
    size_t rank = 0;   // this instance's position among them, by registration
};

// How long an instance may go without a heartbeat before the others end its session: a
// process that hangs (SIGSTOP, a stuck disk, a debugger) keeps its connection and with it its
// claims, so a lease is what frees them.
constexpr std::chrono::milliseconds default_claim_lease{10000};

// One registered instance of a consumer group. Every call takes the connection the instance
// claims partitions on: the instance is live exactly as long as that connection, so a killed
// process frees its share as soon as PostgreSQL drops the connection (keepalives included), and
// a hung one when its lease runs out: the live instances end its session (pg_terminate_backend),
// which rolls back its open transaction and releases its claims; when it resumes, its next
// statement fails and it starts a new session from the stored offsets.
class Membership {
  public:
    Membership(std::string consumer, std::string host, int pid,
               std::chrono::milliseconds claim_lease = default_claim_lease);

    const std::string& consumer() const { return m_consumer; }
    int64_t id() const { return m_id; }
    bool joined() const { return m_id != 0; }

    // Registers the instance and takes its liveness lock, in one transaction, so that nobody
    // sees the row without the lock (and removes it as dead).
    void join(Connection& cx);
    // Heartbeat: records how many partitions this instance owns, ends the sessions of instances
    // whose lease ran out, removes the rows of dead instances, and tells how many are live and
    // where this one ranks. Re-registers when the row was lost (an operator deleted it).
    LiveMembers refresh(Connection& cx, size_t owned_partitions);
    // Heartbeat, then the plan that brings this instance to its fair share of `all`.
    ClaimPlan rebalance(Connection& cx, const OffsetStore& store,
                        const std::vector<events::TopicPartition>& all,
                        const std::set<events::TopicPartition>& owned);
    // Deletes the row and releases the liveness lock (a clean exit; a crash needs neither).
    void leave(Connection& cx);

  private:
    std::string lock_name(int64_t id) const;
    void end_lapsed_sessions(Connection& cx) const;

    std::string m_consumer;
    std::string m_host;
    int m_pid;
    std::chrono::milliseconds m_claim_lease;
    int64_t m_id = 0;
};

}  // namespace pinpipe::pg
