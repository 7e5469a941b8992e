#include "pg/copy_encoding.hpp"

#include <gtest/gtest.h>

namespace pinpipe::pg {
namespace {

std::string text(std::string_view value) {
    std::string out;
    append_copy_text(out, value);
    return out;
}

TEST(CopyEncoder, EscapesTabNewlineCarriageReturnAndBackslash) {
    EXPECT_EQ(text("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e");
    EXPECT_EQ(text(R"({"t":"say \"hi\""})"), R"({"t":"say \\"hi\\""})");
    EXPECT_EQ(text(""), "");
    EXPECT_EQ(text("plain"), "plain");
}

TEST(CopyEncoder, KeepsNonAsciiBytesAsTheyAre) {
    EXPECT_EQ(text("Côte d'Ivoire 😀"), "Côte d'Ivoire 😀");
}

TEST(CopyEncoder, ByteaIsHexWithEscapedPrefixAndCarriesNul) {
    std::string out;
    append_copy_bytea(out, std::string_view("\x00\xff\t", 3));
    EXPECT_EQ(out, "\\\\x00ff09");
}

TEST(CopyEncoder, TimestampIsUtcWithMilliseconds) {
    std::string out;
    append_copy_timestamp(out, 1700000000123);
    EXPECT_EQ(out, "2023-11-14 22:13:20.123+00");
    out.clear();
    append_copy_timestamp(out, 0);
    EXPECT_EQ(out, "1970-01-01 00:00:00.000+00");
}

TEST(CopyEncoder, TimestampsFarFromNowKeepTheirDateBeyondChronosYears) {
    const auto written = [](int64_t epoch_ms) {
        std::string out;
        append_copy_timestamp(out, epoch_ms);
        return out;
    };
    // A producer that put microseconds in the millisecond field: year 55,840.
    EXPECT_EQ(written(1700000000000000), "55840-11-08 22:13:20.000+00");
    EXPECT_EQ(written(-1), "1969-12-31 23:59:59.999+00");
    EXPECT_EQ(written(-86400001), "1969-12-30 23:59:59.999+00");
    EXPECT_EQ(written(951782400000), "2000-02-29 00:00:00.000+00");
    EXPECT_EQ(written(-62135596800000), "0001-01-01 00:00:00.000+00");
    EXPECT_EQ(written(9224318015999999), "294276-12-31 23:59:59.999+00");
    EXPECT_THROW(written(9224318016000000), std::out_of_range);
    EXPECT_THROW(written(-62135596800001), std::out_of_range);
}

TEST(CopyDecoder, TimestampsReadBackExactlyAndNothingElse) {
    for (const int64_t epoch_ms :
         {int64_t{0}, int64_t{-1}, int64_t{1700000000123}, int64_t{1700000000000000},
          int64_t{-62135596800000}, int64_t{9224318015999999}, int64_t{951782400000}}) {
        std::string out;
        append_copy_timestamp(out, epoch_ms);
        EXPECT_EQ(parse_copy_timestamp(out), epoch_ms) << out;
    }
    EXPECT_EQ(parse_copy_timestamp("2023-04-31 00:00:00.000+00"), std::nullopt);
    EXPECT_EQ(parse_copy_timestamp("2023-01-01 24:00:00.000+00"), std::nullopt);
    EXPECT_EQ(parse_copy_timestamp("2023-01-01 00:00:00+00"), std::nullopt);
    EXPECT_EQ(parse_copy_timestamp("0000-12-31 00:00:00.000+00"), std::nullopt);
    EXPECT_EQ(parse_copy_timestamp("294277-01-01 00:00:00.000+00"), std::nullopt);
}

TEST(CopyEncoder, ATimestampPostgresCannotStoreIsWrittenAsNull) {
    std::string out;
    // Nanoseconds in the millisecond field: past the year 294276.
    append_copy_origin(out, {"p.pin", 0, 7, int64_t{1700000000000000000}, std::nullopt});
    EXPECT_EQ(out, "p.pin\t0\t7\t\\N\t\\N");
}

TEST(CopyEncoder, DeadLetterRowKeepsRawBytes) {
    std::string out;
    append_dead_letter_row(out, "grp", {"p.geo", 1, 9, std::nullopt, std::nullopt},
                           std::string_view("a\0b", 3), "invalid_json", "not valid JSON: x\ty");
    EXPECT_EQ(out,
              "grp\tp.geo\t1\t9\t\\N\t\\N\t\\\\x610062\tinvalid_json\tnot valid JSON: x\\ty\n");
}

TEST(CopyDecoder, OnlyAnUnescapedBackslashNIsNull) {
    std::string line;
    append_copy_text(line, "\\N");  // the two characters \N, as text
    line += "\t\\N\t";
    append_copy_text(line, "a\tb\\");
    const auto fields = decode_copy_text_line(line);
    ASSERT_EQ(fields.size(), 3U);
    EXPECT_EQ(fields[0], "\\N");
    EXPECT_EQ(fields[1], std::nullopt);
    EXPECT_EQ(fields[2], "a\tb\\");
    EXPECT_EQ(decode_copy_text_line(""), (std::vector<std::optional<std::string>>{""}));
}

TEST(CopyEncoder, OriginIsFiveFieldsSharedByStagingRowsAndDeadLetters) {
    std::string out;
    append_copy_origin(out, {"p.pin", 7, 1LL << 40, 0, std::string_view("\\", 1)});
    EXPECT_EQ(out, "p.pin\t7\t1099511627776\t1970-01-01 00:00:00.000+00\t\\\\x5c");
}

}  // namespace
}  // namespace pinpipe::pg
