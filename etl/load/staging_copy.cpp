#include "load/staging_copy.hpp"

#include <fmt/format.h>

#include <vector>

#include "load/batch.hpp"

namespace pinpipe::load {
namespace {

void copy_binary(pg::Connection& cx, events::EventKind kind,
                 const std::vector<std::string_view>& rows) {
    const std::string copy_sql = fmt::format("COPY {} {} FROM STDIN WITH (FORMAT binary)",
                                             staging_table(kind), pg::staging_copy_columns);
    std::vector<std::string_view> parts;
    parts.reserve(rows.size() + 2);
    parts.push_back(binary_copy_header());
    parts.insert(parts.end(), rows.begin(), rows.end());
    parts.push_back(binary_copy_trailer());
    cx.copy_in(copy_sql, parts);
}

}  // namespace

void copy_staging_rows(pg::Connection& cx, events::EventKind kind, const StagingRows& rows) {
    copy_binary(cx, kind, rows.rows_in_partition_order());
}

void copy_staging_row(pg::Connection& cx, events::EventKind kind, std::string_view row) {
    copy_binary(cx, kind, {row});
}

}  // namespace pinpipe::load
