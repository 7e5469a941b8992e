#include "pg/offset_store.hpp"

#include <fmt/format.h>

namespace pinpipe::pg {
namespace {

// A 64-bit advisory lock key from a readable name; the same name gives the same key in every
// pinpipe process. Collisions between names are as unlikely as 64-bit hash collisions.
constexpr const char* lock_key_sql = "hashtextextended($1, 0)";

}  // namespace

std::string OffsetStore::lock_name(const events::TopicPartition& tp) const {
    return fmt::format("pinpipe/{}/{}/{}", m_group, tp.topic, tp.partition);
}

bool OffsetStore::try_claim(Connection& cx, const events::TopicPartition& tp) const {
    return cx.exec(fmt::format("SELECT pg_try_advisory_lock({})", lock_key_sql), {lock_name(tp)})
               .get(0, 0) == "t";
}

void OffsetStore::release(Connection& cx, const events::TopicPartition& tp) const {
    cx.exec(fmt::format("SELECT pg_advisory_unlock({})", lock_key_sql), {lock_name(tp)});
}

std::vector<events::TopicPartition> OffsetStore::claimed_by_anyone(
    Connection& cx, const std::vector<events::TopicPartition>& partitions) const {
    std::vector<std::string> names;
    for (const auto& tp : partitions) {
        names.push_back(lock_name(tp));
    }
    // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    // Advisory locks are per database, and pg_locks lists those of every database.
    const Result rows = cx.exec(
        "SELECT n.ord FROM unnest($1::text[]) WITH ORDINALITY AS n(name, ord) "
        "JOIN pg_locks l ON l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted "
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        " AND l.classid::bigint = ((hashtextextended(n.name, 0) >> 32) & 4294967295) "
        " AND l.objid::bigint = (hashtextextended(n.name, 0) & 4294967295) "
        "ORDER BY n.ord",
        {text_array_literal(names)});
    std::vector<events::TopicPartition> claimed;
    for (int row = 0; row < rows.rows(); ++row) {
        claimed.push_back(partitions.at(std::stoul(std::string(rows.get(row, 0))) - 1));
    }
    return claimed;
}

std::map<events::TopicPartition, int64_t> OffsetStore::stored_offsets(Connection& cx) const {
    const Result rows = cx.exec(
        "SELECT topic, partition, next_offset FROM etl.consumer_offsets WHERE consumer = $1",
        {m_group});
    std::map<events::TopicPartition, int64_t> offsets;
    for (int row = 0; row < rows.rows(); ++row) {
        offsets[{std::string(rows.get(row, 0)), std::stoi(std::string(rows.get(row, 1)))}] =
            std::stoll(std::string(rows.get(row, 2)));
    }
    return offsets;
}

int64_t OffsetStore::stored_or_initialize(Connection& cx, const events::TopicPartition& tp,
                                          int64_t start_offset) const {
    const Result rows = cx.exec(
        "WITH inserted AS ("
        "  INSERT INTO etl.consumer_offsets (consumer, topic, partition, next_offset)"
        "  VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING next_offset) "
        "SELECT next_offset FROM inserted UNION ALL "
        "SELECT next_offset FROM etl.consumer_offsets "
        "WHERE consumer = $1 AND topic = $2 AND partition = $3",
        {m_group, tp.topic, std::to_string(tp.partition), std::to_string(start_offset)});
    return std::stoll(std::string(rows.get(0, 0)));
}

bool OffsetStore::advance(Connection& cx, const std::vector<OffsetAdvance>& advances) const {
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
    const Result updated = cx.exec(
        "UPDATE etl.consumer_offsets o SET next_offset = a.next_to, updated_at = now() "
        "FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) "
        "  AS a(topic, partition, fenced_from, next_to) "
        "WHERE o.consumer = $1 AND o.topic = a.topic AND o.partition = a.partition "
        "  AND o.next_offset = a.fenced_from",
        {m_group, text_array_literal(topics), text_array_literal(partitions),
         text_array_literal(froms), text_array_literal(tos)});
    return updated.affected_rows() == static_cast<long long>(advances.size());
}

}  // namespace pinpipe::pg
