#include "pg/copy_encoding.hpp"

#include <fmt/format.h>

#include <chrono>

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
    static constexpr char hex_digits[] = "0123456789abcdef";
    out.append("\\\\x");  // bytea's \x prefix, its backslash escaped for COPY
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(hex_digits[byte >> 4]);
        out.push_back(hex_digits[byte & 0x0f]);
    }
}

void append_copy_timestamp(std::string& out, int64_t epoch_ms) {
    const std::chrono::sys_time<std::chrono::milliseconds> time{
        std::chrono::milliseconds(epoch_ms)};
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss clock{time - day};
    fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}.{:03d}+00",
                   static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                   static_cast<unsigned>(date.day()), clock.hours().count(),
                   clock.minutes().count(), clock.seconds().count(), clock.subseconds().count());
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
    if (at.timestamp_ms) {
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
