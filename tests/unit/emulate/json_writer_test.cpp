// The generator's JSON writer: escaping, number and timestamp forms, and field order.
#include "emulate/json_writer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pinpipe::emulate {
namespace {

TEST(JsonWriter, EscapesQuoteBackslashAndControlCharactersButNotUtf8) {
    std::string out;
    append_escaped(out, "say \"hi\"\\\n\t\r\x01 Noël 🌋");
    EXPECT_EQ(out, R"(say \"hi\"\\\n\t\r\u0001 Noël 🌋)");
}

TEST(JsonWriter, DegreesAlwaysCarryAFraction) {
    const auto degrees = [](std::int32_t value_e4) {
        std::string out;
        append_fixed_e4(out, value_e4);
        return out;
    };
    EXPECT_EQ(degrees(120'000), "12.0");
    EXPECT_EQ(degrees(-899'787), "-89.9787");
    EXPECT_EQ(degrees(-532), "-0.0532");
    EXPECT_EQ(degrees(0), "0.0");
}

TEST(JsonWriter, TimestampsAreUtcWithZeroPadding) {
    std::string out;
    append_timestamp(out, 0);
    out += '|';
    append_timestamp(out, 951'782'400 + 3'661);  // 2000-02-29 01:01:01
    EXPECT_EQ(out, "1970-01-01 00:00:00|2000-02-29 01:01:01");
}

TEST(JsonWriter, WritesFieldsInOrderWithStringsAssembledFromPieces) {
    std::string out;
    JsonObjectWriter json(out);
    json.add_int("ind", -3);
    json.begin_string("follower_count");
    json.append_number(12);
    json.append("k");
    json.end_string();
    json.add_degrees("latitude", 398'076);
    json.add_timestamp("timestamp", 86'400);
    json.add_string("country", "Côte d'Ivoire");
    json.close();
    EXPECT_EQ(out, R"({"ind":-3,"follower_count":"12k","latitude":39.8076,)"
                   R"("timestamp":"1970-01-02 00:00:00","country":"Côte d'Ivoire"})");
}

}  // namespace
}  // namespace pinpipe::emulate
