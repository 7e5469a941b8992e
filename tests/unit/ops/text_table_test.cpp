#include "ops/text_table.hpp"

#include <gtest/gtest.h>

namespace pinpipe::ops {
namespace {

TEST(TextTable, AlignsColumnsByCodePointsWithoutTrailingBlanks) {
    TextTable table;
    table.columns = {{"name"}, {"rows", Align::right}, {"note"}};
    table.rows = {{"Zoë", "1,234", ""}, {"staging.pin_events", "5", "x"}};
    EXPECT_EQ(render_table(table),
              "name                 rows  note\n"
              "Zoë                 1,234\n"
              "staging.pin_events      5  x\n");
}

TEST(TextTable, RowWithWrongCellCountIsAProgrammerError) {
    TextTable table;
    table.columns = {{"a"}, {"b"}};
    table.rows = {{"only one"}};
    EXPECT_THROW(render_table(table), std::logic_error);
}

TEST(TextTable, HumanDurationPicksTwoUnits) {
    EXPECT_EQ(human_duration(0.42), "0.4 s");
    EXPECT_EQ(human_duration(-3), "0.0 s");
    EXPECT_EQ(human_duration(42), "42 s");
    EXPECT_EQ(human_duration(184), "3 min 4 s");
    EXPECT_EQ(human_duration(7500), "2 h 5 min");
    EXPECT_EQ(human_duration(3 * 86400 + 4 * 3600 + 59), "3 d 4 h");
}

TEST(TextTable, ExcerptCutsOnCodePointsAndFlattensNewlines) {
    EXPECT_EQ(one_line_excerpt("short", 10), "short");
    EXPECT_EQ(one_line_excerpt("line one\nline two", 40), "line one line two");
    EXPECT_EQ(one_line_excerpt("abcdefghij", 6), "abc...");
    EXPECT_EQ(one_line_excerpt("ééééééé", 5), "éé...");
    EXPECT_EQ(one_line_excerpt("abcdef", 6), "abcdef");
}

}  // namespace
}  // namespace pinpipe::ops
