#include "load/staging_rows.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pinpipe::load {
namespace {

using namespace std::string_literals;

TEST(StagingRows, RowIsBigEndianBinaryWithJsonbVersionByte) {
    StagingRows rows;
    rows.append({"t", 1, 2, 946684800001, std::string_view("k")}, "{}");
    const std::string expected =
        "\x00\x06"s                              // six fields
        "\x00\x00\x00\x01t"s                     // topic
        "\x00\x00\x00\x04\x00\x00\x00\x01"s      // partition (int4)
        "\x00\x00\x00\x08\0\0\0\0\0\0\0\x02"s    // offset (int8)
        "\x00\x00\x00\x08\0\0\0\0\0\0\x03\xe8"s  // 2000-01-01 00:00:00.001 UTC in microseconds
        "\x00\x00\x00\x01k"s                     // key (bytea)
        "\x00\x00\x00\x03\x01{}"s;               // payload: jsonb version 1, then the text
    EXPECT_EQ(rows.tuples(), expected);
    EXPECT_EQ(rows.count(), 1u);
    EXPECT_EQ(rows.bytes(), expected.size());
}

TEST(StagingRows, MissingTimestampAndKeyAreNull) {
    StagingRows rows;
    rows.append({"t", 0, 0, std::nullopt, std::nullopt}, "1");
    EXPECT_NE(rows.tuples().find("\xff\xff\xff\xff\xff\xff\xff\xff"s), std::string::npos);
    const StagingRow decoded = decode_staging_row(rows.row(0));
    EXPECT_FALSE(decoded.at.timestamp_ms);
    EXPECT_FALSE(decoded.at.key);
}

TEST(StagingRows, RowsDecodeToWhatWasAppendedWithoutEscaping) {
    StagingRows rows;
    const std::string awkward = "{\"t\":\"a\\tb\\\\ \\n \\\" Côte 😀\"}";
    rows.append({"p.pin", 2, 5, 1700000000123, std::string_view("\0k\t", 3)}, awkward);
    rows.append({"p.pin", 31, 1LL << 40, 0, std::nullopt}, "{}");
    ASSERT_EQ(rows.count(), 2u);
    EXPECT_EQ(rows.row(0).size() + rows.row(1).size(), rows.bytes());

    const StagingRow first = decode_staging_row(rows.row(0));
    EXPECT_EQ(first.at.topic, "p.pin");
    EXPECT_EQ(first.at.partition, 2);
    EXPECT_EQ(first.at.offset, 5);
    EXPECT_EQ(first.at.timestamp_ms, 1700000000123);
    EXPECT_EQ(first.at.key, std::string_view("\0k\t", 3));
    EXPECT_EQ(first.payload, awkward);

    const StagingRow second = decode_staging_row(rows.row(1));
    EXPECT_EQ(second.at.partition, 31);
    EXPECT_EQ(second.at.offset, 1LL << 40);
    EXPECT_EQ(second.at.timestamp_ms, 0);  // the Unix epoch, before PostgreSQL's
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
        ordered.emplace_back(decoded.at.partition, decoded.at.offset);
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
    EXPECT_THROW(decode_staging_row(row + "x"), std::invalid_argument);
    EXPECT_THROW(decode_staging_row("\x00\x05"s + row.substr(2)), std::invalid_argument);
}

}  // namespace
}  // namespace pinpipe::load
