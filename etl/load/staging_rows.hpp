// Staging rows in PostgreSQL's binary COPY tuple format: pure, no I/O.
//
// A compact store of a batch's rows with their boundaries, each readable back
// (decode_staging_row). They were sent as a binary COPY through libpq (issue #3); libpqxx 6.4
// streams text only, and its stream_to measured no slower under the staging triggers, so
// load/staging_copy.cpp decodes them for it (issue #16).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pg/copy_encoding.hpp"

namespace pinpipe::load {

// A row's bytes beyond its topic, key and payload, at most.
inline constexpr size_t staging_row_overhead_bytes = 64;

// The rows of one staging table, columns as staging_copy_columns. Row boundaries are kept, so
// that a batch PostgreSQL rejects can be redone row by row.
class StagingRows {
  public:
    void append(const events::MessageOrigin& at, std::string_view payload);
    void reserve(size_t bytes) { m_tuples.reserve(bytes); }

    size_t count() const { return m_row_ends.size(); }
    bool empty() const { return m_row_ends.empty(); }
    size_t bytes() const { return m_tuples.size(); }
    // Every row in the order appended, without the header and trailer.
    std::string_view tuples() const { return m_tuples; }
    std::string_view row(size_t index) const;
    // Every row, grouped by partition, each partition's rows in the order appended. Rows in
    // key order let PostgreSQL extend the unique key's index where it last did, instead of
    // searching it for each row as the interleaving of partitions in a batch would make it
    // (about 7% of the server's COPY time).
    std::vector<std::string_view> rows_in_partition_order() const;

  private:
    std::string m_tuples;
    std::vector<size_t> m_row_ends;
    std::vector<int32_t> m_row_partitions;
};

// One row read back from its binary form; the views point into the row.
struct StagingRow {
    events::MessageOrigin at;
    std::string_view payload;
};
// Throws std::invalid_argument when row is not a row StagingRows wrote.
StagingRow decode_staging_row(std::string_view row);

}  // namespace pinpipe::load
