// The generator's splitmix64 stream: its published values, range mapping and distinct picks.
#include "emulate/rng.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace pinpipe::emulate {
namespace {

// The first outputs of splitmix64 seeded with 0, as its reference implementation gives them.
TEST(Rng, MatchesSplitmix64ReferenceOutput) {
    Rng rng(0);
    EXPECT_EQ(rng.next_u64(), 0xe220a8397b1dcdafULL);
    EXPECT_EQ(rng.next_u64(), 0x6e789e6aa1b965f4ULL);
    EXPECT_EQ(rng.next_u64(), 0x06c45d188009454fULL);
}

TEST(Rng, RangesStayWithinTheirBounds) {
    Rng rng(42);
    for (int i = 0; i < 10'000; ++i) {
        ASSERT_LT(rng.below(7), 7U);
        const std::int64_t value = rng.between(-3, 3);
        ASSERT_GE(value, -3);
        ASSERT_LE(value, 3);
    }
}

TEST(Rng, ZeroWeightsAreNeverPicked) {
    Rng rng(1);
    constexpr std::uint32_t kWeights[] = {0, 5, 0, 1};
    for (int i = 0; i < 10'000; ++i) {
        const std::size_t picked = rng.pick_weighted(kWeights);
        ASSERT_TRUE(picked == 1 || picked == 3) << picked;
    }
}

TEST(Rng, ForDistinctVisitsDistinctIndicesAndNoMoreThanThereAre) {
    Rng rng(9);
    std::set<std::size_t> seen;
    int visits = 0;
    for_distinct(rng, 5, 8, [&](std::size_t i) {
        seen.insert(i);
        ++visits;
    });
    EXPECT_EQ(visits, 5);
    EXPECT_EQ(seen, (std::set<std::size_t>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace pinpipe::emulate
