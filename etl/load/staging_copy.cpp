// COPY through pqxx::stream_to, in text: libpqxx 6.4 cannot COPY in binary, and going around it
// to libpq for that was measured and did not pay (docs/design.md, "Layout and libraries"; issue
// #16). StagingRows hold each row as its line of COPY text already, so the lines go as they are.
#include "load/staging_copy.hpp"

#include "load/batch.hpp"
#include "pg/copy_encoding.hpp"
#include "pg/copy_stream.hpp"

namespace pinpipe::load {

void copy_staging_rows(pqxx::dbtransaction& tx, events::EventKind kind, const StagingRows& rows) {
    pg::copy_text_lines(tx, staging_table(kind), pg::staging_copy_columns(),
                        rows.rows_in_partition_order());
}

void copy_staging_row(pqxx::dbtransaction& tx, events::EventKind kind, std::string_view row) {
    pg::copy_text_lines(tx, staging_table(kind), pg::staging_copy_columns(), {row});
}

}  // namespace pinpipe::load
