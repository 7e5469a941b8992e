#include "events/cleaning.hpp"

#include <gtest/gtest.h>

#include "emulate/generator.hpp"

namespace pinpipe::events {
namespace {

JsonScalar number(std::string_view literal) {
    return {JsonScalar::Type::number, literal};
}
JsonScalar string(std::string_view text) {
    return {JsonScalar::Type::string, text};
}

TEST(Cleaning, PlaceholdersAreNullOnlyInTheirOwnField) {
    EXPECT_FALSE(placeholder_to_null("title", "No Title Data Available"));
    EXPECT_FALSE(placeholder_to_null("description", "No description available"));
    EXPECT_FALSE(placeholder_to_null("description", "No description available Story format"));
    EXPECT_FALSE(placeholder_to_null("poster_name", "User Info Error"));
    EXPECT_FALSE(placeholder_to_null("follower_count", "User Info Error"));
    EXPECT_FALSE(placeholder_to_null("tag_list", "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e"));
    EXPECT_FALSE(placeholder_to_null("image_src", "Image src error."));
    EXPECT_FALSE(placeholder_to_null("category", ""));
    EXPECT_EQ(placeholder_to_null("title", "User Info Error"), "User Info Error");
    EXPECT_EQ(placeholder_to_null("title", " "), " ");
}

TEST(Cleaning, FollowerCountsWithSuffixesAndGarbage) {
    EXPECT_EQ(parse_follower_count("985"), 985);
    EXPECT_EQ(parse_follower_count("0"), 0);
    EXPECT_EQ(parse_follower_count("7k"), 7000);
    EXPECT_EQ(parse_follower_count("1M"), 1000000);
    EXPECT_EQ(parse_follower_count("999999999999M"), 999999999999000000);
    for (const std::string_view bad :
         {"", "k", "M", "12.5k", "7K", " 7", "7 ", "1B", "abc", "-5", "+5", "1000000000000"}) {
        EXPECT_FALSE(parse_follower_count(bad)) << bad;
    }
}

TEST(Cleaning, SaveLocationKeepsThePath) {
    EXPECT_EQ(save_location_path("Local save in /data/travel"), "/data/travel");
    EXPECT_EQ(save_location_path("/data/travel"), "/data/travel");
    EXPECT_FALSE(save_location_path("Local save in "));
}

TEST(Cleaning, TimestampsMustBeRealCalendarTimes) {
    EXPECT_TRUE(is_valid_timestamp("2020-02-29 23:59:59"));
    EXPECT_TRUE(is_valid_timestamp("2000-02-29 00:00:00"));
    EXPECT_TRUE(is_valid_timestamp("0001-01-01 00:00:00"));
    for (const std::string_view bad :
         {"2021-02-29 00:00:00", "1900-02-29 00:00:00", "2020-04-31 00:00:00",
          "2020-13-01 00:00:00", "2020-01-01 24:00:00", "2020-01-01 00:60:00",
          "2020-01-01 00:00:60", "0000-01-01 00:00:00", "2020-01-01T00:00:00",
          "2020-01-01 00:00:00.5", "2020-1-01 00:00:00", ""}) {
        EXPECT_FALSE(is_valid_timestamp(bad)) << bad;
    }
}

TEST(Cleaning, AgeGroupBoundsAreInclusive) {
    EXPECT_FALSE(age_group(17));
    EXPECT_FALSE(age_group(std::nullopt));
    EXPECT_EQ(age_group(18), "18-24");
    EXPECT_EQ(age_group(24), "18-24");
    EXPECT_EQ(age_group(25), "25-35");
    EXPECT_EQ(age_group(35), "25-35");
    EXPECT_EQ(age_group(36), "36-50");
    EXPECT_EQ(age_group(50), "36-50");
    EXPECT_EQ(age_group(51), "50+");
}

TEST(Cleaning, NumbersFollowPostgresNumericScale) {
    EXPECT_EQ(json_to_bigint(number("7")), 7);
    EXPECT_EQ(json_to_bigint(number("7e0")), 7);
    EXPECT_EQ(json_to_bigint(number("1.5e1")), 15);
    EXPECT_EQ(json_to_bigint(number("-0")), 0);
    EXPECT_EQ(json_to_bigint(string("42")), 42);
    EXPECT_EQ(json_to_bigint(string("7.")), 7);
    EXPECT_EQ(json_to_bigint(number("9223372036854775807")), 9223372036854775807);
    EXPECT_FALSE(json_to_bigint(number("-9223372036854775808")));
    EXPECT_FALSE(json_to_bigint(number("7.0")));
    EXPECT_FALSE(json_to_bigint(number("1.50e1")));
    EXPECT_FALSE(json_to_bigint(number("7.5")));
    EXPECT_FALSE(json_to_bigint(string("abc")));
    EXPECT_FALSE(json_to_bigint(string(" 7")));
    EXPECT_FALSE(json_to_bigint(string("1e1000")));  // strings: exponent of 3 digits at most
    EXPECT_FALSE(json_to_bigint({JsonScalar::Type::other, {}}));
    EXPECT_FALSE(json_to_bigint({}));
    EXPECT_EQ(json_to_integer(number("2147483647")), 2147483647);
    EXPECT_FALSE(json_to_integer(number("2147483648")));
    EXPECT_EQ(json_to_double(number("51.5")), 51.5);
    EXPECT_EQ(json_to_double(string("-3e2")), -300.0);
    EXPECT_EQ(json_to_double(number("1e-400")), 0.0);
    EXPECT_FALSE(json_to_double(number("1e301")));
    EXPECT_FALSE(json_to_double(string("NaN")));
}

TEST(EventCleaner, CleansAPinField) {
    EventCleaner cleaner;
    const CleanPin pin = cleaner.clean_pin(
        R"({"index": 7, "unique_id": "u", "title": "No Title Data Available",
            "description": "d\u00e9", "follower_count": "7k", "poster_name": "User Info Error",
            "tag_list": "a,b", "is_image_or_video": "image", "image_src": "Image src error.",
            "downloaded": 1, "save_location": "Local save in /data/art", "category": "art",
            "extra": {"nested": [1, 2]}})");
    EXPECT_EQ(pin.ind, 7);
    EXPECT_EQ(pin.unique_id, "u");
    EXPECT_FALSE(pin.title);
    EXPECT_EQ(pin.description, "dé");
    EXPECT_EQ(pin.follower_count, 7000);
    EXPECT_FALSE(pin.poster_name);
    EXPECT_EQ(pin.tag_list, "a,b");
    EXPECT_EQ(pin.is_image_or_video, "image");
    EXPECT_FALSE(pin.image_src);
    EXPECT_EQ(pin.downloaded, 1);
    EXPECT_EQ(pin.save_location, "/data/art");
    EXPECT_EQ(pin.category, "art");
}

TEST(EventCleaner, WrongTypesAreNullAndTheLastDuplicateKeyWins) {
    EventCleaner cleaner;
    const CleanPin pin = cleaner.clean_pin(
        R"({"index": 1, "title": 5, "category": "a", "category": "b", "downloaded": "x"})");
    EXPECT_FALSE(pin.title);
    EXPECT_EQ(pin.category, "b");
    EXPECT_FALSE(pin.downloaded);
    EXPECT_FALSE(pin.follower_count);
}

TEST(EventCleaner, CleansGeolocationsAndUsers) {
    EventCleaner cleaner;
    const CleanGeolocation geo = cleaner.clean_geolocation(
        R"({"ind": 3, "timestamp": "2020-02-29 10:00:00", "latitude": -12.5,
            "longitude": "x", "country": ""})");
    EXPECT_EQ(geo.ind, 3);
    EXPECT_FALSE(geo.country);
    EXPECT_EQ(geo.coordinates[0], -12.5);
    EXPECT_FALSE(geo.coordinates[1]);
    EXPECT_EQ(geo.timestamp, "2020-02-29 10:00:00");

    const CleanUser user = cleaner.clean_user(
        R"({"ind": 4, "first_name": "Zoë", "last_name": "O'Neil", "age": 36,
            "date_joined": "2021-02-29 00:00:00"})");
    EXPECT_EQ(user.user_name, "Zoë O'Neil");
    EXPECT_EQ(user.age, 36);
    EXPECT_FALSE(user.date_joined);
    EXPECT_FALSE(cleaner.clean_user(R"({"ind": 5, "first_name": "A"})").user_name);
}

TEST(EventCleaner, RejectsWhatTheValidatorWouldHaveRejected) {
    EventCleaner cleaner;
    EXPECT_THROW(cleaner.clean_pin("[1]"), std::invalid_argument);
    EXPECT_THROW(cleaner.clean_geolocation(R"({"country": "x"})"), std::invalid_argument);
}

TEST(EventCleaner, CleansEveryGeneratedEvent) {
    emulate::EventGenerator generator(42);
    EventCleaner cleaner;
    int with_age_group = 0;
    for (int i = 0; i < 2000; ++i) {
        const emulate::GeneratedEvent event = generator.next();
        EXPECT_EQ(cleaner.clean_pin(event.pin).ind, event.ind);
        EXPECT_TRUE(cleaner.clean_geolocation(event.geo).timestamp) << event.geo;
        const CleanUser user = cleaner.clean_user(event.user);
        with_age_group += age_group(user.age) ? 1 : 0;
    }
    EXPECT_GT(with_age_group, 1900);
}

}  // namespace
}  // namespace pinpipe::events
