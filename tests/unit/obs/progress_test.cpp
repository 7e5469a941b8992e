#include "obs/progress.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace pinpipe::obs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ProgressEnabled, JsonLogsAndNoProgressWinOverEverything) {
    EXPECT_FALSE(progress_enabled(ProgressMode::on, /*stderr_is_tty=*/true, /*json_logs=*/true));
    EXPECT_FALSE(progress_enabled(ProgressMode::off, /*stderr_is_tty=*/true, /*json_logs=*/false));
    EXPECT_TRUE(progress_enabled(ProgressMode::on, /*stderr_is_tty=*/false, /*json_logs=*/false));
    EXPECT_TRUE(
        progress_enabled(ProgressMode::automatic, /*stderr_is_tty=*/true, /*json_logs=*/false));
    EXPECT_FALSE(
        progress_enabled(ProgressMode::automatic, /*stderr_is_tty=*/false, /*json_logs=*/false));
}

TEST(FormatDuration, MinutesThenHours) {
    EXPECT_EQ(format_duration(5), "0:05");
    EXPECT_EQ(format_duration(125.4), "2:05");
    EXPECT_EQ(format_duration(3 * 3600 + 61), "3:01:01");
    EXPECT_EQ(format_duration(-1), "0:00");
}

TEST(FormatProgress, KnownTotalShowsPercentRateAndEta) {
    const ProgressFigures figures{"load", "messages", 12345, 50000, 2.0, ""};
    // 6,172.5/s; 37,655 left take 6.1 s.
    EXPECT_EQ(format_progress(figures, 200),
              "load: 12,345 of 50,000 messages (24.7%), 6,173/s, ETA 0:06");
}

TEST(FormatProgress, OpenEndedRunShowsCountRateAndExtra) {
    const ProgressFigures figures{"load", "messages", 3000, std::nullopt, 1.5, "lag 42"};
    EXPECT_EQ(format_progress(figures, 200), "load: 3,000 messages, 2,000/s, lag 42");
}

TEST(FormatProgress, NoEtaBeforeAnythingMovedNorOnceDone) {
    EXPECT_EQ(format_progress({"emulate", "events", 0, 10, 0.0, ""}, 200),
              "emulate: 0 of 10 events (0.0%), 0/s");
    EXPECT_EQ(format_progress({"emulate", "events", 10, 10, 1.0, ""}, 200),
              "emulate: 10 of 10 events (100.0%), 10/s");
    EXPECT_EQ(format_progress({"load", "messages", 0, 0, 1.0, ""}, 200),
              "load: 0 of 0 messages (100.0%), 0/s");
}

TEST(FormatProgress, IsCutToTheWidthSoThatItNeverWraps) {
    const ProgressFigures figures{"load", "messages", 12345, 50000, 2.0, ""};
    EXPECT_EQ(format_progress(figures, 20), "load: 12,345 of 50,0");
}

TEST(RedrawDue, FirstAlwaysThenOncePerInterval) {
    const Clock::time_point start{};
    EXPECT_TRUE(redraw_due(std::nullopt, start, 200ms));
    EXPECT_FALSE(redraw_due(start, start + 199ms, 200ms));
    EXPECT_TRUE(redraw_due(start, start + 200ms, 200ms));
}

TEST(ProgressLine, RedrawsInPlaceThrottledAndErasesItselfOnFinish) {
    std::ostringstream out;
    const Clock::time_point start{};
    {
        ProgressLine line(/*enabled=*/true, out, /*width=*/10);
        line.update("first", start);
        line.update("skipped", start + 50ms);
        line.update("third line is long", start + 250ms);
        line.finish();
    }
    EXPECT_EQ(out.str(), "\rfirst\x1b[K\rthird line\x1b[K\r\x1b[K");
}

TEST(ProgressLine, DisabledWritesNothingAtAll) {
    std::ostringstream out;
    {
        ProgressLine line(/*enabled=*/false, out, /*width=*/80);
        line.update("x", Clock::time_point{});
        line.finish();
    }
    EXPECT_EQ(out.str(), "");
}

TEST(ProgressLine, NothingDrawnMeansNothingToErase) {
    std::ostringstream out;
    { ProgressLine line(/*enabled=*/true, out, /*width=*/80); }
    EXPECT_EQ(out.str(), "");
}

TEST(ProgressLine, WriteLineErasesTheStatusLineFirstAndTheNextUpdateRedrawsAtOnce) {
    std::ostringstream out;
    std::ostringstream data;
    const Clock::time_point start{};
    ProgressLine line(/*enabled=*/true, out, /*width=*/80);
    line.update("busy", start);
    line.write_line(data, "applied 0001_a.sql");
    line.update("next", start + 1ms);
    EXPECT_EQ(out.str(), "\rbusy\x1b[K\r\x1b[K\rnext\x1b[K");
    EXPECT_EQ(data.str(), "applied 0001_a.sql\n");
}

TEST(ProgressLine, MakesWayForALogLineWhileDrawnAndNotAfterItsEnd) {
    std::ostringstream out;
    {
        ProgressLine line(/*enabled=*/true, out, /*width=*/80);
        line.update("busy", Clock::time_point{});
        make_way_for_log_line();
        EXPECT_EQ(out.str(), "\rbusy\x1b[K\r\x1b[K");
    }
    make_way_for_log_line();  // no line alive: nothing to do, nothing touched
    EXPECT_EQ(out.str(), "\rbusy\x1b[K\r\x1b[K");
}

TEST(ProgressTicker, DrawsOnceAtOnceAndStopsWhenDestroyed) {
    std::ostringstream out;
    ProgressLine line(/*enabled=*/true, out, /*width=*/80);
    {
        ProgressTicker ticker(line, [] { return std::string("migrate: 0001_a.sql"); });
    }
    EXPECT_EQ(out.str().rfind("\rmigrate: 0001_a.sql\x1b[K", 0), 0u) << out.str();
}

TEST(ProgressTicker, DisabledLineStartsNoThreadAndAsksNothing) {
    std::ostringstream out;
    ProgressLine line(/*enabled=*/false, out, /*width=*/80);
    bool asked = false;
    {
        ProgressTicker ticker(line, [&asked] {
            asked = true;
            return std::string();
        });
    }
    EXPECT_FALSE(asked);
    EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace pinpipe::obs
