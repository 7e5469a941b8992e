#include "load/staging_rows.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace pinpipe::load {
namespace {

constexpr int16_t staging_field_count = 6;
constexpr int32_t null_length = -1;
constexpr char jsonb_binary_version = 1;
// timestamptz travels as microseconds since 2000-01-01 00:00:00 UTC.
constexpr int64_t postgres_epoch_ms = 946'684'800'000;

// COPY binary is big-endian (network order) throughout.
template <typename Integer>
void append_big_endian(std::string& out, Integer value) {
    const auto bits = static_cast<std::make_unsigned_t<Integer>>(value);
    for (int shift = 8 * (static_cast<int>(sizeof bits) - 1); shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((bits >> shift) & 0xff));
    }
}

void append_field(std::string& out, std::string_view bytes) {
    append_big_endian(out, static_cast<int32_t>(bytes.size()));
    out.append(bytes);
}

template <typename Integer>
void append_integer_field(std::string& out, Integer value) {
    append_big_endian(out, static_cast<int32_t>(sizeof value));
    append_big_endian(out, value);
}

class RowReader {
  public:
    explicit RowReader(std::string_view row) : m_rest(row) {}

    template <typename Integer>
    Integer integer() {
        if (m_rest.size() < sizeof(Integer)) {
            malformed();
        }
        std::make_unsigned_t<Integer> bits = 0;
        for (size_t i = 0; i < sizeof(Integer); ++i) {
            bits = static_cast<decltype(bits)>((bits << 8) | static_cast<unsigned char>(m_rest[i]));
        }
        m_rest.remove_prefix(sizeof(Integer));
        return static_cast<Integer>(bits);
    }

    // A field's bytes, or nullopt for NULL.
    std::optional<std::string_view> field() {
        const auto length = integer<int32_t>();
        if (length == null_length) {
            return std::nullopt;
        }
        if (length < 0) {
            malformed();
        }
        const std::string_view bytes = m_rest.substr(0, static_cast<size_t>(length));
        if (bytes.size() != static_cast<size_t>(length)) {
            malformed();
        }
        m_rest.remove_prefix(bytes.size());
        return bytes;
    }

    std::string_view required_field() {
        const std::optional<std::string_view> bytes = field();
        if (!bytes) {
            malformed();
        }
        return *bytes;
    }

    template <typename Integer>
    std::optional<Integer> optional_integer_field() {
        const std::optional<std::string_view> bytes = field();
        if (!bytes) {
            return std::nullopt;
        }
        if (bytes->size() != sizeof(Integer)) {
            malformed();
        }
        return RowReader(*bytes).integer<Integer>();
    }

    template <typename Integer>
    Integer integer_field() {
        const std::optional<Integer> value = optional_integer_field<Integer>();
        if (!value) {
            malformed();
        }
        return *value;
    }

    bool at_end() const { return m_rest.empty(); }

    [[noreturn]] static void malformed() {
        throw std::invalid_argument("not a staging row in COPY binary format");
    }

  private:
    std::string_view m_rest;
};

}  // namespace

void StagingRows::append(const events::MessageOrigin& at, std::string_view payload) {
    append_big_endian(m_tuples, staging_field_count);
    append_field(m_tuples, at.topic);
    append_integer_field(m_tuples, at.partition);
    append_integer_field(m_tuples, at.offset);
    if (at.timestamp_ms) {
        append_integer_field(m_tuples, (*at.timestamp_ms - postgres_epoch_ms) * 1000);
    } else {
        append_big_endian(m_tuples, null_length);
    }
    if (at.key) {
        append_field(m_tuples, *at.key);
    } else {
        append_big_endian(m_tuples, null_length);
    }
    append_big_endian(m_tuples, static_cast<int32_t>(payload.size() + 1));
    m_tuples.push_back(jsonb_binary_version);
    m_tuples.append(payload);
    m_row_ends.push_back(m_tuples.size());
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
    return std::string_view(m_tuples).substr(begin, m_row_ends.at(index) - begin);
}

StagingRow decode_staging_row(std::string_view row) {
    RowReader reader(row);
    if (reader.integer<int16_t>() != staging_field_count) {
        RowReader::malformed();
    }
    StagingRow decoded;
    decoded.at.topic = reader.required_field();
    decoded.at.partition = reader.integer_field<int32_t>();
    decoded.at.offset = reader.integer_field<int64_t>();
    if (const std::optional<int64_t> microseconds = reader.optional_integer_field<int64_t>()) {
        decoded.at.timestamp_ms = *microseconds / 1000 + postgres_epoch_ms;
    }
    decoded.at.key = reader.field();
    const std::string_view jsonb = reader.required_field();
    if (jsonb.empty() || jsonb.front() != jsonb_binary_version || !reader.at_end()) {
        RowReader::malformed();
    }
    decoded.payload = jsonb.substr(1);
    return decoded;
}

}  // namespace pinpipe::load
