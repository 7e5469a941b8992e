#include "consume/engine.hpp"

#include <gtest/gtest.h>

namespace pinpipe::consume {
namespace {

// The engine is load's and stream's alike: unless a command names its own failpoints, arming
// load.* must not stop a stream or a test's consumer.
TEST(ConsumerOptions, HaveNoFailpointsUntilTheCommandNamesItsOwn) {
    const ConsumerOptions options;
    EXPECT_FALSE(options.failpoints.after_claim);
    EXPECT_FALSE(options.failpoints.mid_batch);
    EXPECT_FALSE(options.failpoints.after_commit);
}

}  // namespace
}  // namespace pinpipe::consume
