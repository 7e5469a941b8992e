#include "obs/log.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/errors.hpp"

namespace pinpipe::obs {
namespace {

TEST(LogLine, TextQuotesValuesWithSpaces) {
    EXPECT_EQ(format_log_line(LogFormat::text, LogLevel::info, "loaded",
                              {{"rows", "10"}, {"topic", "a b"}}, "2026-01-01T00:00:00Z"),
              "2026-01-01T00:00:00Z info: loaded rows=10 topic=\"a b\"");
}

TEST(LogLine, JsonIsOneParsableObject) {
    const std::string line = format_log_line(LogFormat::json, LogLevel::error, "boom \"x\"",
                                             {{"detail", "line\nbreak"}}, "t");
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto parsed = nlohmann::json::parse(line);
    EXPECT_EQ(parsed["level"], "error");
    EXPECT_EQ(parsed["msg"], "boom \"x\"");
    EXPECT_EQ(parsed["detail"], "line\nbreak");
}

TEST(LogLine, InvalidUtf8DoesNotThrow) {
    EXPECT_NO_THROW(format_log_line(LogFormat::json, LogLevel::info, "bad \xff byte", {}, "t"));
}

TEST(LogFormatName, RejectsUnknown) {
    EXPECT_EQ(parse_log_format("json"), LogFormat::json);
    EXPECT_THROW(parse_log_format("xml"), UsageError);
}

}  // namespace
}  // namespace pinpipe::obs
