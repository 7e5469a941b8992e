// Writing dead letters (COPY text made by append_dead_letter_row) into etl.dead_letters: shared
// by load and stream, so that both keep bad messages the same way (DESIGN §4).
#pragma once

#include <string_view>

#include "pg/connection.hpp"

namespace pinpipe::pg {

// Inside the caller's transaction; nothing is sent when copy_text is empty.
void copy_dead_letters(pg::Connection& cx, std::string_view copy_text);

}  // namespace pinpipe::pg
