// The cleaning rules of DESIGN §6, mirroring the SQL functions of
// migrations/R__20_cleaning_functions.sql.
#include "events/cleaning.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace pinpipe::events {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) {
    for (const char c : text) {
        if (!is_digit(c)) {
            return false;
        }
    }
    return true;
}

// A decimal literal as PostgreSQL's numeric input reads it: sign, digits, fraction, exponent.
struct DecimalLiteral {
    bool negative = false;
    std::string digits;       // integer and fraction digits together, as written
    int fraction_digits = 0;  // how many of digits come after the point
    long exponent = 0;
};

// Grammar of clean.text_to_numeric: [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?.
// Strings are further limited (length, exponent digits); JSON numbers are not, as in jsonb.
std::optional<DecimalLiteral> parse_decimal(std::string_view text, bool limited) {
    if (limited && text.size() > 100) {
        return std::nullopt;
    }
    DecimalLiteral literal;
    size_t at = 0;
    if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        literal.negative = text[at] == '-';
        ++at;
    }
    while (at < text.size() && is_digit(text[at])) {
        literal.digits += text[at++];
    }
    if (at < text.size() && text[at] == '.') {
        ++at;
        while (at < text.size() && is_digit(text[at])) {
            literal.digits += text[at++];
            ++literal.fraction_digits;
        }
    }
    if (literal.digits.empty()) {
        return std::nullopt;  // "", "+", ".", "e5"
    }
    if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
        ++at;
        bool negative_exponent = false;
        if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
            negative_exponent = text[at] == '-';
            ++at;
        }
        const std::string_view exponent_digits = text.substr(at);
        if (exponent_digits.empty() || !all_digits(exponent_digits) ||
            (limited && exponent_digits.size() > 3) || exponent_digits.size() > 6) {
            return std::nullopt;
        }
        literal.exponent = std::strtol(std::string(exponent_digits).c_str(), nullptr, 10);
        if (negative_exponent) {
            literal.exponent = -literal.exponent;
        }
        at = text.size();
    }
    if (at != text.size()) {
        return std::nullopt;
    }
    return literal;
}

std::optional<DecimalLiteral> decimal_of(const JsonScalar& value) {
    switch (value.type) {
        case JsonScalar::Type::number:
            return parse_decimal(value.text, /*limited=*/false);
        case JsonScalar::Type::string:
            return parse_decimal(value.text, /*limited=*/true);
        default:
            return std::nullopt;
    }
}

// clean.numeric_to_bigint: integral only when written without fraction digits, i.e. when the
// numeric's scale, max(0, fraction digits - exponent), is 0; magnitude at most 2^63 - 1.
std::optional<int64_t> integral_value(const DecimalLiteral& literal, uint64_t max_magnitude) {
    if (literal.fraction_digits > literal.exponent) {
        return std::nullopt;
    }
    const size_t first_nonzero = literal.digits.find_first_not_of('0');
    if (first_nonzero == std::string::npos) {
        return 0;
    }
    const std::string_view significant = std::string_view(literal.digits).substr(first_nonzero);
    const long zeros_to_append = literal.exponent - literal.fraction_digits;
    if (static_cast<long>(significant.size()) + zeros_to_append > 19) {
        return std::nullopt;
    }
    uint64_t magnitude = 0;  // at most 19 digits: below 10^19 < 2^64
    for (const char c : significant) {
        magnitude = magnitude * 10 + static_cast<unsigned>(c - '0');
    }
    for (long i = 0; i < zeros_to_append; ++i) {
        magnitude *= 10;
    }
    if (magnitude > max_magnitude) {
        return std::nullopt;
    }
    const auto value = static_cast<int64_t>(magnitude);
    return literal.negative ? -value : value;
}

}  // namespace

std::optional<std::string_view> placeholder_to_null(std::string_view field,
                                                    std::string_view value) {
    struct Placeholder {
        std::string_view field;
        std::string_view value;
    };
    static constexpr Placeholder placeholders[] = {
        {"title", "No Title Data Available"},
        {"description", "No description available Story format"},
        {"description", "No description available"},
        {"follower_count", "User Info Error"},
        {"poster_name", "User Info Error"},
        {"tag_list", "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e"},
        {"image_src", "Image src error."},
    };
    if (value.empty()) {
        return std::nullopt;
    }
    for (const Placeholder& placeholder : placeholders) {
        if (placeholder.field == field && placeholder.value == value) {
            return std::nullopt;
        }
    }
    return value;
}

std::optional<int64_t> parse_follower_count(std::string_view value) {
    int64_t multiplier = 1;
    if (!value.empty() && (value.back() == 'k' || value.back() == 'M')) {
        multiplier = value.back() == 'k' ? 1'000 : 1'000'000;
        value.remove_suffix(1);
    }
    // 12 digits at most: no product overflows, and nobody has a trillion followers.
    if (value.empty() || value.size() > 12 || !all_digits(value)) {
        return std::nullopt;
    }
    return std::strtoll(std::string(value).c_str(), nullptr, 10) * multiplier;
}

std::optional<std::string_view> save_location_path(std::string_view value) {
    constexpr std::string_view prefix = "Local save in ";
    if (value.starts_with(prefix)) {
        value.remove_prefix(prefix.size());
    }
    if (value.empty()) {
        return std::nullopt;
    }
    return value;
}

bool is_valid_timestamp(std::string_view value) {
    // YYYY-MM-DD HH:MM:SS, positions of the separators fixed.
    if (value.size() != 19 || value[4] != '-' || value[7] != '-' || value[10] != ' ' ||
        value[13] != ':' || value[16] != ':') {
        return false;
    }
    const auto number = [&](size_t at, size_t length) -> std::optional<int> {
        const std::string_view digits = value.substr(at, length);
        if (!all_digits(digits)) {
            return std::nullopt;
        }
        int result = 0;
        for (const char c : digits) {
            result = result * 10 + (c - '0');
        }
        return result;
    };
    const auto year = number(0, 4);
    const auto month = number(5, 2);
    const auto day = number(8, 2);
    const auto hour = number(11, 2);
    const auto minute = number(14, 2);
    const auto second = number(17, 2);
    if (!year || !month || !day || !hour || !minute || !second) {
        return false;
    }
    if (*year < 1 || *month < 1 || *month > 12 || *day < 1 || *hour > 23 || *minute > 59 ||
        *second > 59) {
        return false;
    }
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    constexpr int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int last_day = days_in_month[*month - 1] + (*month == 2 && leap ? 1 : 0);
    return *day <= last_day;
}

std::optional<std::string_view> age_group(std::optional<int32_t> age) {
    if (!age || *age < 18) {
        return std::nullopt;
    }
    if (*age <= 24) {
        return "18-24";
    }
    if (*age <= 35) {
        return "25-35";
    }
    if (*age <= 50) {
        return "36-50";
    }
    return "50+";
}

std::optional<int64_t> json_to_bigint(const JsonScalar& value) {
    const auto literal = decimal_of(value);
    if (!literal) {
        return std::nullopt;
    }
    return integral_value(*literal, std::numeric_limits<int64_t>::max());
}

std::optional<int32_t> json_to_integer(const JsonScalar& value) {
    const auto literal = decimal_of(value);
    if (!literal) {
        return std::nullopt;
    }
    const auto integral = integral_value(*literal, std::numeric_limits<int32_t>::max());
    if (!integral) {
        return std::nullopt;
    }
    return static_cast<int32_t>(*integral);
}

std::optional<double> json_to_double(const JsonScalar& value) {
    if (!decimal_of(value)) {
        return std::nullopt;
    }
    // strtod rounds the decimal correctly, as PostgreSQL's numeric-to-float8 conversion does.
    const double parsed = std::strtod(std::string(value.text).c_str(), nullptr);
    if (std::fabs(parsed) > 1e300) {
        return std::nullopt;
    }
    if (std::fabs(parsed) < 1e-300) {
        return 0.0;
    }
    return parsed;
}

std::optional<std::string> json_to_text_field(std::string_view field, const JsonScalar& value) {
    if (value.type != JsonScalar::Type::string) {
        return std::nullopt;
    }
    const auto text = placeholder_to_null(field, value.text);
    if (!text) {
        return std::nullopt;
    }
    return std::string(*text);
}

template <size_t N>
std::array<JsonScalar, N> EventCleaner::read_fields(std::string_view json,
                                                    const std::array<std::string_view, N>& names) {
    m_padded.assign(json.begin(), json.end());
    m_padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
    auto document = m_parser.iterate(m_padded.data(), json.size(), m_padded.size());
    simdjson::ondemand::object object;
    if (document.get_object().get(object)) {
        throw std::invalid_argument("event to clean is not a JSON object");
    }
    std::array<JsonScalar, N> fields{};
    for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key)) {
            throw std::invalid_argument("event to clean has a malformed key");
        }
        size_t slot = 0;
        while (slot < N && names[slot] != key) {
            ++slot;
        }
        if (slot == N) {
            continue;  // a field no rule reads; on demand, it is skipped unparsed
        }
        // Later duplicates overwrite earlier ones: jsonb keeps the last value of a key.
        auto value = field.value();
        simdjson::ondemand::json_type type;
        if (value.type().get(type)) {
            throw std::invalid_argument(fmt::format("event field \"{}\" is malformed", key));
        }
        JsonScalar& scalar = fields[slot];
        if (type == simdjson::ondemand::json_type::string) {
            scalar.type = JsonScalar::Type::string;
            if (value.get_string().get(scalar.text)) {
                throw std::invalid_argument(fmt::format("event field \"{}\" is malformed", key));
            }
        } else if (type == simdjson::ondemand::json_type::number) {
            scalar.type = JsonScalar::Type::number;
            std::string_view token = value.raw_json_token();
            while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                      token.back() == '\t' || token.back() == '\r')) {
                token.remove_suffix(1);
            }
            scalar.text = token;
        } else {
            scalar = {JsonScalar::Type::other, {}};
        }
    }
    return fields;
}

namespace {

int64_t require_ind(const JsonScalar& value, std::string_view kind) {
    const auto ind = json_to_bigint(value);
    if (!ind) {
        throw std::invalid_argument(fmt::format("{} event to clean has no integer ind", kind));
    }
    return *ind;
}

std::optional<std::string> optional_string(std::optional<std::string_view> text) {
    if (!text) {
        return std::nullopt;
    }
    return std::string(*text);
}

}  // namespace

CleanPin EventCleaner::clean_pin(std::string_view json) {
    static constexpr std::array<std::string_view, 12> names = {
        "index",          "unique_id",     "title",    "description",
        "follower_count", "poster_name",   "tag_list", "is_image_or_video",
        "image_src",      "save_location", "category", "downloaded"};
    const auto fields = read_fields(json, names);
    CleanPin pin;
    pin.ind = require_ind(fields[0], "pin");
    pin.unique_id = json_to_text_field(names[1], fields[1]);
    pin.title = json_to_text_field(names[2], fields[2]);
    pin.description = json_to_text_field(names[3], fields[3]);
    if (const auto count = json_to_text_field(names[4], fields[4])) {
        pin.follower_count = parse_follower_count(*count);
    }
    pin.poster_name = json_to_text_field(names[5], fields[5]);
    pin.tag_list = json_to_text_field(names[6], fields[6]);
    pin.is_image_or_video = json_to_text_field(names[7], fields[7]);
    pin.image_src = json_to_text_field(names[8], fields[8]);
    if (const auto location = json_to_text_field(names[9], fields[9])) {
        pin.save_location = optional_string(save_location_path(*location));
    }
    pin.category = json_to_text_field(names[10], fields[10]);
    pin.downloaded = json_to_integer(fields[11]);
    return pin;
}

CleanGeolocation EventCleaner::clean_geolocation(std::string_view json) {
    static constexpr std::array<std::string_view, 5> names = {"ind", "country", "latitude",
                                                              "longitude", "timestamp"};
    const auto fields = read_fields(json, names);
    CleanGeolocation geo;
    geo.ind = require_ind(fields[0], "geo");
    geo.country = json_to_text_field(names[1], fields[1]);
    geo.coordinates = {json_to_double(fields[2]), json_to_double(fields[3])};
    auto timestamp = json_to_text_field(names[4], fields[4]);
    if (timestamp && is_valid_timestamp(*timestamp)) {
        geo.timestamp = std::move(timestamp);
    }
    return geo;
}

CleanUser EventCleaner::clean_user(std::string_view json) {
    static constexpr std::array<std::string_view, 5> names = {"ind", "first_name", "last_name",
                                                              "age", "date_joined"};
    const auto fields = read_fields(json, names);
    CleanUser user;
    user.ind = require_ind(fields[0], "user");
    const auto first_name = json_to_text_field(names[1], fields[1]);
    const auto last_name = json_to_text_field(names[2], fields[2]);
    if (first_name && last_name) {
        user.user_name = *first_name + ' ' + *last_name;
    }
    user.age = json_to_integer(fields[3]);
    auto date_joined = json_to_text_field(names[4], fields[4]);
    if (date_joined && is_valid_timestamp(*date_joined)) {
        user.date_joined = std::move(date_joined);
    }
    return user;
}

}  // namespace pinpipe::events
