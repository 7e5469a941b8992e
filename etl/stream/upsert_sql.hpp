// The statements that add one batch's metric deltas to the realtime tables: one additive upsert
// per table, the rows passed as array parameters (text format) and unnested server-side. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"
#include "stream/metric_deltas.hpp"

namespace pinpipe::stream {

// PostgreSQL array literals in text format: {"a","b\"c"} and {1,NULL,3}.
std::string text_array_literal(const std::vector<std::string_view>& values);
std::string bigint_array_literal(const std::vector<std::optional<int64_t>>& values);
// Epoch milliseconds as timestamptz elements, written as COPY writes them (UTC, exact, any year
// PostgreSQL stores: pg::append_copy_timestamp, which throws outside that range):
// {"1970-01-01 00:01:00.000+00",NULL}.
std::string timestamptz_array_literal(const std::vector<std::optional<int64_t>>& epoch_ms);

struct Statement {
    std::string sql;
    std::vector<pg::Param> params;
};

// One statement per non-empty table, always in the same table order with keys sorted: two
// writers that touch the same rows lock them in the same order and never deadlock.
std::vector<Statement> upsert_statements(const MetricDeltas& deltas);

}  // namespace pinpipe::stream
