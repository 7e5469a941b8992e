#include "events/validation.hpp"

#include <gtest/gtest.h>

namespace pinpipe::events {
namespace {

Verdict check(EventKind kind, std::string_view payload, size_t limit = 1024) {
    EventValidator validator(limit);
    return validator.validate(kind, payload.data(), payload.size());
}

void expect_bad(EventKind kind, std::string_view payload, BadReason reason) {
    const Verdict verdict = check(kind, payload);
    EXPECT_FALSE(verdict.ok) << payload;
    EXPECT_EQ(reason_name(verdict.reason), reason_name(reason)) << payload << ": " << verdict.error;
    EXPECT_FALSE(verdict.error.empty());
}

TEST(EventValidator, AcceptsPinWithIndexAndGeoUserWithInd) {
    EXPECT_EQ(check(EventKind::pin, R"({"index": 7, "title": "x"})").ind, 7);
    EXPECT_EQ(check(EventKind::geo, R"({"ind": -3, "country": "Chad"})").ind, -3);
    EXPECT_TRUE(check(EventKind::user, R"({"ind": 9223372036854775807})").ok);
}

TEST(EventValidator, DirtyFieldValuesAreNotBad) {
    EXPECT_TRUE(
        check(EventKind::pin, R"({"index":1,"follower_count":"User Info Error","downloaded":"x"})")
            .ok);
    EXPECT_TRUE(check(EventKind::user, R"({"ind":1,"age":null,"first_name":"Zoë 😀"})").ok);
}

TEST(EventValidator, EmptyAndNullValues) {
    EventValidator validator;
    EXPECT_EQ(validator.validate(EventKind::pin, nullptr, 0).reason, BadReason::empty);
    EXPECT_EQ(validator.validate(EventKind::pin, "", 0).reason, BadReason::empty);
}

TEST(EventValidator, TooLargeBeforeParsing) {
    const std::string big = R"({"index":1,"pad":")" + std::string(2000, 'a') + "\"}";
    expect_bad(EventKind::pin, big, BadReason::too_large);
}

TEST(EventValidator, MalformedJsonAndInvalidUtf8AndRawNul) {
    expect_bad(EventKind::pin, R"({"index": 1,)", BadReason::invalid_json);
    expect_bad(EventKind::pin, "not json", BadReason::invalid_json);
    expect_bad(EventKind::pin, "{\"index\":1,\"t\":\"\xff\xfe\"}", BadReason::invalid_json);
    expect_bad(EventKind::pin, std::string_view("{\"index\":1,\"t\":\"a\0b\"}", 22),
               BadReason::invalid_json);
    expect_bad(EventKind::pin, R"({"index":1,"t":"\ud800"})", BadReason::invalid_json);
    EXPECT_EQ(check(EventKind::pin, "{\"index\":1,\"t\":\"\xff\"}").error, "not valid UTF-8");
}

TEST(EventValidator, NumbersBeyondDoubleAndInt64AreValidJson) {
    // jsonb stores them exactly (numeric); only the ind must fit 64 bits.
    EXPECT_EQ(check(EventKind::pin, R"({"index": 1, "big": 1e400})").ind, 1);
    EXPECT_EQ(check(EventKind::pin, R"({"index": 2, "n": -123456789012345678901234567890})").ind,
              2);
    EXPECT_EQ(check(EventKind::geo, R"({"ind": 3, "tiny": 1e-400, "ind": 4, "x": 1e999})").ind,
              4);  // the last duplicate wins, as on the fast path
    EXPECT_EQ(check(EventKind::pin, R"({"index": 9223372036854775807, "big": 1e400})").ind,
              9223372036854775807);
    expect_bad(EventKind::pin, R"({"index": 1e400})", BadReason::non_integer_ind);
    expect_bad(EventKind::pin, R"({"index": 99999999999999999999})", BadReason::non_integer_ind);
    expect_bad(EventKind::pin, R"({"index": 9223372036854775808, "big": 1e400})",
               BadReason::non_integer_ind);
    expect_bad(EventKind::pin, R"({"index": 2.5, "big": 1e400})", BadReason::non_integer_ind);
    EXPECT_EQ(check(EventKind::pin, R"({"index": 5, "n": -9999999999999999999})").ind, 5);
    EXPECT_EQ(check(EventKind::pin, R"({"index": 6, "u": 12345678901234567890, "b": 1e400})").ind,
              6);
    expect_bad(EventKind::pin, R"({"big": 1e400})", BadReason::missing_ind);
    expect_bad(EventKind::pin, R"([1e400])", BadReason::not_object);
    expect_bad(EventKind::pin, R"({"index": 1, "big": 1e400,)", BadReason::invalid_json);
    expect_bad(EventKind::pin, R"({"index": 1, "bad": 01})", BadReason::invalid_json);
    expect_bad(EventKind::pin, R"({"index": 1, "big": 1e400, "t": "\u0000"})",
               BadReason::unsupported_json);
}

TEST(NarrowWideNumbers, ReplacesOnlyWhatSimdjsonCannotTakeAndLeavesStringsAlone) {
    EXPECT_EQ(narrow_wide_numbers(R"({"a": 1, "b": -12, "c": "1e400"})"), std::nullopt);
    EXPECT_EQ(narrow_wide_numbers(
                  R"({"a": 1e400, "b": [2.5, -0], "c": "x\"1e9", "d": 9223372036854775807})"),
              R"({"a": 0.5, "b": [0.5, -0], "c": "x\"1e9", "d": 9223372036854775807})");
    EXPECT_EQ(narrow_wide_numbers("[12345678901234567890,1E+5,01]"),
              "[12345678901234567890,0.5,01]");  // a uint64 simdjson reads
    // 19 digits or fewer can still be beyond 64 bits, and 20 within them.
    EXPECT_EQ(narrow_wide_numbers(
                  "[-9999999999999999999,-9223372036854775808,18446744073709551616,1e400]"),
              "[0.5,-9223372036854775808,0.5,0.5]");
}

TEST(EventValidator, NotAnObject) {
    expect_bad(EventKind::pin, "[1,2]", BadReason::not_object);
    expect_bad(EventKind::pin, "42", BadReason::not_object);
    expect_bad(EventKind::pin, "null", BadReason::not_object);
    expect_bad(EventKind::pin, R"("text")", BadReason::not_object);
}

TEST(EventValidator, MissingOrWrongIndField) {
    expect_bad(EventKind::pin, R"({"ind": 1})", BadReason::missing_ind);  // pins use "index"
    expect_bad(EventKind::geo, R"({"index": 1})", BadReason::missing_ind);
    expect_bad(EventKind::pin, R"({"index": "12"})", BadReason::non_integer_ind);
    expect_bad(EventKind::pin, R"({"index": 1.5})", BadReason::non_integer_ind);
    expect_bad(EventKind::pin, R"({"index": 1e3})", BadReason::non_integer_ind);
    expect_bad(EventKind::pin, R"({"index": null})", BadReason::non_integer_ind);
    expect_bad(EventKind::pin, R"({"index": 18446744073709551615})", BadReason::non_integer_ind);
}

TEST(EventValidator, LowestInt64IndIsBadAsTheCleaningRulesMakeItNull) {
    // clean.jsonb_to_bigint (and events::json_to_bigint) keep magnitudes up to 2^63 - 1: an ind
    // of -2^63 accepted here would reach staging and never clean.*, without a dead letter.
    expect_bad(EventKind::pin, R"({"index": -9223372036854775808})", BadReason::non_integer_ind);
    EXPECT_EQ(check(EventKind::pin, R"({"index": -9223372036854775807})").ind,
              -9223372036854775807);
}

TEST(EventValidator, LastDuplicateIndWinsAsInJsonb) {
    EXPECT_EQ(check(EventKind::geo, R"({"ind": 1, "ind": 2})").ind, 2);
    expect_bad(EventKind::geo, R"({"ind": 1, "ind": "x"})", BadReason::non_integer_ind);
}

TEST(EventValidator, NulEscapeIsUnsupportedButEscapedBackslashIsFine) {
    expect_bad(EventKind::pin, R"({"index":1,"t":"a\u0000b"})", BadReason::unsupported_json);
    EXPECT_TRUE(check(EventKind::pin, R"({"index":1,"t":"a\\u0000b"})").ok);
    expect_bad(EventKind::pin, R"({"index":1,"t":"a\\\u0000b"})", BadReason::unsupported_json);
}

TEST(EventValidator, ReusesBufferAcrossSizes) {
    EventValidator validator;
    const std::string small = R"({"ind":1})";
    const std::string large = R"({"ind":2,"pad":")" + std::string(100000, 'x') + "\"}";
    EXPECT_TRUE(validator.validate(EventKind::geo, large.data(), large.size()).ok);
    EXPECT_EQ(validator.validate(EventKind::geo, small.data(), small.size()).ind, 1);
}

TEST(EventKindNames, RoundTrip) {
    for (const EventKind kind : all_event_kinds) {
        EXPECT_EQ(kind_from_name(kind_name(kind)), kind);
    }
    EXPECT_FALSE(kind_from_name("users"));
}

}  // namespace
}  // namespace pinpipe::events
