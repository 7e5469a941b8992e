// util::civil_from_days and days_from_civil: correct on every day of a wide range (by induction
// from 1970-01-01 with a plainly written calendar), at leap-year rules and at the ends that COPY
// needs, and equal to the values the hand-written algorithms they replace gave.
#include "util/civil_time.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace pinpipe::util {
namespace {

bool is_leap(std::int64_t year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

CivilDate next_day(CivilDate date) {
    if (date.day < days_in_month(date.year, date.month)) {
        return {date.year, date.month, date.day + 1};
    }
    if (date.month < 12) {
        return {date.year, date.month + 1, 1};
    }
    return {date.year + 1, 1, 1};
}

// Every day from about 0160 to 3780: each date is its predecessor's calendar successor, and
// days_from_civil brings it back.
TEST(CivilTime, EveryDayOverTenCenturiesEitherSideOfTheEpochRoundTrips) {
    constexpr std::int64_t kSpan = 660'000;
    CivilDate expected = civil_from_days(-kSpan);
    ASSERT_EQ(days_from_civil(expected), -kSpan);
    for (std::int64_t days = -kSpan; days <= kSpan; ++days) {
        const CivilDate date = civil_from_days(days);
        ASSERT_EQ(date, expected) << "day " << days;
        ASSERT_EQ(days_from_civil(date), days) << "day " << days;
        expected = next_day(date);
    }
}

TEST(CivilTime, LeapYearRulesOf2000And1900And2024) {
    EXPECT_EQ(civil_from_days(days_from_civil({2000, 3, 1}) - 1), (CivilDate{2000, 2, 29}));
    EXPECT_EQ(civil_from_days(days_from_civil({1900, 3, 1}) - 1), (CivilDate{1900, 2, 28}));
    EXPECT_EQ(civil_from_days(days_from_civil({2024, 3, 1}) - 1), (CivilDate{2024, 2, 29}));
    EXPECT_EQ(days_from_civil({2000, 12, 31}) - days_from_civil({2000, 1, 1}), 365);
    EXPECT_EQ(days_from_civil({1900, 12, 31}) - days_from_civil({1900, 1, 1}), 364);
}

// Day numbers from Python's date.toordinal() and from the algorithms this replaced.
TEST(CivilTime, AgreesWithKnownDayNumbers) {
    struct Known {
        CivilDate date;
        std::int64_t days;
    };
    constexpr Known kKnown[] = {
        {{1, 1, 1}, -719'162},
        {{1900, 2, 28}, -25'509},
        {{1900, 3, 1}, -25'508},
        {{1969, 12, 31}, -1},
        {{1970, 1, 1}, 0},
        {{2000, 2, 29}, 11'016},
        {{2015, 1, 1}, 16'436},
        {{2023, 1, 1}, 19'358},
        {{2024, 2, 29}, 19'782},
        {{9999, 12, 31}, 2'932'896},
        {{32767, 12, 31}, 11'248'737},
        {{32768, 1, 1}, 11'248'738},
        {{-32768, 1, 1}, -12'687'794},
        {{294276, 12, 31}, 106'762'939},
        {{294277, 1, 1}, 106'762'940},
    };
    for (const Known& known : kKnown) {
        EXPECT_EQ(days_from_civil(known.date), known.days) << known.date.year;
        EXPECT_EQ(civil_from_days(known.days), known.date) << known.days;
    }
}

// PostgreSQL's range (years 1 to 294276) lies far beyond std::chrono::year's ±32767: the era
// shift carries the calendar there, and on to ±10^15 years.
TEST(CivilTime, RoundTripsFarBeyondStdChronoYears) {
    for (std::int64_t days = -365'000'000'000'000; days <= 365'000'000'000'000;
         days += 7'919'000'000'003) {
        const CivilDate date = civil_from_days(days);
        ASSERT_EQ(days_from_civil(date), days) << "day " << days;
        ASSERT_EQ(civil_from_days(days + 1), next_day(date)) << "day " << days;
    }
    EXPECT_EQ(civil_from_days(days_from_civil({1'000'000'000'000, 2, 29})),
              (CivilDate{1'000'000'000'000, 2, 29}));
}

TEST(CivilTime, ADayPastTheMonthsEndCountsIntoTheNext) {
    EXPECT_EQ(civil_from_days(days_from_civil({2023, 4, 31})), (CivilDate{2023, 5, 1}));
    EXPECT_EQ(civil_from_days(days_from_civil({2023, 2, 29})), (CivilDate{2023, 3, 1}));
}

TEST(CivilTime, FloorDivRoundsTowardsNegativeInfinity) {
    EXPECT_EQ(floor_div(7, 2), 3);
    EXPECT_EQ(floor_div(-7, 2), -4);
    EXPECT_EQ(floor_div(-8, 2), -4);
    EXPECT_EQ(floor_div(0, 5), 0);
    EXPECT_EQ(floor_div(-1, 86'400'000), -1);
}

}  // namespace
}  // namespace pinpipe::util
