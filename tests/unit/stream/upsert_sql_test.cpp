#include "stream/upsert_sql.hpp"

#include <gtest/gtest.h>

namespace pinpipe::stream {
namespace {

TEST(ArrayLiterals, QuoteEveryTextAndEscapeQuotesAndBackslashes) {
    EXPECT_EQ(text_array_literal({}), "{}");
    EXPECT_EQ(text_array_literal({"art", "", "NULL", "a\"b\\c", "x,y {z}"}),
              R"({"art","","NULL","a\"b\\c","x,y {z}"})");
}

TEST(ArrayLiterals, BigintsWithNull) {
    EXPECT_EQ(bigint_array_literal({1, std::nullopt, -9223372036854775807LL}),
              "{1,NULL,-9223372036854775807}");
}

TEST(ArrayLiterals, TimestampsAsUtcTextExactInAnyYearPostgresStores) {
    EXPECT_EQ(timestamptz_array_literal({60'000, std::nullopt, -1}),
              R"({"1970-01-01 00:01:00.000+00",NULL,"1969-12-31 23:59:59.999+00"})");
    // The last millisecond of the year 294276: past what an interval of milliseconds can hold.
    EXPECT_EQ(timestamptz_array_literal({9'224'318'015'999'999}),
              R"({"294276-12-31 23:59:59.999+00"})");
}

TEST(UpsertStatements, OneAdditiveUpsertPerNonEmptyTableInAFixedOrder) {
    MetricDeltas deltas;
    events::CleanPin pin;
    pin.category = "travel";
    pin.poster_name = "Zoë \"Z\"";
    deltas.add_pin(pin, 120'000);
    pin.category = "art";
    pin.follower_count = 7000;
    deltas.add_pin(pin, 60'000);
    const auto statements = upsert_statements(deltas);
    ASSERT_EQ(statements.size(), 3U);
    EXPECT_NE(statements[0].sql.find("realtime.event_minute"), std::string::npos);
    EXPECT_NE(statements[1].sql.find("realtime.category_minute"), std::string::npos);
    EXPECT_NE(statements[1].sql.find("posts = t.posts + excluded.posts"), std::string::npos);
    EXPECT_NE(statements[2].sql.find("realtime.poster_popularity"), std::string::npos);
    // Keys sorted (the lock order), minutes as UTC timestamps.
    EXPECT_EQ(statements[1].params[0], R"({"art","travel"})");
    EXPECT_EQ(statements[1].params[1],
              R"({"1970-01-01 00:01:00.000+00","1970-01-01 00:02:00.000+00"})");
    EXPECT_EQ(statements[1].params[2], "{1,1}");
    EXPECT_EQ(statements[2].params[0], R"({"Zoë \"Z\""})");
    EXPECT_EQ(statements[2].params[1], "{2}");
    EXPECT_EQ(statements[2].params[2], "{7000}");
    EXPECT_EQ(statements[2].params[3], R"({"1970-01-01 00:01:00.000+00"})");
    EXPECT_EQ(statements[2].params[4], R"({"1970-01-01 00:02:00.000+00"})");
}

TEST(UpsertStatements, NothingForAnEmptyBatchAndNullFollowerCounts) {
    EXPECT_TRUE(upsert_statements(MetricDeltas{}).empty());
    MetricDeltas deltas;
    events::CleanPin pin;
    pin.poster_name = "Ann";
    deltas.add_pin(pin, 0);
    const auto statements = upsert_statements(deltas);
    ASSERT_EQ(statements.size(), 2U);
    EXPECT_EQ(statements[1].params[2], "{NULL}");
    EXPECT_EQ(statements[1].params[3], "{NULL}");
}

}  // namespace
}  // namespace pinpipe::stream
