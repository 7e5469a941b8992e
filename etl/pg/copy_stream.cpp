#include "pg/copy_stream.hpp"

#include <pqxx/stream_to>

#include <algorithm>
#include <stdexcept>

namespace pinpipe::pg {
namespace {

// Lines of COPY text already escaped, for stream_to::write_raw_line below.
struct EncodedLines {
    const std::string& text;  // whole lines, without the last one's newline
};

// Lines go to libpq in pieces of about this size: large enough that the per-call cost vanishes,
// small enough that the piece, libpqxx's copy of it and libpq's output buffer stay small beside
// the batch (the COPY protocol does not care where a piece ends).
constexpr size_t piece_bytes = size_t{256} << 10;

}  // namespace
}  // namespace pinpipe::pg

namespace pqxx {

// libpqxx 6.4's stream_to writes tuples only, escaping every field, and keeps the writing of a
// ready line of COPY text (write_raw_line, which appends the newline) private; its tablewriter
// has a public one but is deprecated. This explicit specialization of stream_to's operator<<
// for pinpipe's own type is a member of stream_to, so it may call write_raw_line: the same
// route as every tuple stream_to writes, minus the escaping. Defined and used in this file only.
// libpqxx 7 changed stream_to: a move to it changes this function and nothing else.
template <>
stream_to& stream_to::operator<< <pinpipe::pg::EncodedLines>(
    const pinpipe::pg::EncodedLines& lines) {
    write_raw_line(lines.text);
    return *this;
}

}  // namespace pqxx

namespace pinpipe::pg {

void copy_text_lines(pqxx::transaction_base& tx, const std::string& table,
                     const std::vector<std::string>& columns,
                     std::span<const std::string_view> lines) {
    if (lines.empty()) {
        return;
    }
    // If anything below throws, libpqxx 6.4's ~stream_to completes the COPY with the lines sent
    // so far: callers must let the exception roll their transaction back (all do), never commit.
    pqxx::stream_to stream(tx, table, columns);
    size_t total = 0;
    for (const std::string_view line : lines) {
        total += line.size();
    }
    std::string piece;
    piece.reserve(std::min(total, piece_bytes));
    const auto send = [&stream, &piece] {
        piece.pop_back();  // write_raw_line appends the newline itself
        stream << EncodedLines{piece};
        piece.clear();
    };
    for (const std::string_view line : lines) {
        if (line.empty() || line.back() != '\n') {
            throw std::logic_error("a line of COPY text must end with a newline");
        }
        piece.append(line);
        if (piece.size() >= piece_bytes) {
            send();
        }
    }
    if (!piece.empty()) {
        send();
    }
    stream.complete();
}

std::vector<std::string_view> split_copy_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const size_t end = text.find('\n');
        if (end == std::string_view::npos) {
            throw std::logic_error("COPY text must end with a newline");
        }
        lines.push_back(text.substr(0, end + 1));
        text.remove_prefix(end + 1);
    }
    return lines;
}

}  // namespace pinpipe::pg
