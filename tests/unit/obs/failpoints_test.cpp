#include "obs/failpoints.hpp"

#include <gtest/gtest.h>
#include <pqxx/except>

#include <chrono>
#include <set>

#include "pg/failpoint.hpp"
#include "util/errors.hpp"

namespace pinpipe::obs {
namespace {

using namespace std::chrono_literals;

class Failpoints : public ::testing::Test {
  protected:
    void TearDown() override { disarm_failpoints(); }
};

TEST_F(Failpoints, CatalogNamesAreUniqueDescribedAndCoverLoadStreamAndServe) {
    std::set<std::string_view> names;
    size_t load = 0;
    size_t stream = 0;
    for (size_t index = 0; index < failpoint_count; ++index) {
        const FailpointInfo& info = failpoint_catalog()[index];
        EXPECT_EQ(static_cast<size_t>(info.point), index) << info.name;
        EXPECT_TRUE(names.insert(info.name).second) << info.name;
        EXPECT_FALSE(info.description.empty()) << info.name;
        EXPECT_EQ(info.description.find('\t'), std::string_view::npos) << info.name;
        load += info.name.starts_with("load.") ? 1 : 0;
        stream += info.name.starts_with("stream.") ? 1 : 0;
    }
    EXPECT_GE(load, 4U);
    EXPECT_GE(stream, 4U);
    EXPECT_TRUE(names.contains("serve.after_produce_before_answer"));
}

TEST_F(Failpoints, ParsesEveryActionWithAndWithoutAHit) {
    const auto armings = parse_failpoints(
        "load.after_copy=crash,stream.before_commit=error@3,load.mid_batch=delay:250,"
        "stream.after_claim=stop@1");
    ASSERT_EQ(armings.size(), 4U);
    EXPECT_EQ(armings[0].point, Failpoint::load_after_copy);
    EXPECT_EQ(armings[0].action, FailpointAction::crash);
    EXPECT_EQ(armings[0].on_hit, 0U);
    EXPECT_EQ(armings[1].point, Failpoint::stream_before_commit);
    EXPECT_EQ(armings[1].action, FailpointAction::error);
    EXPECT_EQ(armings[1].on_hit, 3U);
    EXPECT_EQ(armings[2].action, FailpointAction::delay);
    EXPECT_EQ(armings[2].delay, 250ms);
    EXPECT_EQ(armings[3].action, FailpointAction::stop);
    EXPECT_EQ(armings[3].on_hit, 1U);
    EXPECT_TRUE(parse_failpoints("").empty());
}

TEST_F(Failpoints, RejectsUnknownNamesAndBadSyntaxNamingTheItem) {
    const auto message_of = [](const char* spec) {
        try {
            parse_failpoints(spec);
        } catch (const UsageError& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(message_of("load.after_copy=crash,load.nowhere=crash")
                  .find("unknown failpoint \"load.nowhere\""),
              std::string::npos);
    EXPECT_NE(message_of("load.after_copy").find("no \"=\""), std::string::npos);
    EXPECT_NE(message_of("load.after_copy=explode").find("unknown action \"explode\""),
              std::string::npos);
    EXPECT_NE(message_of("load.after_copy=crash@0").find("positive integer"), std::string::npos);
    EXPECT_NE(message_of("load.after_copy=crash@x").find("positive integer"), std::string::npos);
    EXPECT_NE(message_of("load.after_copy=delay:").find("milliseconds"), std::string::npos);
    EXPECT_NE(message_of("load.after_copy=delay:-5").find("milliseconds"), std::string::npos);
    EXPECT_NE(message_of("x=crash").find("pinpipe failpoints lists the names"), std::string::npos);
}

TEST_F(Failpoints, AMalformedSpecArmsNothing) {
    EXPECT_THROW(arm_failpoints("load.after_copy=error,bogus=crash"), UsageError);
    EXPECT_FALSE(failpoint_armed(Failpoint::load_after_copy));
    EXPECT_NO_THROW(failpoint(Failpoint::load_after_copy));
}

TEST_F(Failpoints, UnarmedPointsDoNothingAndCountNothing) {
    for (const FailpointInfo& info : failpoint_catalog()) {
        EXPECT_NO_THROW(failpoint(info.point));
        EXPECT_EQ(failpoint_hits(info.point), 0U);
    }
}

TEST_F(Failpoints, ErrorAtAnHitFiresOnlyAtThatHit) {
    arm_failpoints("serve.after_produce_before_answer=error@2");
    EXPECT_NO_THROW(failpoint(Failpoint::serve_after_produce_before_answer));
    EXPECT_THROW(failpoint(Failpoint::serve_after_produce_before_answer), FailpointError);
    EXPECT_NO_THROW(failpoint(Failpoint::serve_after_produce_before_answer));
    EXPECT_EQ(failpoint_hits(Failpoint::serve_after_produce_before_answer), 3U);
}

TEST_F(Failpoints, ErrorWithoutAHitFiresEveryTime) {
    arm_failpoints("stream.mid_batch=error");
    EXPECT_THROW(failpoint(Failpoint::stream_mid_batch), FailpointError);
    EXPECT_THROW(failpoint(Failpoint::stream_mid_batch), FailpointError);
}

TEST_F(Failpoints, PostgresPointsFailAsALostConnection) {
    arm_failpoints("load.before_commit=error");
    try {
        pg::failpoint(Failpoint::load_before_commit);
        FAIL() << "no error";
    } catch (const pqxx::broken_connection& error) {
        EXPECT_NE(std::string(error.what()).find("failpoint load.before_commit"),
                  std::string::npos);
    }
    EXPECT_NO_THROW(pg::failpoint(Failpoint::load_after_copy));
}

TEST_F(Failpoints, DelayPausesTheCaller) {
    arm_failpoints("load.mid_batch=delay:60");
    const auto started = std::chrono::steady_clock::now();
    failpoint(Failpoint::load_mid_batch);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 60ms);
}

TEST_F(Failpoints, RearmingReplacesThePreviousPoints) {
    arm_failpoints("load.after_copy=error");
    arm_failpoints("load.after_commit=error");
    EXPECT_FALSE(failpoint_armed(Failpoint::load_after_copy));
    EXPECT_TRUE(failpoint_armed(Failpoint::load_after_commit));
}

using FailpointsDeathTest = Failpoints;

TEST_F(FailpointsDeathTest, CrashExitsAtOnceWithItsOwnStatus) {
    EXPECT_EXIT(
        {
            arm_failpoints("load.after_copy=crash@2");
            failpoint(Failpoint::load_after_copy);
            failpoint(Failpoint::load_after_copy);
        },
        ::testing::ExitedWithCode(failpoint_crash_exit_code), "failpoint load.after_copy: crash");
}

}  // namespace
}  // namespace pinpipe::obs
