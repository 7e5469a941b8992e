// Staging rows as lines of PostgreSQL's COPY text format: pure, no I/O.
//
// A compact store of a batch's rows with their boundaries, each readable back
// (decode_staging_row). Each row is escaped once, as it is appended, into exactly what COPY
// reads: pg/staging_writer.cpp sends the lines as they are (issue #16). They were binary COPY
// tuples before (issue #3), which libpqxx 6.4 cannot send: each row was decoded into fields
// that pqxx::stream_to then escaped again, row by row.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/origin.hpp"
#include "events/validation.hpp"
#include "pg/copy_encoding.hpp"

namespace pinpipe::pg {

// A row's bytes beyond its topic, its key in hex (two bytes per byte) and its escaped payload,
// at most.
inline constexpr size_t staging_row_overhead_bytes = 64;

// staging.pin_events, staging.geo_events, staging.user_events
std::string staging_table(events::EventKind kind);

// The rows of one staging table, columns as staging_copy_columns(). Row boundaries are kept, so
// that the rows PostgreSQL rejects can be told from the others (pg/staging_writer.hpp).
class StagingRows {
  public:
    void append(const events::MessageOrigin& at, std::string_view payload);
    void reserve(size_t bytes) { m_text.reserve(bytes); }

    size_t count() const { return m_row_ends.size(); }
    bool empty() const { return m_row_ends.empty(); }
    size_t bytes() const { return m_text.size(); }
    // Every row in the order appended: COPY text, each line ending with a newline.
    std::string_view text() const { return m_text; }
    // One row's line, its newline included.
    std::string_view row(size_t index) const;
    // Every row, grouped by partition, each partition's rows in the order appended. Rows in
    // key order let PostgreSQL extend the unique key's index where it last did, instead of
    // searching it for each row as the interleaving of partitions in a batch would make it
    // (about 7% of the server's COPY time).
    std::vector<std::string_view> rows_in_partition_order() const;

  private:
    std::string m_text;
    std::vector<size_t> m_row_ends;
    std::vector<int32_t> m_row_partitions;
};

// One row read back from its line, unescaped: for the dead letter of a row PostgreSQL
// rejected, and for tests.
struct StagingRow {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    std::optional<int64_t> timestamp_ms;
    std::optional<std::string> key;
    std::string payload;

    // Views into this row.
    events::MessageOrigin origin() const {
        return {topic, partition, offset, timestamp_ms,
                key ? std::optional<std::string_view>(*key) : std::nullopt};
    }
};
// Throws std::invalid_argument when row is not a row StagingRows wrote.
StagingRow decode_staging_row(std::string_view row);

// A batch's rows per staging table, in pin, geo, user order (events::kind_index).
using StagingBatch = std::array<StagingRows, events::event_kind_count>;

}  // namespace pinpipe::pg
