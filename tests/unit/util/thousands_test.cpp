#include "util/thousands.hpp"

#include <gtest/gtest.h>

namespace pinpipe::util {
namespace {

TEST(GroupThousands, PutsACommaEveryThreeDigits) {
    EXPECT_EQ(group_thousands(0), "0");
    EXPECT_EQ(group_thousands(999), "999");
    EXPECT_EQ(group_thousands(1000), "1,000");
    EXPECT_EQ(group_thousands(1234567), "1,234,567");
    EXPECT_EQ(group_thousands(-1234), "-1,234");
}

}  // namespace
}  // namespace pinpipe::util
