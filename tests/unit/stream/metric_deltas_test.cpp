#include "stream/metric_deltas.hpp"

#include <gtest/gtest.h>

namespace pinpipe::stream {
namespace {

constexpr int64_t t0 = 1'700'000'040'000;  // 2023-11-14 22:14:00 UTC, a minute start

events::CleanPin pin(std::optional<std::string> category, std::optional<std::string> poster,
                     std::optional<int64_t> followers) {
    events::CleanPin clean;
    clean.category = std::move(category);
    clean.poster_name = std::move(poster);
    clean.follower_count = followers;
    return clean;
}

TEST(MinuteOf, TruncatesToTheUtcMinuteFlooringBeforeTheEpoch) {
    EXPECT_EQ(minute_of(t0), t0);
    EXPECT_EQ(minute_of(t0 + 59'999), t0);
    EXPECT_EQ(minute_of(t0 + 60'000), t0 + 60'000);
    EXPECT_EQ(minute_of(0), 0);
    EXPECT_EQ(minute_of(-1), -60'000);
    EXPECT_EQ(minute_of(-60'000), -60'000);
}

TEST(MetricDeltas, OneRowPerKeyAndMinuteHoweverManyEvents) {
    MetricDeltas deltas;
    for (int i = 0; i < 1000; ++i) {
        deltas.add_pin(pin("art", "Ann", 10), t0 + i);
    }
    deltas.add_pin(pin("art", "Ann", 10), t0 + 60'000);
    EXPECT_EQ(deltas.category_minute().size(), 2U);
    EXPECT_EQ(deltas.category_minute().at({"art", t0}), 1000);
    EXPECT_EQ(deltas.category_minute().at({"art", t0 + 60'000}), 1);
    EXPECT_EQ(deltas.event_minute().at({"pin", t0}), 1000);
    EXPECT_EQ(deltas.poster_popularity().size(), 1U);
    EXPECT_EQ(deltas.poster_popularity().at("Ann").posts, 1001);
    EXPECT_EQ(deltas.rows(), 2U + 2U + 1U);
}

TEST(MetricDeltas, NullKeysLeaveOnlyTheirTableOut) {
    MetricDeltas deltas;
    deltas.add_pin(pin(std::nullopt, std::nullopt, 5), t0);
    events::CleanGeolocation geo;
    deltas.add_geolocation(geo, t0);
    events::CleanUser minor;
    minor.age = 17;
    deltas.add_user(minor, t0);
    events::CleanUser unknown_age;
    deltas.add_user(unknown_age, t0);
    EXPECT_TRUE(deltas.category_minute().empty());
    EXPECT_TRUE(deltas.poster_popularity().empty());
    EXPECT_TRUE(deltas.country_minute().empty());
    EXPECT_TRUE(deltas.age_group_minute().empty());
    // Every valid message still counts once.
    EXPECT_EQ(deltas.event_minute().at({"pin", t0}), 1);
    EXPECT_EQ(deltas.event_minute().at({"geo", t0}), 1);
    EXPECT_EQ(deltas.event_minute().at({"user", t0}), 2);
}

TEST(MetricDeltas, KeysOverTheIndexLimitAreLeftOut) {
    MetricDeltas deltas;
    deltas.add_pin(pin(std::string(max_key_bytes, 'a'), std::string(max_key_bytes + 1, 'b'), 1),
                   t0);
    EXPECT_EQ(deltas.category_minute().size(), 1U);
    EXPECT_TRUE(deltas.poster_popularity().empty());
}

TEST(MetricDeltas, CountriesAndAgeGroupsWithInclusiveBounds) {
    MetricDeltas deltas;
    events::CleanGeolocation geo;
    geo.country = "Chile";
    deltas.add_geolocation(geo, t0);
    deltas.add_geolocation(geo, t0 + 1);
    for (const int age : {18, 24, 25, 35, 36, 50, 51}) {
        events::CleanUser user;
        user.age = age;
        deltas.add_user(user, t0);
    }
    EXPECT_EQ(deltas.country_minute().at({"Chile", t0}), 2);
    EXPECT_EQ(deltas.age_group_minute().at({"18-24", t0}), 2);
    EXPECT_EQ(deltas.age_group_minute().at({"25-35", t0}), 2);
    EXPECT_EQ(deltas.age_group_minute().at({"36-50", t0}), 2);
    EXPECT_EQ(deltas.age_group_minute().at({"50+", t0}), 1);
}

TEST(MetricDeltas, FollowerCountIsTheLatestKnownAndTheLargerOnTies) {
    MetricDeltas deltas;
    deltas.add_pin(pin("art", "Ann", 500), t0 + 10);
    deltas.add_pin(pin("art", "Ann", std::nullopt), t0 + 20);  // unknown: keeps 500
    deltas.add_pin(pin("art", "Ann", 300), t0 + 5);            // older: ignored
    const PosterDelta& ann = deltas.poster_popularity().at("Ann");
    EXPECT_EQ(ann.posts, 3);
    EXPECT_EQ(ann.follower_count, 500);
    EXPECT_EQ(ann.follower_count_seen_ms, t0 + 10);
    EXPECT_EQ(ann.last_seen_ms, t0 + 20);

    deltas.add_pin(pin("art", "Ann", 400), t0 + 10);  // same time: the larger stays
    EXPECT_EQ(deltas.poster_popularity().at("Ann").follower_count, 500);
    deltas.add_pin(pin("art", "Ann", 900), t0 + 10);
    EXPECT_EQ(deltas.poster_popularity().at("Ann").follower_count, 900);
}

TEST(MetricDeltas, SplittingEventsOverBatchesInAnyOrderGivesTheSameTotals) {
    // What the additive upserts rely on: batches commit in any order across partitions.
    std::vector<std::pair<events::CleanPin, int64_t>> pins;
    for (int i = 0; i < 60; ++i) {
        pins.emplace_back(pin(i % 3 ? "art" : "travel", i % 4 ? "Ann" : "Bob",
                              i % 5 ? std::optional<int64_t>(i * 7 % 11) : std::nullopt),
                          t0 + (i * 37 % 17) * 10'000);
    }
    MetricDeltas whole;
    for (const auto& [clean, at] : pins) {
        whole.add_pin(clean, at);
    }
    MetricDeltas first;
    MetricDeltas second;
    for (size_t i = 0; i < pins.size(); ++i) {
        (i % 2 ? first : second).add_pin(pins[i].first, pins[i].second);
    }
    MetricDeltas merged = second;
    merged.merge(first);
    EXPECT_EQ(merged.category_minute(), whole.category_minute());
    EXPECT_EQ(merged.event_minute(), whole.event_minute());
    ASSERT_EQ(merged.poster_popularity().size(), whole.poster_popularity().size());
    for (const auto& [name, delta] : whole.poster_popularity()) {
        const PosterDelta& other = merged.poster_popularity().at(name);
        EXPECT_EQ(other.posts, delta.posts) << name;
        EXPECT_EQ(other.follower_count, delta.follower_count) << name;
        EXPECT_EQ(other.follower_count_seen_ms, delta.follower_count_seen_ms) << name;
        EXPECT_EQ(other.last_seen_ms, delta.last_seen_ms) << name;
    }
}

}  // namespace
}  // namespace pinpipe::stream
