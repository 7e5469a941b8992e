// Decides whether a Kafka message is a loadable event (DESIGN §4) and extracts its ind. Dirty
// field values are data, not errors: only the envelope and the ind are checked here.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::events {

enum class EventKind { pin, geo, user };
constexpr EventKind all_event_kinds[] = {EventKind::pin, EventKind::geo, EventKind::user};
constexpr size_t event_kind_count = std::size(all_event_kinds);
// Position in all_event_kinds, for arrays with one entry per kind.
constexpr size_t kind_index(EventKind kind) {
    return static_cast<size_t>(kind);
}

std::string_view kind_name(EventKind kind);       // "pin", "geo", "user"
std::string_view ind_field_name(EventKind kind);  // "index" for pins, "ind" otherwise
std::optional<EventKind> kind_from_name(std::string_view name);

enum class BadReason {
    empty,             // null or zero-length value
    too_large,         // over the configured maximum size
    invalid_json,      // not JSON, or not valid UTF-8
    not_object,        // JSON, but not an object
    missing_ind,       // no index/ind field
    non_integer_ind,   // index/ind is not an integer that fits in 64 bits
    unsupported_json,  // valid JSON that PostgreSQL's jsonb cannot store (\u0000)
    // A Kafka timestamp outside the years PostgreSQL can store, where the consumer needs it
    // (stream's minutes; load stores the row with kafka_timestamp NULL). Set by the sink.
    timestamp_out_of_range,
    // PostgreSQL refused the row (set by the writer). Last: ops::known_reasons() counts up to it.
    rejected_by_postgres,
};
std::string_view reason_name(BadReason reason);

struct Verdict {
    bool ok;
    int64_t ind;        // when ok
    BadReason reason;   // when not ok
    std::string error;  // when not ok: what was wrong, for the dead-letter row
};

class EventValidator {
  public:
    static constexpr size_t default_max_message_bytes = size_t{1} << 20;

    explicit EventValidator(size_t max_message_bytes = default_max_message_bytes);

    // payload may be nullptr (a Kafka message without a value).
    Verdict validate(EventKind kind, const char* payload, size_t size);

  private:
    size_t m_max_message_bytes;
    simdjson::dom::parser m_parser;
    // simdjson reads up to SIMDJSON_PADDING bytes past the input: parse from our own padded
    // copy, never from librdkafka's buffer.
    std::vector<char> m_padded;
};

// True when the JSON text has a \u0000 escape (one not itself escaped as \\u0000).
bool has_nul_escape(std::string_view json);

// json with every number that is not an integer simdjson reads (an int64, or a uint64 when
// positive) replaced by 0.5, a stand-in that is not integral either; nullopt when no number was
// replaced. Strings are kept as they are.
std::optional<std::string> narrow_wide_numbers(std::string_view json);

}  // namespace pinpipe::events
