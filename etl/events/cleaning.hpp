// The cleaning rules of DESIGN §6 in C++, for the streaming path. They mirror the SQL functions
// of migrations/R__20_cleaning_functions.sql one for one (the SQL, which the live-state fold
// applies, is the reference); a test feeds the same events to both and requires identical
// output. Pure functions: no I/O.
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::events {

// clean.placeholder_to_null: the value, or nullopt when empty or a placeholder of that field.
std::optional<std::string_view> placeholder_to_null(std::string_view field, std::string_view value);

// clean.follower_count: 1-12 digits, optionally followed by k (x1000) or M (x1000000).
std::optional<int64_t> parse_follower_count(std::string_view value);

// clean.save_location_path: "Local save in /data/x" -> "/data/x"; other values as they are.
std::optional<std::string_view> save_location_path(std::string_view value);

// clean.text_to_timestamp: true when value is exactly "YYYY-MM-DD HH:MM:SS" naming a real
// calendar time from year 0001 on. The cleaned timestamp is then the same text.
bool is_valid_timestamp(std::string_view value);

// clean.age_group: "18-24", "25-35", "36-50", "50+" (bounds inclusive); nullopt under 18.
std::optional<std::string_view> age_group(std::optional<int32_t> age);

// A JSON scalar as jsonb sees it: numbers keep the literal they were written with, because
// PostgreSQL's numeric keeps the scale (7.0 is not an integer there, 7 and 7e0 are).
struct JsonScalar {
    enum class Type { missing, string, number, other };
    Type type = Type::missing;
    std::string_view text;  // unescaped string content, or the number literal
};

// clean.jsonb_to_bigint / jsonb_to_integer / jsonb_to_double: JSON numbers, and strings that
// spell a decimal number (at most 100 characters, exponent of at most 3 digits).
std::optional<int64_t> json_to_bigint(const JsonScalar& value);
std::optional<int32_t> json_to_integer(const JsonScalar& value);
std::optional<double> json_to_double(const JsonScalar& value);
// clean.text_field: a JSON string that is not empty and not a placeholder of the field.
std::optional<std::string> json_to_text_field(std::string_view field, const JsonScalar& value);

struct CleanPin {
    int64_t ind = 0;
    std::optional<std::string> unique_id;
    std::optional<std::string> title;
    std::optional<std::string> description;
    std::optional<int64_t> follower_count;
    std::optional<std::string> poster_name;
    std::optional<std::string> tag_list;
    std::optional<std::string> is_image_or_video;
    std::optional<std::string> image_src;
    std::optional<std::string> save_location;
    std::optional<std::string> category;
    std::optional<int32_t> downloaded;
};

struct CleanGeolocation {
    int64_t ind = 0;
    std::optional<std::string> country;
    std::array<std::optional<double>, 2> coordinates;  // latitude, longitude
    std::optional<std::string> timestamp;              // "YYYY-MM-DD HH:MM:SS"
};

struct CleanUser {
    int64_t ind = 0;
    std::optional<std::string> user_name;  // first_name + ' ' + last_name; null if either is
    std::optional<int32_t> age;
    std::optional<std::string> date_joined;  // "YYYY-MM-DD HH:MM:SS"
};

// Cleans whole events. Input must be JSON objects whose ind the validator accepted; anything
// else is a programming error and throws std::invalid_argument. Reuses its parser and buffer.
class EventCleaner {
  public:
    CleanPin clean_pin(std::string_view json);
    CleanGeolocation clean_geolocation(std::string_view json);
    CleanUser clean_user(std::string_view json);

  private:
    template <size_t N>
    std::array<JsonScalar, N> read_fields(std::string_view json,
                                          const std::array<std::string_view, N>& names);

    simdjson::ondemand::parser m_parser;
    std::vector<char> m_padded;  // simdjson reads past the input: parse from our padded copy
};

}  // namespace pinpipe::events
