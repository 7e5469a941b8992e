#include "ops/dead_letters.hpp"

#include <gtest/gtest.h>

#include "ops/sql_text.hpp"
#include "pg/staging_rows.hpp"
#include "util/errors.hpp"

namespace pinpipe::ops {
namespace {

TEST(TimeBound, AgesBecomeIntervals) {
    const TimeBound bound = parse_time_bound("--since", "30m");
    EXPECT_EQ(bound.kind, TimeBound::Kind::age);
    EXPECT_EQ(bound.value, "30 minutes");
    EXPECT_EQ(parse_time_bound("--since", "7d").value, "7 days");
    EXPECT_EQ(parse_time_bound("--since", "2w").value, "2 weeks");
    EXPECT_EQ(parse_time_bound("--since", "90s").value, "90 seconds");
    EXPECT_EQ(parse_time_bound("--since", "12h").value, "12 hours");
}

TEST(TimeBound, AnythingElseIsLeftToPostgres) {
    for (const char* text : {"2024-05-01", "2024-05-01 10:00+02", "d", "3x", "-3d", "1.5h"}) {
        const TimeBound bound = parse_time_bound("--until", text);
        EXPECT_EQ(bound.kind, TimeBound::Kind::absolute) << text;
        EXPECT_EQ(bound.value, text);
    }
}

TEST(TimeBound, EmptyIsUsageErrorNamingTheOption) {
    try {
        parse_time_bound("--before", "");
        FAIL();
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("--before"), std::string::npos);
    }
}

TEST(DeadLetterFilter, EmptyFilterMatchesEverything) {
    const SqlCondition condition = filter_condition({});
    EXPECT_EQ(condition.sql, "TRUE");
    EXPECT_TRUE(condition.params.empty());
}

TEST(DeadLetterFilter, EveryFieldIsAParameter) {
    DeadLetterFilter filter;
    filter.consumer = "pinpipe-load";
    filter.topic = "p.pin";
    filter.reason = "too_large";
    filter.failed_since = TimeBound{TimeBound::Kind::age, "1 days"};
    filter.failed_before = TimeBound{TimeBound::Kind::absolute, "2024-05-01"};
    const SqlCondition condition = filter_condition(filter);
    EXPECT_EQ(condition.sql,
              "d.consumer = $1 AND d.topic = $2 AND d.reason = $3 AND d.failed_at >= (now() - "
              "$4::interval) AND d.failed_at < $5::timestamptz");
    ASSERT_EQ(condition.params.size(), 5u);
    EXPECT_EQ(condition.params[3], "1 days");
    EXPECT_EQ(condition.params[4], "2024-05-01");
}

TEST(DeadLetterFilter, KnownReasonsAreTheValidatorsAndTheWriters) {
    const std::vector<std::string> reasons = known_reasons();
    EXPECT_EQ(reasons.front(), "empty");
    EXPECT_EQ(reasons.back(), "rejected_by_postgres");
    EXPECT_NE(std::find(reasons.begin(), reasons.end(), "too_large"), reasons.end());
}

TEST(KindOfTopic, IsTheSuffixAfterTheLastDot) {
    EXPECT_EQ(kind_of_topic("pinterest.pin"), events::EventKind::pin);
    EXPECT_EQ(kind_of_topic("a.b.user"), events::EventKind::user);
    EXPECT_FALSE(kind_of_topic("pinterest.clicks").has_value());
    EXPECT_FALSE(kind_of_topic("geo").has_value());
}

DeadLetter letter(int64_t id, std::string topic, std::optional<std::string> payload) {
    DeadLetter out;
    out.id = id;
    out.topic = std::move(topic);
    out.partition = 2;
    out.offset = 40 + id;
    out.timestamp_ms = 0;
    out.key = "7";
    out.payload = std::move(payload);
    out.reason = "too_large";
    return out;
}

TEST(ReplayPlan, MovesWhatPassesNowAndCountsTheRestByTheirReasonNow) {
    const std::string big = R"({"ind": 7, "country": ")" + std::string(100, 'x') + "\"}";
    std::vector<DeadLetter> letters = {
        letter(1, "p.geo", big),                 // passes with the larger limit
        letter(2, "p.geo", "not json"),          // still bad
        letter(3, "p.pin", std::nullopt),        // no value at all
        letter(4, "p.clicks", R"({"ind": 1})"),  // not a topic of ours
        letter(5, "p.user", R"({"ind": 2})"),    // passes
    };
    letters.push_back(letter(6, "p.pin", R"({"index": 3})"));
    letters.back().already_staged = true;
    events::EventValidator validator(1000);
    const ReplayPlan plan = plan_replay(letters, validator);
    EXPECT_EQ(plan.moved_ids, (std::vector<int64_t>{1, 5}));
    EXPECT_EQ(plan.already_staged, (std::vector<int64_t>{6}));
    EXPECT_EQ(plan.still_bad.at("invalid_json"), 1);
    EXPECT_EQ(plan.still_bad.at("empty"), 1);
    EXPECT_EQ(plan.still_bad.at("unknown_topic"), 1);
    EXPECT_EQ(plan.rows[events::kind_index(events::EventKind::geo)].count(), 1u);
    EXPECT_EQ(plan.rows[events::kind_index(events::EventKind::user)].count(), 1u);
    EXPECT_EQ(plan.rows[events::kind_index(events::EventKind::pin)].count(), 0u);
    // The staging row load would write: the letter's coordinates, key and payload.
    const pg::StagingRow user =
        pg::decode_staging_row(plan.rows[events::kind_index(events::EventKind::user)].row(0));
    EXPECT_EQ(user.topic, "p.user");
    EXPECT_EQ(user.partition, 2);
    EXPECT_EQ(user.offset, 45);
    EXPECT_EQ(user.timestamp_ms, 0);
    EXPECT_EQ(user.key, "7");
    EXPECT_EQ(user.payload, "{\"ind\": 2}");
}

TEST(ReplayPlan, TheLimitOfTheReplayDecides) {
    const std::string big = R"({"ind": 7, "country": ")" + std::string(100, 'x') + "\"}";
    events::EventValidator small(50);
    const ReplayPlan plan = plan_replay({letter(1, "p.geo", big)}, small);
    EXPECT_TRUE(plan.moved_ids.empty());
    EXPECT_EQ(plan.still_bad.at("too_large"), 1);
}

TEST(SqlText, ArrayLiteralQuotesAndEscapes) {
    EXPECT_EQ(array_literal({}), "{}");
    EXPECT_EQ(array_literal({"a", "b\"c", "d\\e"}), R"({"a","b\"c","d\\e"})");
}

TEST(SqlText, DecodesHexAndRefusesNonHex) {
    EXPECT_EQ(decode_hex("00ff41"), std::string("\0\xff"
                                                "A",
                                                3));
    EXPECT_EQ(decode_hex(""), "");
    EXPECT_FALSE(decode_hex("abc").has_value());
    EXPECT_FALSE(decode_hex("zz").has_value());
}

}  // namespace
}  // namespace pinpipe::ops
