// Writing dead letters (COPY text made by append_dead_letter_row) into etl.dead_letters: shared
// by load and stream, so that both keep bad messages the same way (DESIGN §4).
#pragma once

#include <pqxx/transaction_base>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::pg {

// Inside the caller's transaction, through pqxx::stream_to; nothing is sent when copy_text is
// empty.
void copy_dead_letters(pqxx::transaction_base& tx, std::string_view copy_text);

// The fields of one line of COPY text, unescaped; nullopt for \N. Pure.
std::vector<std::optional<std::string>> decode_copy_text_line(std::string_view line);

}  // namespace pinpipe::pg
