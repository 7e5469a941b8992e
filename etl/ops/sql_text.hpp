// Small text helpers for the statements of status and dlq: array parameters, timestamps as
// ISO 8601 UTC, bytea in hex. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::ops {

// A PostgreSQL array literal for a text[] (or int[], bigint[]) parameter: {"a","b\"c"}.
std::string array_literal(const std::vector<std::string>& values);
// SQL that renders a timestamptz expression as "2024-05-01T10:00:00.000Z".
std::string iso_utc_sql(std::string_view expression);
// The bytes of encode(x, 'hex') output; nullopt when it is not hex.
std::optional<std::string> decode_hex(std::string_view hex);

}  // namespace pinpipe::ops
