// Hexadecimal digits, as URLs (%XX) and PostgreSQL's bytea text (\x...) spell bytes.
#pragma once

#include <string_view>

namespace pinpipe::util {

// The lowercase digits, by value: kHexDigits[byte >> 4], kHexDigits[byte & 0xf].
inline constexpr std::string_view kHexDigits = "0123456789abcdef";

// The value of one hex digit, either case; -1 for any other character.
constexpr int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace pinpipe::util
