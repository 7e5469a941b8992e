#include "pg/offset_store.hpp"

#include <fmt/format.h>

namespace pinpipe::pg {
namespace {

// A 64-bit advisory lock key from a readable name; the same name gives the same key in every
// pinpipe process. Collisions between names are as unlikely as 64-bit hash collisions.
constexpr const char* claim_key_sql = "hashtextextended($1, 0)";

}  // namespace

std::string OffsetStore::lock_name(const events::TopicPartition& tp) const {
    return fmt::format("pinpipe/{}/{}/{}", m_group, tp.topic, tp.partition);
}

bool OffsetStore::try_claim(pqxx::transaction_base& tx, const events::TopicPartition& tp) const {
    return tx
        .exec_params1(fmt::format("SELECT pg_try_advisory_lock({})", claim_key_sql),
                      lock_name(tp))[0]
        .as<bool>();
}

void OffsetStore::release(pqxx::transaction_base& tx, const events::TopicPartition& tp) const {
    tx.exec_params(fmt::format("SELECT pg_advisory_unlock({})", claim_key_sql), lock_name(tp));
}

std::vector<events::TopicPartition> OffsetStore::claimed_by_anyone(
    pqxx::transaction_base& tx, const std::vector<events::TopicPartition>& partitions) const {
    std::vector<std::string> names;
    for (const auto& tp : partitions) {
        names.push_back(lock_name(tp));
    }
    // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    // Advisory locks are per database, and pg_locks lists those of every database.
    const pqxx::result rows = tx.exec_params(
        "SELECT n.ord FROM unnest($1::text[]) WITH ORDINALITY AS n(name, ord) "
        "JOIN pg_locks l ON l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted "
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        " AND l.classid::bigint = ((hashtextextended(n.name, 0) >> 32) & 4294967295) "
        " AND l.objid::bigint = (hashtextextended(n.name, 0) & 4294967295) "
        "ORDER BY n.ord",
        text_array_literal(names));
    std::vector<events::TopicPartition> claimed;
    for (const pqxx::row& row : rows) {
        claimed.push_back(partitions.at(row[0].as<size_t>() - 1));
    }
    return claimed;
}

std::map<events::TopicPartition, int64_t> OffsetStore::stored_offsets(
    pqxx::transaction_base& tx) const {
    const pqxx::result rows = tx.exec_params(
        "SELECT topic, partition, next_offset FROM etl.consumer_offsets WHERE consumer = $1",
        m_group);
    std::map<events::TopicPartition, int64_t> offsets;
    for (const pqxx::row& row : rows) {
        offsets[{row[0].as<std::string>(), row[1].as<int32_t>()}] = row[2].as<int64_t>();
    }
    return offsets;
}

int64_t OffsetStore::stored_or_initialize(pqxx::transaction_base& tx,
                                          const events::TopicPartition& tp,
                                          int64_t start_offset) const {
    return tx
        .exec_params1(
            "WITH inserted AS ("
            "  INSERT INTO etl.consumer_offsets (consumer, topic, partition, next_offset)"
            "  VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING next_offset) "
            "SELECT next_offset FROM inserted UNION ALL "
            "SELECT next_offset FROM etl.consumer_offsets "
            "WHERE consumer = $1 AND topic = $2 AND partition = $3",
            m_group, tp.topic, tp.partition, start_offset)[0]
        .as<int64_t>();
}

bool OffsetStore::advance(pqxx::transaction_base& tx,
                          const std::vector<OffsetAdvance>& advances) const {
    if (advances.empty()) {
        return true;
    }
    std::vector<std::string> topics;
    std::vector<std::string> partitions;
    std::vector<std::string> froms;
    std::vector<std::string> tos;
    for (const OffsetAdvance& advance : advances) {
        topics.push_back(advance.tp.topic);
        partitions.push_back(std::to_string(advance.tp.partition));
        froms.push_back(std::to_string(advance.from));
        tos.push_back(std::to_string(advance.to));
    }
    const pqxx::result updated = tx.exec_params(
        "UPDATE etl.consumer_offsets o SET next_offset = a.next_to, updated_at = now() "
        "FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) "
        "  AS a(topic, partition, fenced_from, next_to) "
        "WHERE o.consumer = $1 AND o.topic = a.topic AND o.partition = a.partition "
        "  AND o.next_offset = a.fenced_from",
        m_group, text_array_literal(topics), text_array_literal(partitions),
        text_array_literal(froms), text_array_literal(tos));
    return updated.affected_rows() == advances.size();
}

}  // namespace pinpipe::pg
