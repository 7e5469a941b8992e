// Aligned plain-text tables and number formatting for the terminal output of status and dlq:
// pure, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::ops {

enum class Align { left, right };

struct TextTable {
    struct Column {
        std::string header;
        Align align = Align::left;
    };
    std::vector<Column> columns;
    std::vector<std::vector<std::string>> rows;  // each as many cells as columns
};

// Header line, then one line per row; columns separated by two spaces, no trailing blanks.
// Widths count UTF-8 code points, so that accented names keep the columns straight.
std::string render_table(const TextTable& table);

// A non-negative duration for people: "0.4 s", "42 s", "3 min 4 s", "2 h 5 min", "3 d 4 h".
std::string human_duration(double seconds);
// Cuts text to at most max_code_points, ending with "..." when cut; newlines become spaces.
std::string one_line_excerpt(std::string_view text, size_t max_code_points);

}  // namespace pinpipe::ops
