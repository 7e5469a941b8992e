#include "emulate/json_writer.hpp"

#include <charconv>
#include <iterator>

#include "util/civil_time.hpp"
#include "util/hex.hpp"

namespace pinpipe::emulate {
namespace {

// Two-digit and four-digit zero-padded fields for timestamps.
void append_padded(std::string& out, int value, int width) {
    char digits[4];
    for (int i = width - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(digits, static_cast<std::size_t>(width));
}

}  // namespace

// Copies runs of plain bytes at once, which is what keeps generation fast.
void append_escaped(std::string& out, std::string_view text) {
    using util::kHexDigits;
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte != '"' && byte != '\\') {
            continue;
        }
        out.append(text.data() + run_start, i - run_start);
        run_start = i + 1;
        switch (byte) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += "\\u00";
                out += kHexDigits[byte >> 4];
                out += kHexDigits[byte & 0xf];
        }
    }
    out.append(text.data() + run_start, text.size() - run_start);
}

void append_int(std::string& out, std::int64_t value) {
    char digits[24];
    const auto result = std::to_chars(std::begin(digits), std::end(digits), value);
    out.append(digits, result.ptr);
}

void append_timestamp(std::string& out, std::int64_t seconds) {
    const std::int64_t days = util::floor_div(seconds, util::kSecondsPerDay);
    const auto second_of_day = static_cast<int>(seconds - days * util::kSecondsPerDay);
    const util::CivilDate date = util::civil_from_days(days);
    append_padded(out, static_cast<int>(date.year), 4);
    out += '-';
    append_padded(out, static_cast<int>(date.month), 2);
    out += '-';
    append_padded(out, static_cast<int>(date.day), 2);
    out += ' ';
    append_padded(out, second_of_day / 3600, 2);
    out += ':';
    append_padded(out, second_of_day / 60 % 60, 2);
    out += ':';
    append_padded(out, second_of_day % 60, 2);
}

void append_fixed_e4(std::string& out, std::int32_t value_e4) {
    if (value_e4 < 0) {
        out += '-';
        value_e4 = -value_e4;
    }
    append_int(out, value_e4 / 10'000);
    out += '.';
    char fraction[4];
    int remainder = value_e4 % 10'000;
    for (int i = 3; i >= 0; --i) {
        fraction[i] = static_cast<char>('0' + remainder % 10);
        remainder /= 10;
    }
    std::size_t length = 4;
    while (length > 1 && fraction[length - 1] == '0') {
        --length;
    }
    out.append(fraction, length);
}

}  // namespace pinpipe::emulate
