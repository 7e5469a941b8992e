// COPY ... FROM STDIN of rows already encoded as COPY text (pg/copy_encoding.hpp), through
// pqxx::stream_to, inside the caller's transaction: the staging rows and the dead letters are
// escaped once, when their batch is built, and sent as they are.
#pragma once

#include <pqxx/transaction_base>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::pg {

// Sends lines, each a whole line of COPY text ending with its newline, in order, into the
// columns of table. Nothing is sent (no COPY runs) when lines is empty. Throws libpqxx's
// exception classes, as its own statements do.
void copy_text_lines(pqxx::transaction_base& tx, const std::string& table,
                     const std::vector<std::string>& columns,
                     std::span<const std::string_view> lines);

// The lines of COPY text, each with its newline (the last one must have one too).
std::vector<std::string_view> split_copy_lines(std::string_view text);

}  // namespace pinpipe::pg
