// pinpipe import against a real PostgreSQL (issue #18): the seeds' users have event files.
// Both shapes land in staging and so in clean.*, a bad line becomes a dead letter (a line
// PostgreSQL itself rejects too: the file's other rows go in), and the same content is imported
// exactly once, under any name.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "ops/import_store.hpp"
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

// Drift fixed: import waited without bound for the fold lock that a hung load (or an open
// transaction of an administrator's) held.
TEST_F(ImportTest, AFoldLockHeldElsewhereFailsTheFileAfterLockTimeoutNamingItsHolder) {
    pg::Connection holder(m_dsn, "holds_the_fold_lock");
    pqxx::work holding(holder);
    const long long holder_pid = holding.exec1("SELECT pg_backend_pid()")[0].as<long long>();
    holding.exec("SELECT analytics.lock_live_state()");

    const fs::path file = write("pins.ndjson", "{\"index\": 1, \"category\": \"art\"}\n");
    const auto run = import({file.string(), "--lock-timeout-ms", "200"});
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find(fmt::format("fold lock, held by pid {}", holder_pid)),
              std::string::npos)
        << run.output;
    holding.abort();
    EXPECT_EQ(number("SELECT count(*) FROM staging.pin_events"), 0);
    EXPECT_EQ(number("SELECT count(*) FROM etl.imported_files"), 0);
    // Once the lock is free the same file goes in.
    EXPECT_EQ(import({file.string()}).exit_code, 0);
    EXPECT_EQ(number("SELECT count(*) FROM clean.pins"), 1);
}

// A CHECK that is simply false raises 23514, not a data exception: the line is still the one
// at fault, and becomes a dead letter like any other.
TEST_F(ImportTest, ALineThatFailsACheckBecomesADeadLetterAndTheRestOfTheFileGoesIn) {
    {
        pg::Connection admin(m_dsn, "import_test");
        testing::exec(admin,
                      "ALTER TABLE staging.pin_events ADD CONSTRAINT n_is_positive "
                      "CHECK (coalesce((payload ->> 'n')::int, 1) > 0)");
    }
    std::string content;
    for (int line = 1; line <= 100; ++line) {
        content += fmt::format(R"({{"index": {}, "category": "art", "n": {}}})", line,
                               line == 40 || line == 41 ? -1 : 1);
        content += '\n';
    }
    const auto run = import({write("pins.ndjson", content).string()});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(number("SELECT count(*) FROM staging.pin_events"), 98);
    EXPECT_EQ(number("SELECT count(*) FROM etl.dead_letters WHERE reason = "
                     "'rejected_by_postgres' AND \"offset\" IN (40, 41) AND error LIKE "
                     "'%n_is_positive%'"),
              2);
    EXPECT_EQ(run_pinpipe({"refresh", "--verify", "--dsn", m_dsn}).exit_code, 0);
}

TEST_F(ImportTest, ALinePostgresRejectsBecomesADeadLetterAndTheRestOfTheFileGoesIn) {
    // A constraint a DBA might add: casting "abc" raises a data exception (SQLSTATE 22P02) that
    // the validator cannot foresee.
    {
        pg::Connection admin(m_dsn, "import_test");
        testing::exec(admin,
                      "ALTER TABLE staging.pin_events ADD CONSTRAINT n_is_positive "
                      "CHECK (coalesce((payload ->> 'n')::int, 1) > 0)");
    }
    constexpr int pins = 2000;
    constexpr int bad_line = 1234;
    const std::string bad_text = fmt::format(R"({{"index": {}, "n": "abc"}})", bad_line);
    std::string content;
    for (int line = 1; line <= pins; ++line) {
        content += line == bad_line
                       ? bad_text
                       : fmt::format(R"({{"index": {}, "category": "art", "n": 1}})", line);
        content += '\n';
    }
    const fs::path file = write("pins.ndjson", content);

    pg::Connection cx(m_dsn, "import_test");
    const ops::ImportOutcome outcome =
        ops::import_file(cx, file, std::nullopt, /*max_message_bytes=*/size_t{1} << 20,
                         /*lock_timeout=*/std::chrono::seconds(30));
    ASSERT_FALSE(outcome.already_imported);
    EXPECT_EQ(outcome.records, static_cast<uint64_t>(pins));
    EXPECT_EQ(outcome.rows[0], static_cast<uint64_t>(pins - 1));
    EXPECT_EQ(outcome.dead_letters, 1U);
    EXPECT_EQ(outcome.rejected_by_postgres, 1U);
    // Found by halving the COPY, not by sending each of the 2,000 rows alone: at most
    // ceil(log2 n) + 3 statements (pg/row_bisection.hpp), and more than the one that failed.
    EXPECT_GT(outcome.copy_statements, 1U);
    EXPECT_LE(outcome.copy_statements, static_cast<uint64_t>(std::ceil(std::log2(pins))) + 3);

    EXPECT_EQ(number("SELECT count(*) FROM staging.pin_events"), pins - 1);
    EXPECT_EQ(number("SELECT count(*) FROM clean.pins"), pins - 1);
    EXPECT_EQ(number(fmt::format("SELECT count(*) FROM clean.pins WHERE ind = {}", bad_line)), 0);
    // The dead letter names the file's content and line, keeps the line as it was, and says
    // what PostgreSQL said.
    const pqxx::result letter =
        testing::exec(cx,
                      "SELECT consumer, topic, \"offset\", convert_from(payload, 'UTF8'), error "
                      "FROM etl.dead_letters WHERE reason = 'rejected_by_postgres'");
    ASSERT_EQ(letter.size(), 1U);
    EXPECT_EQ(letter[0][0].as<std::string>(), "pinpipe-import");
    EXPECT_EQ(letter[0][1].as<std::string>(), "import:" + outcome.content_sha256 + ".pin");
    EXPECT_EQ(letter[0][2].as<int>(), bad_line);
    EXPECT_EQ(letter[0][3].as<std::string>(), bad_text);
    EXPECT_NE(letter[0][4].as<std::string>().find("invalid input syntax for type integer"),
              std::string::npos)
        << letter[0][4].as<std::string>();
    EXPECT_EQ(number("SELECT count(*) FROM etl.dead_letters"), 1);
    EXPECT_EQ(number("SELECT staged_rows FROM etl.imported_files"), pins - 1);
    EXPECT_EQ(number("SELECT dead_letters FROM etl.imported_files"), 1);
    EXPECT_EQ(number("SELECT records FROM etl.imported_files"), pins);

    const auto verify = run_pinpipe({"refresh", "--verify", "--dsn", m_dsn});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;

    // The file counts as imported once: again, nothing is written and nothing dead-lettered twice.
    const auto again = import({file.string()});
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("0 files imported, 1 already imported"), std::string::npos)
        << again.output;
    EXPECT_EQ(number("SELECT count(*) FROM staging.pin_events"), pins - 1);
    EXPECT_EQ(number("SELECT count(*) FROM etl.dead_letters"), 1);
    EXPECT_EQ(number("SELECT count(*) FROM etl.imported_files"), 1);
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
