// pinpipe import against a real PostgreSQL (issue #18): the seeds' users have event files.
// Both shapes land in staging and so in clean.*, a bad line becomes a dead letter, and the same
// content is imported exactly once, under any name.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "support/harness.hpp"

namespace pinpipe {
namespace {

namespace fs = std::filesystem;
using testing::run_pinpipe;

class ImportTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_dsn = testing::migrated_database();
        m_dir = pg::make_temp_directory("pinpipe-import-");
    }
    void TearDown() override { fs::remove_all(m_dir); }

    fs::path write(const std::string& name, const std::string& content) const {
        const fs::path path = m_dir / name;
        fs::create_directories(path.parent_path());
        std::ofstream(path) << content;
        return path;
    }

    testing::PinpipeRun import(std::vector<std::string> args) const {
        args.insert(args.begin(), "import");
        args.insert(args.end(), {"--dsn", m_dsn});
        return run_pinpipe(args);
    }

    long long number(const std::string& sql) const {
        pg::Connection cx(m_dsn, "import_test");
        return testing::exec(cx, sql)[0][0].as<long long>();
    }

    std::string m_dsn;
    fs::path m_dir;
};

TEST_F(ImportTest, NewlineDelimitedJsonWithABadLineLoadsTheRestAndDeadLettersIt) {
    const fs::path file =
        write("pins.ndjson",
              "{\"index\": 1, \"category\": \"art\", \"follower_count\": \"7k\"}\n"
              "{\"index\": 2, \"category\": \"travel\"\n"
              "{\"ind\": 1, \"country\": \"Chad\", \"timestamp\": "
              "\"2020-01-01 00:00:00\"}\n"
              "{\"ind\": 1, \"first_name\": \"Ann\", \"age\": 30}\n");
    const auto run = import({file.string()});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("1 pin, 1 geo, 1 user rows, 1 dead letters"), std::string::npos)
        << run.output;
    EXPECT_EQ(number("SELECT count(*) FROM staging.pin_events"), 1);
    EXPECT_EQ(number("SELECT follower_count FROM clean.pins WHERE ind = 1"), 7000);
    EXPECT_EQ(number("SELECT count(*) FROM clean.geolocations WHERE country = 'Chad'"), 1);
    EXPECT_EQ(number("SELECT count(*) FROM etl.dead_letters WHERE consumer = 'pinpipe-import' "
                     "AND reason = 'invalid_json' AND \"offset\" = 2"),
              1);
    EXPECT_EQ(number("SELECT staged_rows FROM etl.imported_files"), 3);
}

TEST_F(ImportTest, TheSeedsOneEventPerFileShapeAndEachContentOnce) {
    const fs::path first = write("events/event-1.json",
                                 "{\n  \"pin\": {\"index\": 5, \"category\": \"art\"},\n"
                                 "  \"geo\": {\"ind\": 5, \"country\": \"Peru\"},\n"
                                 "  \"user\": {\"ind\": 5, \"first_name\": \"Bo\"}\n}\n");
    const fs::path second =
        write("events/event-2.json", "{\"index\": 6, \"category\": \"travel\"}");
    const auto run = import({first.string(), second.string()});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("import: 2 files imported, 0 already imported; 2 pin, 1 geo, 1 "
                              "user rows, 0 dead letters"),
              std::string::npos)
        << run.output;
    EXPECT_EQ(number("SELECT count(*) FROM clean.pins"), 2);

    // Again, and the same content under another name: nothing changes.
    const fs::path copy = write("elsewhere/event-1-copy.json",
                                "{\n  \"pin\": {\"index\": 5, \"category\": \"art\"},\n"
                                "  \"geo\": {\"ind\": 5, \"country\": \"Peru\"},\n"
                                "  \"user\": {\"ind\": 5, \"first_name\": \"Bo\"}\n}\n");
    const auto again = import({first.string(), second.string(), copy.string()});
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("0 files imported, 3 already imported"), std::string::npos)
        << again.output;
    EXPECT_EQ(number("SELECT count(*) FROM staging.pin_events"), 2);
    EXPECT_EQ(number("SELECT count(*) FROM etl.imported_files"), 2);
}

TEST_F(ImportTest, OnATerminalAStatusLineCountsFilesAndBytesAndMakesWayForEachFilesLine) {
    const fs::path first = write("a.json", "{\"index\": 6, \"category\": \"travel\"}");
    const fs::path second = write("b.json", "{\"index\": 7, \"category\": \"art\"}");
    const auto run = testing::run_pinpipe_on_terminal(
        {"import", first.string(), second.string(), "--dsn", m_dsn});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(fmt::format("\rimport: 0 of {} bytes (0.0%), 0/s, file 1 of 2",
                                          fs::file_size(first) + fs::file_size(second))),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find(fmt::format("\rimport: {} of ", fs::file_size(first))),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("file 2 of 2"), std::string::npos) << run.output;
    // Erased before each file's line; nothing is left on the line of the summary.
    EXPECT_NE(run.output.find("\r\x1b[K" + first.string() + ": 1 pin"), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("\r\nimport: 2 files imported"), std::string::npos) << run.output;

    // Not on a terminal: the output of before, with no status line.
    const fs::path third = write("c.json", "{\"index\": 8, \"category\": \"art\"}");
    const auto piped = import({third.string()});
    ASSERT_EQ(piped.exit_code, 0) << piped.output;
    EXPECT_EQ(piped.output.find('\r'), std::string::npos) << piped.output;
    EXPECT_EQ(piped.output.find("bytes"), std::string::npos) << piped.output;
}

TEST_F(ImportTest, UsageAndUnreadableFilesFailClearly) {
    EXPECT_EQ(import({}).exit_code, 2);
    EXPECT_EQ(import({"--kind", "pins", "x.json"}).exit_code, 2);
    const auto missing = import({(m_dir / "nope.json").string()});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.output.find("could not open"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace pinpipe
