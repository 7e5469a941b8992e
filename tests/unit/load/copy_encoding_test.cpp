#include "load/copy_encoding.hpp"

#include <gtest/gtest.h>

namespace pinpipe::load {
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

TEST(CopyEncoder, StagingRowHasSixFieldsAndNullsForMissingParts) {
    std::string out;
    append_staging_row(out, {"p.pin", 3, 42, std::nullopt, std::nullopt}, "{\"index\":1}");
    EXPECT_EQ(out, "p.pin\t3\t42\t\\N\t\\N\t{\"index\":1}\n");
    out.clear();
    append_staging_row(out, {"p.pin", 0, 7, 0, std::string_view("12")}, "{}");
    EXPECT_EQ(out, "p.pin\t0\t7\t1970-01-01 00:00:00.000+00\t\\\\x3132\t{}\n");
}

TEST(CopyEncoder, DeadLetterRowKeepsRawBytes) {
    std::string out;
    append_dead_letter_row(out, "grp", {"p.geo", 1, 9, std::nullopt, std::nullopt},
                           std::string_view("a\0b", 3), "invalid_json", "not valid JSON: x\ty");
    EXPECT_EQ(out,
              "grp\tp.geo\t1\t9\t\\N\t\\N\t\\\\x610062\tinvalid_json\tnot valid JSON: x\\ty\n");
}

}  // namespace
}  // namespace pinpipe::load

namespace pinpipe::load {
namespace {

TEST(CopyEncoder, UnescapeInvertsEscape) {
    for (const std::string_view value : {"a\tb\nc\rd\\e", "\\\\\\", "plain", "ends with \\"}) {
        EXPECT_EQ(unescape_copy_text(text(value)), value);
    }
}

TEST(CopyEncoder, RejectedStagingRowBecomesDeadLetterWithRawPayload) {
    std::string row;
    append_staging_row(row, {"p.pin", 2, 5, 0, std::string_view("k")}, "{\"t\":\"a\\tb\"}");
    row.pop_back();  // the newline
    EXPECT_EQ(staging_row_to_dead_letter(row, "grp", "rejected_by_postgres", "bad"),
              "grp\tp.pin\t2\t5\t1970-01-01 00:00:00.000+00\t\\\\x6b\t\\\\x"
              "7b2274223a22615c7462227d\trejected_by_postgres\tbad\n");
}

}  // namespace
}  // namespace pinpipe::load
