#include "pg/dead_letters.hpp"

#include <fmt/format.h>

#include "pg/copy_encoding.hpp"

namespace pinpipe::pg {

void copy_dead_letters(pg::Connection& cx, std::string_view copy_text) {
    static const std::string copy_sql =
        fmt::format("COPY etl.dead_letters {} FROM STDIN", dead_letter_copy_columns);
    if (!copy_text.empty()) {
        cx.copy_in(copy_sql, copy_text);
    }
}

}  // namespace pinpipe::pg
