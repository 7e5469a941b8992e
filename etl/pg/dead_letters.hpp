// Writing dead letters (COPY text made by append_dead_letter_row) into etl.dead_letters: shared
// by load, stream, dlq replay and import, so that both keep bad messages the same way (DESIGN §4).
#pragma once

#include <pqxx/transaction_base>

#include <initializer_list>
#include <string_view>

namespace pinpipe::pg {

// Inside the caller's transaction, the COPY texts as they are (pg::copy_text_lines), in one
// COPY; nothing is sent when every one is empty. A batch has two: the messages the validator
// refused, and the rows PostgreSQL rejected (pg::StagingWrite::dead_letters).
void copy_dead_letters(pqxx::transaction_base& tx,
                       std::initializer_list<std::string_view> copy_texts);
void copy_dead_letters(pqxx::transaction_base& tx, std::string_view copy_text);

}  // namespace pinpipe::pg
