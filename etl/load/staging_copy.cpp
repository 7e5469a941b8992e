// COPY through pqxx::stream_to, in text: libpqxx 6.4 cannot COPY in binary, and going around it
// to libpq for that was measured and did not pay (README, "Layout and libraries"; issue #16).
// StagingRows keep each row in binary tuple form (compact, row boundaries kept, readable back
// for dead letters); here each row is decoded into the fields stream_to escapes.
#include "load/staging_copy.hpp"

#include <pqxx/stream_to>

#include <string>
#include <tuple>
#include <vector>

#include "load/batch.hpp"

namespace pinpipe::load {
namespace {

void copy_rows(pqxx::dbtransaction& tx, events::EventKind kind,
               const std::vector<std::string_view>& rows) {
    static const std::vector<std::string> columns = {"kafka_topic",  "kafka_partition",
                                                     "kafka_offset", "kafka_timestamp",
                                                     "kafka_key",    "payload"};
    pqxx::stream_to stream(tx, staging_table(kind), columns);
    std::string topic;
    std::string timestamp;
    std::string key;
    std::string payload;
    for (const std::string_view bytes : rows) {
        const StagingRow row = decode_staging_row(bytes);
        topic.assign(row.at.topic);
        payload.assign(row.payload);
        timestamp.clear();
        if (row.at.timestamp_ms) {
            pg::append_copy_timestamp(timestamp, *row.at.timestamp_ms);
        }
        key.clear();
        if (row.at.key) {
            // bytea's hex input form; stream_to escapes the backslash for COPY.
            constexpr std::string_view hex = "0123456789abcdef";
            key = "\\x";
            for (const char c : *row.at.key) {
                const auto byte = static_cast<unsigned char>(c);
                key += hex[byte >> 4];
                key += hex[byte & 0xf];
            }
        }
        // libpqxx 6.4 streams tuples only; a null pointer is a NULL.
        stream << std::make_tuple(topic.c_str(), row.at.partition, row.at.offset,
                                  row.at.timestamp_ms ? timestamp.c_str() : nullptr,
                                  row.at.key ? key.c_str() : nullptr, payload.c_str());
    }
    stream.complete();
}

}  // namespace

void copy_staging_rows(pqxx::dbtransaction& tx, events::EventKind kind, const StagingRows& rows) {
    copy_rows(tx, kind, rows.rows_in_partition_order());
}

void copy_staging_row(pqxx::dbtransaction& tx, events::EventKind kind, std::string_view row) {
    copy_rows(tx, kind, {row});
}

}  // namespace pinpipe::load
