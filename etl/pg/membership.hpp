// Fair sharing of a consumer group's partitions among long-running instances (DESIGN §8):
// instances register in etl.consumer_instances, count as live while they hold an advisory lock
// named after their row, and each claims about partitions / live instances, re-checking every
// few seconds. The arithmetic is pure (fair_share, plan_claims); Membership does the I/O.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <stdexcept>
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

// Whether an instance shares the group's partitions fairly (stream, load --follow) or only
// registers so that its lease can run out (a cron load, which claims partitions one by one).
enum class MemberRole { follower, cron };

// The instance's row in etl.consumer_instances was deleted (by an operator) while it ran. Its
// connections still hold the liveness lock named after the lost row, which no row names any
// more: re-registering on one connection would leave the others under the old lock, beyond the
// reach of a lease. So the session ends (consume::next_step: new_session): a follower starts a
// new one, registering again and attaching every connection anew; a cron load exits 1.
class InstanceLost : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One registered instance of a consumer group. join() and refresh() take the connection the
// instance registered on, attach() each other connection it claims partitions with: the
// instance is live exactly as long as those connections, so a killed process frees its
// partitions as soon as PostgreSQL drops them (keepalives included), and a hung one when its
// lease runs out: the live instances end all its sessions (pg_terminate_backend), which rolls
// back its open transactions and releases its claims; when it resumes, its next statement fails
// and it starts a new session from the stored offsets (or, a cron load, exits 1).
class Membership {
  public:
    Membership(std::string consumer, std::string host, int pid, MemberRole role,
               std::chrono::milliseconds claim_lease = default_claim_lease);

    const std::string& consumer() const { return m_consumer; }
    int64_t id() const { return m_id; }
    bool joined() const { return m_id != 0; }

    // Registers the instance and takes its liveness lock, in one transaction, so that nobody
    // sees the row without the lock (and removes it as dead).
    void join(pqxx::connection_base& cx);
    // Takes the liveness lock on another connection of this instance (a further writer's), so
    // that ending a lapsed instance also ends that connection's session and frees its claims.
    void attach(pqxx::connection_base& cx) const;
    // Records that this instance lives and how many partitions it owns, ends the sessions of
    // instances whose lease ran out (through etl.end_lapsed_instances, the one function that may)
    // and removes the rows of dead ones; returns how many sessions it ended. Throws InstanceLost
    // when the row was lost (an operator deleted it). Safe to call on another thread than the
    // rest (consume::LivenessKeeper does), but never on two at once.
    size_t heartbeat(pqxx::connection_base& cx, size_t owned_partitions);
    // When the last heartbeat (or join) that PostgreSQL recorded was sent: taken before the
    // statement, so that it is never later than the heartbeat_at the others compare with their
    // lease. Time since then beyond the lease means others may have ended this instance's
    // sessions.
    std::chrono::steady_clock::time_point last_heartbeat() const { return m_last_heartbeat; }
    // How many followers are live and where this one ranks among them. No heartbeat: that is
    // the liveness thread's, which never waits behind this one's work.
    LiveMembers live_members(pqxx::connection_base& cx) const;
    // The plan that brings this instance to its fair share of `all`.
    ClaimPlan rebalance(pqxx::connection_base& cx, const OffsetStore& store,
                        const std::vector<events::TopicPartition>& all,
                        const std::set<events::TopicPartition>& owned) const;
    // Deletes the row and releases the liveness lock (a clean exit; a crash needs neither).
    void leave(pqxx::connection_base& cx);

  private:
    std::string lock_name(int64_t id) const;
    InstanceLost row_deleted() const;
    size_t end_lapsed_sessions(pqxx::transaction_base& tx) const;

    std::string m_consumer;
    std::string m_host;
    int m_pid;
    MemberRole m_role;
    std::chrono::milliseconds m_claim_lease;
    int64_t m_id = 0;
    // Written by the heartbeat's thread, read by the consuming one after a failure.
    std::atomic<std::chrono::steady_clock::time_point> m_last_heartbeat{
        std::chrono::steady_clock::now()};
};

}  // namespace pinpipe::pg
