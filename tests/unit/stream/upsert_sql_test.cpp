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
    // Keys sorted (the lock order), minutes in epoch milliseconds.
    EXPECT_EQ(statements[1].params[0], R"({"art","travel"})");
    EXPECT_EQ(statements[1].params[1], "{60000,120000}");
    EXPECT_EQ(statements[1].params[2], "{1,1}");
    EXPECT_EQ(statements[2].params[0], R"({"Zoë \"Z\""})");
    EXPECT_EQ(statements[2].params[1], "{2}");
    EXPECT_EQ(statements[2].params[2], "{7000}");
    EXPECT_EQ(statements[2].params[3], "{60000}");
    EXPECT_EQ(statements[2].params[4], "{120000}");
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
