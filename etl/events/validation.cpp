#include "events/validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

namespace pinpipe::events {
namespace {

Verdict bad(BadReason reason, std::string error) {
    return {false, 0, reason, std::move(error)};
}

Verdict missing_ind(EventKind kind) {
    return bad(BadReason::missing_ind,
               fmt::format("{} event has no \"{}\" field", kind_name(kind), ind_field_name(kind)));
}

Verdict non_integer_ind(EventKind kind) {
    return bad(BadReason::non_integer_ind,
               fmt::format("\"{}\" is not an integer of magnitude at most 9223372036854775807",
                           ind_field_name(kind)));
}

Verdict checked_escapes(std::string_view payload, int64_t ind) {
    if (has_nul_escape(payload)) {
        return bad(BadReason::unsupported_json,
                   "contains the escape \\u0000, which PostgreSQL jsonb cannot store");
    }
    return {true, ind, BadReason::empty, {}};
}

// The length of the JSON number at the start of text (RFC 8259 grammar), 0 when none is.
size_t json_number_length(std::string_view text, bool& integral) {
    size_t at = 0;
    const auto digits = [&] {
        const size_t from = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            ++at;
        }
        return at - from;
    };
    if (at < text.size() && text[at] == '-') {
        ++at;
    }
    const size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && text[at - int_digits] == '0')) {
        return 0;
    }
    integral = true;
    if (at < text.size() && text[at] == '.') {
        ++at;
        integral = false;
        if (digits() == 0) {
            return 0;
        }
    }
    if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
        ++at;
        integral = false;
        if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
            ++at;
        }
        if (digits() == 0) {
            return 0;
        }
    }
    return at;
}

// Whether an integer literal is one simdjson reads: an int64, or a uint64 when positive.
template <typename Integer>
bool parses_as(std::string_view literal) {
    Integer value = 0;
    const char* const end = literal.data() + literal.size();
    const auto [stop, error] = std::from_chars(literal.data(), end, value);
    return error == std::errc() && stop == end;
}

bool fits_64_bits(std::string_view literal) {
    return literal.front() == '-' ? parses_as<int64_t>(literal) : parses_as<uint64_t>(literal);
}

}  // namespace

std::optional<std::string> narrow_wide_numbers(std::string_view json) {
    std::string narrowed;
    narrowed.reserve(json.size());
    bool replaced = false;
    for (size_t at = 0; at < json.size();) {
        const char c = json[at];
        if (c == '"') {  // copy the string whole, escapes included
            size_t end = at + 1;
            while (end < json.size() && json[end] != '"') {
                end += json[end] == '\\' ? 2 : 1;
            }
            end = std::min(end + 1, json.size());
            narrowed.append(json.substr(at, end - at));
            at = end;
            continue;
        }
        bool integral = false;
        const size_t length = (c == '-' || (c >= '0' && c <= '9'))
                                  ? json_number_length(json.substr(at), integral)
                                  : 0;
        if (length == 0) {
            narrowed.push_back(c);
            ++at;
            continue;
        }
        if (integral && fits_64_bits(json.substr(at, length))) {
            narrowed.append(json.substr(at, length));
        } else {
            narrowed.append("0.5");
            replaced = true;
        }
        at += length;
    }
    if (!replaced) {
        return std::nullopt;
    }
    return narrowed;
}

std::string_view kind_name(EventKind kind) {
    switch (kind) {
        case EventKind::pin:
            return "pin";
        case EventKind::geo:
            return "geo";
        case EventKind::user:
            return "user";
    }
    return "pin";
}

std::string_view ind_field_name(EventKind kind) {
    return kind == EventKind::pin ? "index" : "ind";
}

std::optional<EventKind> kind_from_name(std::string_view name) {
    for (const EventKind kind : all_event_kinds) {
        if (kind_name(kind) == name) {
            return kind;
        }
    }
    return std::nullopt;
}

std::string_view reason_name(BadReason reason) {
    switch (reason) {
        case BadReason::empty:
            return "empty";
        case BadReason::too_large:
            return "too_large";
        case BadReason::invalid_json:
            return "invalid_json";
        case BadReason::not_object:
            return "not_object";
        case BadReason::missing_ind:
            return "missing_ind";
        case BadReason::non_integer_ind:
            return "non_integer_ind";
        case BadReason::unsupported_json:
            return "unsupported_json";
        case BadReason::timestamp_out_of_range:
            return "timestamp_out_of_range";
        case BadReason::rejected_by_postgres:
            return "rejected_by_postgres";
    }
    return "invalid_json";
}

bool has_nul_escape(std::string_view json) {
    for (size_t at = json.find("\\u0000"); at != std::string_view::npos;
         at = json.find("\\u0000", at + 1)) {
        size_t backslashes = 0;
        while (backslashes < at && json[at - 1 - backslashes] == '\\') {
            ++backslashes;
        }
        // An even number of backslashes before ours: ours starts an escape.
        if (backslashes % 2 == 0) {
            return true;
        }
    }
    return false;
}

EventValidator::EventValidator(size_t max_message_bytes) : m_max_message_bytes(max_message_bytes) {}

Verdict EventValidator::validate(EventKind kind, const char* payload, size_t size) {
    if (payload == nullptr || size == 0) {
        return bad(BadReason::empty, "message has no value");
    }
    if (size > m_max_message_bytes) {
        return bad(BadReason::too_large, fmt::format("message of {} bytes exceeds the limit of {} "
                                                     "bytes (--max-message-bytes)",
                                                     size, m_max_message_bytes));
    }
    if (m_padded.size() < size + simdjson::SIMDJSON_PADDING) {
        m_padded.resize(size + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(m_padded.data(), payload, size);
    simdjson::dom::element document;
    if (const auto error =
            m_parser.parse(m_padded.data(), size, /*realloc_if_needed=*/false).get(document)) {
        if (error == simdjson::NUMBER_ERROR || error == simdjson::NUMBER_OUT_OF_RANGE) {
            // JSON allows numbers beyond a double or 64 bits, which jsonb stores exactly (as
            // numeric) and simdjson refuses. Judge the payload with them narrowed instead: a
            // non-integral stand-in keeps every verdict, the ind's included.
            if (const std::optional<std::string> narrowed =
                    narrow_wide_numbers(std::string_view(payload, size))) {
                return validate(kind, narrowed->data(), narrowed->size());
            }
        }
        return bad(BadReason::invalid_json,
                   error == simdjson::UTF8_ERROR
                       ? std::string("not valid UTF-8")
                       : fmt::format("not valid JSON: {}", simdjson::error_message(error)));
    }
    simdjson::dom::object object;
    if (document.get_object().get(object)) {
        return bad(BadReason::not_object, "JSON value is not an object");
    }
    const std::string_view field = ind_field_name(kind);
    std::optional<simdjson::dom::element> ind_value;
    for (const auto member : object) {
        if (member.key == field) {
            ind_value = member.value;  // the last duplicate wins, as in PostgreSQL's jsonb
        }
    }
    if (!ind_value) {
        return missing_ind(kind);
    }
    int64_t ind = 0;
    // The lowest int64 has no positive counterpart, and the cleaning rules (bigint magnitudes up
    // to 2^63 - 1, in SQL and C++ alike) turn it into NULL: accepted here, it would vanish from
    // clean.* without a dead letter.
    if (ind_value->get_int64().get(ind) || ind == std::numeric_limits<int64_t>::min()) {
        return non_integer_ind(kind);
    }
    return checked_escapes(std::string_view(payload, size), ind);
}

}  // namespace pinpipe::events
