// Proleptic Gregorian dates and days since 1970-01-01, for the timestamps the generator writes and
// COPY encodes and parses. std::chrono's calendar does the arithmetic; whole 400-year eras
// (146,097 days, after which the Gregorian calendar repeats) extend it to 64-bit years, because
// PostgreSQL's timestamps reach the year 294276 and std::chrono::year stops at 32767.
#pragma once

#include <chrono>
#include <cstdint>

namespace pinpipe::util {

struct CivilDate {
    std::int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31

    friend constexpr bool operator==(const CivilDate&, const CivilDate&) = default;
};

inline constexpr std::int64_t kSecondsPerDay = 86'400;
inline constexpr std::int64_t kDaysPerEra = 146'097;
inline constexpr std::int64_t kYearsPerEra = 400;

// Rounds towards negative infinity, so that a time before 1970 falls in the day it belongs to.
constexpr std::int64_t floor_div(std::int64_t value, std::int64_t divisor) {
    return value / divisor - (value % divisor != 0 && (value < 0) != (divisor < 0) ? 1 : 0);
}

// The date of a day counted from 1970-01-01 (day 0); any int64 day count.
constexpr CivilDate civil_from_days(std::int64_t days) {
    const std::int64_t era = floor_div(days, kDaysPerEra);
    // Within one era of 1970, inside std::chrono's range.
    const std::chrono::year_month_day date{
        std::chrono::sys_days{std::chrono::days{days - era * kDaysPerEra}}};
    return {static_cast<int>(date.year()) + era * kYearsPerEra, static_cast<unsigned>(date.month()),
            static_cast<unsigned>(date.day())};
}

// The inverse of civil_from_days for years within ±10^15 and month 1..12. A day past the end of
// its month counts on into the next (April 31 is May 1), as std::chrono does: callers that must
// reject it compare the round trip.
constexpr std::int64_t days_from_civil(const CivilDate& date) {
    const std::int64_t era = floor_div(date.year - 1970, kYearsPerEra);
    const std::chrono::year_month_day in_era{
        std::chrono::year{static_cast<int>(date.year - era * kYearsPerEra)},
        std::chrono::month{date.month}, std::chrono::day{date.day}};
    return std::chrono::sys_days{in_era}.time_since_epoch().count() + era * kDaysPerEra;
}

static_assert(days_from_civil({1970, 1, 1}) == 0);
static_assert(civil_from_days(-1) == CivilDate{1969, 12, 31});

}  // namespace pinpipe::util
