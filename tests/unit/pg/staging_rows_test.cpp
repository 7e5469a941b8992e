#include "pg/staging_rows.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pinpipe::pg {
namespace {

using namespace std::string_literals;

TEST(StagingRows, RowIsOneLineOfCopyTextInTheStagingColumnsOrder) {
    StagingRows rows;
    rows.append({"t", 1, 2, 946684800001, std::string_view("k")}, "{}");
    // topic, partition, offset, timestamp (UTC), key as bytea hex, payload as jsonb text
    const std::string expected = "t\t1\t2\t2000-01-01 00:00:00.001+00\t\\\\x6b\t{}\n";
    EXPECT_EQ(rows.text(), expected);
    EXPECT_EQ(rows.row(0), expected);
    EXPECT_EQ(rows.count(), 1u);
    EXPECT_EQ(rows.bytes(), expected.size());
}

TEST(StagingRows, MissingTimestampAndKeyAreNull) {
    StagingRows rows;
    rows.append({"t", 0, 0, std::nullopt, std::nullopt}, "1");
    EXPECT_EQ(rows.text(), "t\t0\t0\t\\N\t\\N\t1\n");
    const StagingRow decoded = decode_staging_row(rows.row(0));
    EXPECT_FALSE(decoded.timestamp_ms);
    EXPECT_FALSE(decoded.key);
}

TEST(StagingRows, PayloadsAreEscapedOnceForCopyAndKeysGoInHex) {
    StagingRows rows;
    // A JSON text's own escapes (backslashes) and a raw tab, newline and carriage return.
    rows.append({"t", 0, 0, std::nullopt, std::string_view("\0\t\xff", 3)},
                "{\"a\":\"x\\\\y\\n\"}\t\n\r C\u00f4te \U0001F600");
    EXPECT_EQ(
        rows.row(0),
        "t\t0\t0\t\\N\t\\\\x0009ff\t{\"a\":\"x\\\\\\\\y\\\\n\"}\\t\\n\\r C\u00f4te \U0001F600\n");
}

TEST(StagingRows, RowsDecodeToWhatWasAppendedWithoutEscaping) {
    StagingRows rows;
    const std::string awkward = "{\"t\":\"a\\tb\\\\ \\n \\\" Côte 😀\"}";
    rows.append({"p.pin", 2, 5, 1700000000123, std::string_view("\0k\t", 3)}, awkward);
    rows.append({"p.pin", 31, 1LL << 40, 0, std::nullopt}, "{}");
    ASSERT_EQ(rows.count(), 2u);
    EXPECT_EQ(rows.row(0).size() + rows.row(1).size(), rows.bytes());

    const StagingRow first = decode_staging_row(rows.row(0));
    EXPECT_EQ(first.topic, "p.pin");
    EXPECT_EQ(first.partition, 2);
    EXPECT_EQ(first.offset, 5);
    EXPECT_EQ(first.timestamp_ms, 1700000000123);
    EXPECT_EQ(first.key, std::string("\0k\t", 3));
    EXPECT_EQ(first.payload, awkward);
    EXPECT_EQ(first.origin().key, std::string_view("\0k\t", 3));

    const StagingRow second = decode_staging_row(rows.row(1));
    EXPECT_EQ(second.partition, 31);
    EXPECT_EQ(second.offset, 1LL << 40);
    EXPECT_EQ(second.timestamp_ms, 0);  // the Unix epoch, before PostgreSQL's
    EXPECT_EQ(second.payload, "{}");
}

TEST(StagingRows, PartitionOrderGroupsPartitionsAndKeepsEachOnesOrder) {
    StagingRows rows;
    const std::vector<std::pair<int32_t, int64_t>> appended = {{3, 10}, {1, 7}, {3, 11},
                                                               {0, 5},  {1, 8}, {3, 12}};
    for (const auto& [partition, offset] : appended) {
        rows.append({"t", partition, offset, 0, std::nullopt}, "{}");
    }
    std::vector<std::pair<int32_t, int64_t>> ordered;
    for (const std::string_view row : rows.rows_in_partition_order()) {
        const StagingRow decoded = decode_staging_row(row);
        ordered.emplace_back(decoded.partition, decoded.offset);
    }
    EXPECT_EQ(ordered, (std::vector<std::pair<int32_t, int64_t>>{
                           {0, 5}, {1, 7}, {1, 8}, {3, 10}, {3, 11}, {3, 12}}));
}

TEST(StagingRows, DecodingRefusesWhatItDidNotWrite) {
    StagingRows rows;
    rows.append({"t", 0, 0, 0, std::nullopt}, "{}");
    const std::string row(rows.row(0));
    EXPECT_THROW(decode_staging_row(""), std::invalid_argument);
    EXPECT_THROW(decode_staging_row(row.substr(0, row.size() - 1)), std::invalid_argument);
    EXPECT_THROW(decode_staging_row(row + "x\n"), std::invalid_argument);
    EXPECT_THROW(decode_staging_row("t\tx\t0\t\\N\t\\N\t{}\n"), std::invalid_argument);
    EXPECT_THROW(decode_staging_row("t\t0\t0\tyesterday\t\\N\t{}\n"), std::invalid_argument);
    EXPECT_THROW(decode_staging_row("t\t0\t0\t\\N\t\\\\x6\t{}\n"), std::invalid_argument);
    EXPECT_THROW(decode_staging_row("t\t0\t0\t\\N\t\\N\t\\N\n"), std::invalid_argument);
}

}  // namespace
}  // namespace pinpipe::pg
