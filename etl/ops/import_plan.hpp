// The pure half of pinpipe import: what one file of events becomes. Newline-delimited JSON (one
// event per line) or the seeds' one-event-per-file JSON (events/event-<id>.json, possibly
// pretty-printed); each event a pin, geo or user object, or {"pin":{…},"geo":{…},"user":{…}}.
// Rows go to staging under the coordinates topic "import:<sha256 of the file>.<kind>",
// partition 0, offset = line number, so that a file's content is imported once and its rows
// never collide with Kafka's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/validation.hpp"
#include "pg/staging_rows.hpp"

namespace pinpipe::ops {

// The consumer name import's dead letters are kept under (etl.dead_letters.consumer).
inline constexpr std::string_view import_consumer = "pinpipe-import";
// Dead-letter reason for an object that is neither a pin, a geo nor a user record.
inline constexpr std::string_view unknown_kind_reason = "unknown_kind";

// The kind of an event object by its fields: "index" makes a pin (only pins carry it);
// latitude, longitude, country or timestamp a geo; first_name, last_name, age or date_joined a
// user. nullopt when none of these is present.
std::optional<events::EventKind> detect_kind(std::string_view object_json);

// "import:<content_sha256>" and its per-kind topic "import:<content_sha256>.<kind>" (which
// dlq replay maps back to the kind).
std::string import_topic(std::string_view content_sha256);

struct ImportPlan {
    pg::StagingBatch rows;     // per kind, in pin, geo, user order
    std::string dead_letters;  // COPY text for etl.dead_letters
    uint64_t dead_letter_count = 0;
    uint64_t records = 0;  // events read (a {"pin","geo","user"} object counts three)
};

// content: the whole file. forced_kind: every record is of this kind (--kind); otherwise each
// is detected. timestamp_ms: the kafka_timestamp the rows get (the import's time).
ImportPlan plan_import(std::string_view content, std::string_view content_sha256,
                       std::optional<events::EventKind> forced_kind, int64_t timestamp_ms,
                       events::EventValidator& validator);

}  // namespace pinpipe::ops
