// PostgreSQL COPY text format: the encoding of staging rows (pg/staging_rows.hpp) and dead
// letters, and its decoding. Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/origin.hpp"

namespace pinpipe::pg {

// Appends value as one COPY text field: backslash, tab, newline and carriage return escaped.
// The value must be valid UTF-8 without NUL bytes (COPY cannot carry NUL in text).
void append_copy_text(std::string& out, std::string_view value);
// Appends bytes as a bytea field in hex form (any bytes, NUL included).
void append_copy_bytea(std::string& out, std::string_view bytes);
// Whether a Kafka timestamp (milliseconds since the epoch, UTC) lies in years 1 to 294276, the
// timestamps PostgreSQL can store that append_copy_timestamp writes. A producer that puts
// microseconds in the field lands around the year 55,000, inside; nanoseconds do not.
bool copy_timestamp_in_range(int64_t epoch_ms);
// Appends such a timestamp as a timestamptz field ("YYYY-MM-DD hh:mm:ss.mmm+00", the year
// with as many digits as it needs). Throws std::out_of_range outside copy_timestamp_in_range.
void append_copy_timestamp(std::string& out, int64_t epoch_ms);
// The inverse of append_copy_timestamp; nullopt for anything it would not write.
std::optional<int64_t> parse_copy_timestamp(std::string_view field);
void append_copy_null(std::string& out);
// Appends where a message came from as five fields, tab-separated (no tab after the last):
// topic, partition, offset, Kafka timestamp (NULL when there is none, or when it lies outside
// copy_timestamp_in_range: the row still lands, in the default partition), key as bytea (or
// NULL). Staging rows and dead letters share it.
void append_copy_origin(std::string& out, const events::MessageOrigin& at);

// The fields of one line of COPY text (without its newline), unescaped; nullopt for \N.
std::vector<std::optional<std::string>> decode_copy_text_line(std::string_view line);

// The columns of a staging row (StagingRows: append_copy_origin, then the payload), in
// order, as COPY names them.
const std::vector<std::string>& staging_copy_columns();

// The columns of a dead letter row (append_dead_letter_row), in order, as COPY names them.
const std::vector<std::string>& dead_letter_copy_columns();
void append_dead_letter_row(std::string& out, std::string_view consumer,
                            const events::MessageOrigin& at,
                            std::optional<std::string_view> payload, std::string_view reason,
                            std::string_view error);

}  // namespace pinpipe::pg
