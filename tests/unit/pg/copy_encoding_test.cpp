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
