#include "ops/sql_text.hpp"

#include <fmt/format.h>

#include "pg/connection.hpp"
#include "util/hex.hpp"

namespace pinpipe::ops {
std::string array_literal(const std::vector<std::string>& values) {
    return pg::text_array_literal(values);
}

std::string iso_utc_sql(std::string_view expression) {
    return fmt::format("to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                       expression);
}

std::optional<std::string> decode_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string bytes;
    bytes.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        const int high = util::hex_digit_value(hex[i]);
        const int low = util::hex_digit_value(hex[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        bytes.push_back(static_cast<char>(high * 16 + low));
    }
    return bytes;
}

}  // namespace pinpipe::ops
