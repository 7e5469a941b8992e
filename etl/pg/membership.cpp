#include "pg/membership.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "obs/log.hpp"

namespace pinpipe::pg {
namespace {

// The liveness lock of an instance: a 64-bit advisory key derived from a readable name, the
// same in every process (as the partition claims of OffsetStore are).
constexpr const char* instance_lock_name_sql =
    "'pinpipe-instance/' || i.consumer || '/' || i.id::text";

// Rows of the group whose instance holds its liveness lock in this database. A bigint advisory
// key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
const std::string live_condition = fmt::format(
    "EXISTS (SELECT FROM pg_catalog.pg_locks l "
    "  WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted "
    "  AND l.database = (SELECT oid FROM pg_catalog.pg_database "
    "                    WHERE datname = current_database()) "
    "  AND l.classid::bigint = ((hashtextextended({0}, 0) >> 32) & 4294967295) "
    "  AND l.objid::bigint = (hashtextextended({0}, 0) & 4294967295))",
    instance_lock_name_sql);

}  // namespace

size_t fair_share(size_t partitions, size_t instances, size_t rank) {
    if (instances == 0 || rank >= instances) {
        return 0;
    }
    return partitions / instances + (rank < partitions % instances ? 1 : 0);
}

ClaimPlan plan_claims(const std::vector<events::TopicPartition>& all,
                      const std::set<events::TopicPartition>& owned,
                      const std::set<events::TopicPartition>& claimed_by_others, size_t share) {
    ClaimPlan plan;
    plan.share = share;
    const std::set<events::TopicPartition> known(all.begin(), all.end());
    // Owned partitions that still exist, in preference order; the others go back at once.
    std::vector<events::TopicPartition> kept;
    for (const events::TopicPartition& tp : all) {
        if (owned.contains(tp)) {
            kept.push_back(tp);
        }
    }
    for (const events::TopicPartition& tp : owned) {
        if (!known.contains(tp)) {
            plan.release.push_back(tp);
        }
    }
    while (kept.size() > share) {
        plan.release.push_back(kept.back());
        kept.pop_back();
    }
    for (const events::TopicPartition& tp : all) {
        if (kept.size() + plan.acquire.size() >= share) {
            break;
        }
        if (!owned.contains(tp) && !claimed_by_others.contains(tp)) {
            plan.acquire.push_back(tp);
        }
    }
    plan.owned_after = kept.size() + plan.acquire.size();
    return plan;
}

InstanceLost Membership::row_deleted() const {
    return InstanceLost(fmt::format(
        "the row of consumer instance {} of group {} was deleted from etl.consumer_instances "
        "while it ran (by hand?); its session ends, so that none of its connections keeps "
        "claims under the lost row's liveness lock",
        m_id, m_consumer));
}

std::string Membership::lock_name(int64_t id) const {
    // Must spell what instance_lock_name_sql computes in SQL.
    return fmt::format("pinpipe-instance/{}/{}", m_consumer, id);
}

Membership::Membership(std::string consumer, std::string host, int pid, MemberRole role,
                       std::chrono::milliseconds claim_lease)
    : m_consumer(std::move(consumer)),
      m_host(std::move(host)),
      m_pid(pid),
      m_role(role),
      m_claim_lease(claim_lease) {}

size_t Membership::end_lapsed_sessions(pqxx::transaction_base& tx) const {
    // The function (migrations/R__70_consumer_leases.sql) ends only the backends holding the
    // liveness lock of an instance of this group whose heartbeat is older than the lease, and waits
    // up to a second for each to exit, so that this same heartbeat sees its partitions free. It
    // runs with its owner's right to signal; no pinpipe role holds pg_signal_backend.
    const size_t ended = tx.exec_params1("SELECT etl.end_lapsed_instances($1, $2, $3)", m_consumer,
                                         m_id, m_claim_lease.count())[0]
                             .as<size_t>();
    for (size_t session = 0; session < ended; ++session) {
        obs::log_warning(
            "ended the session of a consumer instance whose lease ran out",
            {{"group", m_consumer}, {"lease_ms", std::to_string(m_claim_lease.count())}});
    }
    return ended;
}

void Membership::join(pqxx::connection_base& cx) {
    const auto sent = std::chrono::steady_clock::now();
    pqxx::work tx(cx);
    const auto id = tx.exec_params1(
                          "INSERT INTO etl.consumer_instances (consumer, host, pid, follows) "
                          "VALUES ($1, $2, $3, $4) RETURNING id",
                          m_consumer, m_host, m_pid, m_role == MemberRole::follower)[0]
                        .as<int64_t>();
    // Session-level, so it outlives this transaction and lives as long as the connection;
    // shared, so that every connection of the instance can hold it at once (attach).
    tx.exec_params("SELECT pg_advisory_lock_shared(hashtextextended($1, 0))", lock_name(id));
    tx.commit();
    m_id = id;
    m_last_heartbeat = sent;
}

void Membership::attach(pqxx::connection_base& cx) const {
    pqxx::nontransaction(cx).exec_params("SELECT pg_advisory_lock_shared(hashtextextended($1, 0))",
                                         lock_name(m_id));
}

size_t Membership::heartbeat(pqxx::connection_base& cx, size_t owned_partitions) {
    if (!joined()) {
        join(cx);
    }
    const auto sent = std::chrono::steady_clock::now();
    pqxx::nontransaction session(cx);
    const bool row_lost = session
                              .exec_params(
                                  "UPDATE etl.consumer_instances "
                                  "SET heartbeat_at = now(), partitions = $2 WHERE id = $1",
                                  m_id, owned_partitions)
                              .affected_rows() == 0;
    if (row_lost) {
        throw row_deleted();
    }
    m_last_heartbeat = sent;
    const size_t ended = end_lapsed_sessions(session);
    session.exec_params(
        fmt::format("DELETE FROM etl.consumer_instances i WHERE i.consumer = $1 AND NOT {}",
                    live_condition),
        m_consumer);
    return ended;
}

LiveMembers Membership::live_members(pqxx::connection_base& cx) const {
    pqxx::nontransaction session(cx);
    const pqxx::result live =
        session.exec_params(fmt::format("SELECT i.id FROM etl.consumer_instances i "
                                        "WHERE i.consumer = $1 AND i.follows AND {} ORDER BY i.id",
                                        live_condition),
                            m_consumer);
    LiveMembers members{live.size(), 0};
    for (size_t row = 0; row < live.size(); ++row) {
        if (live[row][0].as<int64_t>() == m_id) {
            members.rank = row;
            return members;
        }
    }
    if (session.exec_params("SELECT FROM etl.consumer_instances WHERE id = $1", m_id).empty()) {
        throw row_deleted();
    }
    throw std::runtime_error(fmt::format(
        "consumer instance {} of group {} does not hold its liveness lock in PostgreSQL (was "
        "the lock released by hand?); restart the process",
        m_id, m_consumer));
}

ClaimPlan Membership::rebalance(pqxx::connection_base& cx, const OffsetStore& store,
                                const std::vector<events::TopicPartition>& all,
                                const std::set<events::TopicPartition>& owned) const {
    const LiveMembers members = live_members(cx);
    std::set<events::TopicPartition> claimed_by_others;
    pqxx::nontransaction session(cx);
    for (const events::TopicPartition& tp : store.claimed_by_anyone(session, all)) {
        if (!owned.contains(tp)) {
            claimed_by_others.insert(tp);
        }
    }
    return plan_claims(all, owned, claimed_by_others,
                       fair_share(all.size(), members.count, members.rank));
}

void Membership::leave(pqxx::connection_base& cx) {
    if (!joined()) {
        return;
    }
    pqxx::nontransaction session(cx);
    session.exec_params("SELECT pg_advisory_unlock_shared(hashtextextended($1, 0))",
                        lock_name(m_id));
    session.exec_params("DELETE FROM etl.consumer_instances WHERE id = $1", m_id);
    m_id = 0;
}

std::chrono::milliseconds ClaimPlan::carried_out(size_t owned, size_t acquired,
                                                 std::chrono::milliseconds interval) const {
    if (!release.empty() || acquired > 0) {
        obs::log_info("partitions rebalanced", {{"owned", std::to_string(owned)},
                                                {"share", std::to_string(share)},
                                                {"released", std::to_string(release.size())},
                                                {"claimed", std::to_string(acquired)}});
    }
    constexpr int unsettled_divisor = 4;
    return settled() && acquired == acquire.size() ? interval : interval / unsettled_divisor;
}

}  // namespace pinpipe::pg
