#include "pg/staging_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <numeric>
#include <stdexcept>

namespace pinpipe::pg {
namespace {

constexpr size_t staging_field_count = 6;

[[noreturn]] void malformed() {
    throw std::invalid_argument("not a staging row in COPY text format");
}

template <typename Integer>
Integer parse_integer(const std::optional<std::string>& field) {
    Integer value = 0;
    if (!field) {
        malformed();
    }
    const char* end = field->data() + field->size();
    const auto [stopped, error] = std::from_chars(field->data(), end, value);
    if (error != std::errc() || stopped != end || field->empty()) {
        malformed();
    }
    return value;
}

int64_t parse_timestamp(const std::string& field) {
    const std::optional<int64_t> epoch_ms = parse_copy_timestamp(field);
    if (!epoch_ms) {
        malformed();
    }
    return *epoch_ms;
}

// The inverse of append_copy_bytea once COPY's own escaping is undone: \x, then hex.
std::string parse_bytea(const std::string& field) {
    const auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        malformed();
    };
    if (!field.starts_with("\\x") || field.size() % 2 != 0) {
        malformed();
    }
    std::string bytes;
    bytes.reserve(field.size() / 2 - 1);
    for (size_t i = 2; i < field.size(); i += 2) {
        bytes.push_back(static_cast<char>(digit(field[i]) * 16 + digit(field[i + 1])));
    }
    return bytes;
}

}  // namespace

std::string staging_table(events::EventKind kind) {
    return fmt::format("staging.{}_events", events::kind_name(kind));
}

void StagingRows::append(const events::MessageOrigin& at, std::string_view payload) {
    append_copy_origin(m_text, at);
    m_text.push_back('\t');
    append_copy_text(m_text, payload);
    m_text.push_back('\n');
    m_row_ends.push_back(m_text.size());
    m_row_partitions.push_back(at.partition);
}

std::vector<std::string_view> StagingRows::rows_in_partition_order() const {
    std::vector<size_t> order(count());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [this](size_t left, size_t right) {
        return m_row_partitions[left] < m_row_partitions[right];
    });
    std::vector<std::string_view> rows;
    rows.reserve(order.size());
    for (const size_t index : order) {
        rows.push_back(row(index));
    }
    return rows;
}

std::string_view StagingRows::row(size_t index) const {
    const size_t begin = index == 0 ? 0 : m_row_ends.at(index - 1);
    return std::string_view(m_text).substr(begin, m_row_ends.at(index) - begin);
}

StagingRow decode_staging_row(std::string_view row) {
    if (row.empty() || row.back() != '\n' || row.find('\n') != row.size() - 1) {
        malformed();
    }
    row.remove_suffix(1);
    std::vector<std::optional<std::string>> fields = decode_copy_text_line(row);
    if (fields.size() != staging_field_count || !fields[0] || !fields[5]) {
        malformed();
    }
    StagingRow decoded;
    decoded.topic = std::move(*fields[0]);
    decoded.partition = parse_integer<int32_t>(fields[1]);
    decoded.offset = parse_integer<int64_t>(fields[2]);
    if (fields[3]) {
        decoded.timestamp_ms = parse_timestamp(*fields[3]);
    }
    if (fields[4]) {
        decoded.key = parse_bytea(*fields[4]);
    }
    decoded.payload = std::move(*fields[5]);
    return decoded;
}

}  // namespace pinpipe::pg
