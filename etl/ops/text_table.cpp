#include "ops/text_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pinpipe::ops {
namespace {

bool is_continuation_byte(char c) {
    return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

size_t display_width(std::string_view text) {
    return static_cast<size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation_byte(c); }));
}

void append_padded(std::string& out, std::string_view cell, size_t width, Align align) {
    const std::string padding(width - display_width(cell), ' ');
    if (align == Align::right) {
        out += padding;
        out += cell;
    } else {
        out += cell;
        out += padding;
    }
}

void append_line(std::string& out, const std::vector<std::string>& cells,
                 const std::vector<TextTable::Column>& columns, const std::vector<size_t>& widths) {
    std::string line;
    for (size_t column = 0; column < columns.size(); ++column) {
        if (column > 0) {
            line += "  ";
        }
        append_padded(line, cells[column], widths[column], columns[column].align);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line;
    out += '\n';
}

}  // namespace

std::string render_table(const TextTable& table) {
    std::vector<size_t> widths;
    std::vector<std::string> headers;
    for (const TextTable::Column& column : table.columns) {
        widths.push_back(display_width(column.header));
        headers.push_back(column.header);
    }
    for (const auto& row : table.rows) {
        if (row.size() != table.columns.size()) {
            throw std::logic_error("text table row has the wrong number of cells");
        }
        for (size_t column = 0; column < row.size(); ++column) {
            widths[column] = std::max(widths[column], display_width(row[column]));
        }
    }
    std::string out;
    append_line(out, headers, table.columns, widths);
    for (const auto& row : table.rows) {
        append_line(out, row, table.columns, widths);
    }
    return out;
}

std::string human_duration(double seconds) {
    constexpr int64_t minute = 60;
    constexpr int64_t hour = 60 * minute;
    constexpr int64_t day = 24 * hour;
    if (seconds < 10) {
        return fmt::format("{:.1f} s", std::max(seconds, 0.0));
    }
    const auto whole = static_cast<int64_t>(std::llround(seconds));
    if (whole < minute) {
        return fmt::format("{} s", whole);
    }
    if (whole < hour) {
        return fmt::format("{} min {} s", whole / minute, whole % minute);
    }
    if (whole < day) {
        return fmt::format("{} h {} min", whole / hour, whole % hour / minute);
    }
    return fmt::format("{} d {} h", whole / day, whole % day / hour);
}

std::string one_line_excerpt(std::string_view text, size_t max_code_points) {
    std::string out;
    size_t code_points = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!is_continuation_byte(c)) {
            if (code_points == max_code_points) {
                // Too long: drop the last three code points for the ellipsis.
                for (int dropped = 0; dropped < 3 && !out.empty(); ++dropped) {
                    while (!out.empty() && is_continuation_byte(out.back())) {
                        out.pop_back();
                    }
                    if (!out.empty()) {
                        out.pop_back();
                    }
                }
                return out + "...";
            }
            ++code_points;
        }
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    return out;
}

}  // namespace pinpipe::ops
