#include "events/validation.hpp"

#include <fmt/format.h>

#include <cstring>

namespace pinpipe::events {
namespace {

Verdict bad(BadReason reason, std::string error) {
    return {false, 0, reason, std::move(error)};
}

}  // namespace

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
        return bad(BadReason::missing_ind,
                   fmt::format("{} event has no \"{}\" field", kind_name(kind), field));
    }
    int64_t ind = 0;
    if (ind_value->get_int64().get(ind)) {
        return bad(BadReason::non_integer_ind,
                   fmt::format("\"{}\" is not an integer in the 64-bit range", field));
    }
    if (has_nul_escape(std::string_view(payload, size))) {
        return bad(BadReason::unsupported_json,
                   "contains the escape \\u0000, which PostgreSQL jsonb cannot store");
    }
    return {true, ind, BadReason::empty, {}};
}

}  // namespace pinpipe::events
