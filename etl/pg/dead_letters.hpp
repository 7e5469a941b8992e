// Writing dead letters (COPY text made by append_dead_letter_row) into etl.dead_letters: shared
// by load and stream, so that both keep bad messages the same way (DESIGN §4).
#pragma once

#include <pqxx/transaction_base>

#include <string_view>

namespace pinpipe::pg {

// Inside the caller's transaction, the COPY text as it is (pg::copy_text_lines); nothing is
// sent when copy_text is empty.
void copy_dead_letters(pqxx::transaction_base& tx, std::string_view copy_text);

}  // namespace pinpipe::pg
