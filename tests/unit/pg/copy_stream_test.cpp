#include "pg/copy_stream.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace pinpipe::pg {
namespace {

TEST(CopyLines, SplitKeepsEachLinesNewline) {
    EXPECT_EQ(split_copy_lines("a\tb\nc\\n\n"),
              (std::vector<std::string_view>{"a\tb\n", "c\\n\n"}));
    EXPECT_TRUE(split_copy_lines("").empty());
    EXPECT_THROW(split_copy_lines("a\nb"), std::logic_error);
}

}  // namespace
}  // namespace pinpipe::pg
