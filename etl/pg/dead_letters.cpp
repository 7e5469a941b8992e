#include "pg/dead_letters.hpp"

#include <vector>

#include "pg/copy_encoding.hpp"
#include "pg/copy_stream.hpp"

namespace pinpipe::pg {

void copy_dead_letters(pqxx::transaction_base& tx,
                       std::initializer_list<std::string_view> copy_texts) {
    std::vector<std::string_view> lines;
    for (const std::string_view copy_text : copy_texts) {
        const std::vector<std::string_view> more = split_copy_lines(copy_text);
        lines.insert(lines.end(), more.begin(), more.end());
    }
    copy_text_lines(tx, "etl.dead_letters", dead_letter_copy_columns(), lines);
}

void copy_dead_letters(pqxx::transaction_base& tx, std::string_view copy_text) {
    copy_dead_letters(tx, {copy_text});
}

}  // namespace pinpipe::pg
