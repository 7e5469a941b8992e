// COPY through pqxx::stream_to, in text: libpqxx 6.4 cannot COPY in binary, and going around it
// to libpq for that was measured and did not pay (README, "Layout and libraries"; issue #16).
// StagingRows hold each row as its line of COPY text already, so the lines go as they are.
#include "load/staging_copy.hpp"

#include <string>
#include <vector>

#include "load/batch.hpp"
#include "pg/copy_stream.hpp"

namespace pinpipe::load {
namespace {

const std::vector<std::string>& staging_columns() {
    // As pg::staging_copy_columns.
    static const std::vector<std::string> columns = {"kafka_topic",  "kafka_partition",
                                                     "kafka_offset", "kafka_timestamp",
                                                     "kafka_key",    "payload"};
    return columns;
}

}  // namespace

void copy_staging_rows(pqxx::dbtransaction& tx, events::EventKind kind, const StagingRows& rows) {
    pg::copy_text_lines(tx, staging_table(kind), staging_columns(), rows.rows_in_partition_order());
}

void copy_staging_row(pqxx::dbtransaction& tx, events::EventKind kind, std::string_view row) {
    pg::copy_text_lines(tx, staging_table(kind), staging_columns(), {row});
}

}  // namespace pinpipe::load
