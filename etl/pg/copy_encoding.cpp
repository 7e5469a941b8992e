#include "pg/copy_encoding.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

#include "util/civil_time.hpp"
#include "util/hex.hpp"

namespace pinpipe::pg {

void append_copy_text(std::string& out, std::string_view value) {
    size_t plain_from = 0;
    for (size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        const char* escape = nullptr;
        switch (c) {
            case '\\':
                escape = "\\\\";
                break;
            case '\t':
                escape = "\\t";
                break;
            case '\n':
                escape = "\\n";
                break;
            case '\r':
                escape = "\\r";
                break;
            default:
                continue;
        }
        out.append(value.data() + plain_from, i - plain_from);
        out.append(escape, 2);
        plain_from = i + 1;
    }
    out.append(value.data() + plain_from, value.size() - plain_from);
}

void append_copy_bytea(std::string& out, std::string_view bytes) {
    out.append("\\\\x");  // bytea's \x prefix, its backslash escaped for COPY
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(util::kHexDigits[byte >> 4]);
        out.push_back(util::kHexDigits[byte & 0x0f]);
    }
}

namespace {

constexpr int64_t ms_per_day = util::kSecondsPerDay * 1000;
// 0001-01-01 and 294277-01-01, 00:00 UTC: PostgreSQL's timestamps end within 294276.
constexpr int64_t last_year = 294'276;
constexpr int64_t first_in_range_ms = util::days_from_civil({1, 1, 1}) * ms_per_day;
constexpr int64_t end_of_range_ms = util::days_from_civil({last_year + 1, 1, 1}) * ms_per_day;
static_assert(first_in_range_ms == -62'135'596'800'000);
static_assert(end_of_range_ms == 9'224'318'016'000'000);

}  // namespace

bool copy_timestamp_in_range(int64_t epoch_ms) {
    return epoch_ms >= first_in_range_ms && epoch_ms < end_of_range_ms;
}

void append_copy_timestamp(std::string& out, int64_t epoch_ms) {
    if (!copy_timestamp_in_range(epoch_ms)) {
        throw std::out_of_range(fmt::format(
            "Kafka timestamp {} ms lies outside PostgreSQL's years 1 to {}", epoch_ms, last_year));
    }
    const int64_t days = util::floor_div(epoch_ms, ms_per_day);
    const int64_t ms_of_day = epoch_ms - days * ms_per_day;
    const util::CivilDate date = util::civil_from_days(days);
    fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}.{:03d}+00",
                   date.year, date.month, date.day, ms_of_day / 3'600'000, ms_of_day / 60'000 % 60,
                   ms_of_day / 1000 % 60, ms_of_day % 1000);
}

std::optional<int64_t> parse_copy_timestamp(std::string_view field) {
    long long year = 0;
    unsigned month = 0, day = 0, hours = 0, minutes = 0, seconds = 0, milliseconds = 0;
    const std::string text(field);
    if (std::sscanf(text.c_str(), "%lld-%u-%u %u:%u:%u.%u+00", &year, &month, &day, &hours,
                    &minutes, &seconds, &milliseconds) != 7 ||
        year < 1 || year > last_year || month < 1 || month > 12 || day < 1 || day > 31) {
        return std::nullopt;
    }
    const int64_t epoch_ms = util::days_from_civil({year, month, day}) * ms_per_day +
                             ((int64_t{hours} * 60 + minutes) * 60 + seconds) * 1000 + milliseconds;
    if (!copy_timestamp_in_range(epoch_ms)) {
        return std::nullopt;
    }
    std::string again;
    append_copy_timestamp(again, epoch_ms);
    if (again != field) {
        return std::nullopt;  // not what append_copy_timestamp writes (a 31 April, a 25th hour)
    }
    return epoch_ms;
}

const std::vector<std::string>& staging_copy_columns() {
    static const std::vector<std::string> columns = {"kafka_topic",  "kafka_partition",
                                                     "kafka_offset", "kafka_timestamp",
                                                     "kafka_key",    "payload"};
    return columns;
}

const std::vector<std::string>& dead_letter_copy_columns() {
    // libpqxx 6.4's stream_to joins the names as they are: "offset" is a keyword.
    static const std::vector<std::string> columns = {"consumer",   "topic",           "partition",
                                                     "\"offset\"", "kafka_timestamp", "key",
                                                     "payload",    "reason",          "error"};
    return columns;
}

void append_copy_null(std::string& out) {
    out.append("\\N");
}

namespace {

void append_optional_bytea(std::string& out, std::optional<std::string_view> bytes) {
    if (bytes) {
        append_copy_bytea(out, *bytes);
    } else {
        append_copy_null(out);
    }
}

}  // namespace

void append_copy_origin(std::string& out, const events::MessageOrigin& at) {
    append_copy_text(out, at.topic);
    fmt::format_to(std::back_inserter(out), "\t{}\t{}\t", at.partition, at.offset);
    if (at.timestamp_ms && copy_timestamp_in_range(*at.timestamp_ms)) {
        append_copy_timestamp(out, *at.timestamp_ms);
    } else {
        append_copy_null(out);
    }
    out.push_back('\t');
    append_optional_bytea(out, at.key);
}

std::vector<std::optional<std::string>> decode_copy_text_line(std::string_view line) {
    std::vector<std::optional<std::string>> fields;
    while (true) {
        const size_t end = line.find('\t');
        const std::string_view raw = line.substr(0, end);
        // COPY compares the field as written with its NULL marker: an escaped backslash
        // followed by N ("\\N") is the text \N, not a NULL.
        if (raw == "\\N") {
            fields.emplace_back(std::nullopt);
        } else {
            std::string field;
            field.reserve(raw.size());
            for (size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] != '\\' || i + 1 == raw.size()) {
                    field += raw[i];
                    continue;
                }
                switch (raw[++i]) {
                    case 't':
                        field += '\t';
                        break;
                    case 'n':
                        field += '\n';
                        break;
                    case 'r':
                        field += '\r';
                        break;
                    default:  // "\\" and anything else escaped stand for themselves
                        field += raw[i];
                }
            }
            fields.emplace_back(std::move(field));
        }
        if (end == std::string_view::npos) {
            return fields;
        }
        line.remove_prefix(end + 1);
    }
}

void append_dead_letter_row(std::string& out, std::string_view consumer,
                            const events::MessageOrigin& at,
                            std::optional<std::string_view> payload, std::string_view reason,
                            std::string_view error) {
    append_copy_text(out, consumer);
    out.push_back('\t');
    append_copy_origin(out, at);
    out.push_back('\t');
    append_optional_bytea(out, payload);
    out.push_back('\t');
    append_copy_text(out, reason);
    out.push_back('\t');
    append_copy_text(out, error);
    out.push_back('\n');
}

}  // namespace pinpipe::pg
