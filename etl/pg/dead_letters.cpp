#include "pg/dead_letters.hpp"

#include "pg/copy_encoding.hpp"
#include "pg/copy_stream.hpp"

namespace pinpipe::pg {

void copy_dead_letters(pqxx::transaction_base& tx, std::string_view copy_text) {
    copy_text_lines(tx, "etl.dead_letters", dead_letter_copy_columns(),
                    split_copy_lines(copy_text));
}

}  // namespace pinpipe::pg
