// Partitioned staging and pinpipe retention against a real throwaway PostgreSQL: rows of any
// timestamp land, retention drops only what is older than --keep and changes neither clean.* nor
// an answer, loading goes on afterwards; the migration from unpartitioned staging keeps every row
// and every answer.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "emulate/generator.hpp"
#include "events/validation.hpp"
#include "obs/failpoints.hpp"
#include "pg/connection.hpp"
#include "pg/migrations.hpp"
#include "pg/staging_rows.hpp"
#include "pg/staging_writer.hpp"
#include "support/faults.hpp"
#include "support/harness.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

using testing::run_pinpipe;

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
constexpr std::uint64_t kSeed = 14;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

long long count(pqxx::connection_base& cx, const std::string& sql) {
    return testing::exec(cx, sql)[0][0].as<long long>();
}

// COPYs the pin, geo and user messages of inds [first, last) into staging as the loader does,
// each with Kafka timestamp at_ms (nullopt: none), on Kafka partition `partition`.
void copy_events(pqxx::connection_base& cx, std::int64_t first, std::int64_t last,
                 std::optional<std::int64_t> at_ms, int partition) {
    const emulate::EventGenerator generator(kSeed);
    for (const events::EventKind kind : events::all_event_kinds) {
        pg::StagingRows rows;
        for (std::int64_t ind = first; ind < last; ++ind) {
            const emulate::GeneratedEvent event = generator.event_at(ind);
            const std::string& payload = kind == events::EventKind::pin   ? event.pin
                                         : kind == events::EventKind::geo ? event.geo
                                                                          : event.user;
            rows.append({fmt::format("t.{}", events::kind_name(kind)), partition, ind, at_ms,
                         std::to_string(ind)},
                        payload);
        }
        pqxx::work tx(cx);
        pg::copy_staging_rows(tx, kind, rows);
        tx.commit();
    }
}

class Retention : public ::testing::Test {
  protected:
    Retention() : m_dsn(testing::migrated_database()), m_cx(m_dsn, "retention_test") {}

    std::string snapshot() {
        std::string all;
        for (const char* table : {"clean.pins", "clean.geolocations", "clean.users"}) {
            all += testing::relation_contents(m_cx, table) + "\n";
        }
        for (const std::string& answer : testing::answer_relations()) {
            all += testing::relation_contents(m_cx, answer) + "\n";
        }
        return all;
    }

    std::string m_dsn;
    pg::Connection m_cx;
};

TEST_F(Retention, RowsOfAnyTimestampLandAndOnlyOlderPartitionsAreDropped) {
    const std::int64_t now = now_ms();
    copy_events(m_cx, 0, 200, now - 400 * day_ms, /*partition=*/0);    // last year
    copy_events(m_cx, 200, 400, now, /*partition=*/1);                 // today
    copy_events(m_cx, 400, 600, now + 365 * day_ms, /*partition=*/2);  // a wrong clock
    copy_events(m_cx, 600, 610, std::nullopt, /*partition=*/3);        // no timestamp
    // Ten inds of last year sent again today: they must keep their new values.
    copy_events(m_cx, 0, 10, now, /*partition=*/4);
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events"), 620);
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM clean.pins"), 610);
    // Last year's and next year's rows wait in the default partition, today's have their own.
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events_default"), 410);

    const std::string before = snapshot();
    const auto dry = run_pinpipe({"retention", "--dsn", m_dsn, "--keep", "90d", "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.output;
    EXPECT_NE(dry.output.find("would delete 200 rows older than the cutoff from "
                              "staging.pin_events_default"),
              std::string::npos)
        << dry.output;
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events"), 620)
        << "a dry run drops nothing";

    // A first run files last year's rows into a partition of their own, which a later run,
    // with a shorter --keep, drops whole.
    const auto filing = run_pinpipe({"retention", "--dsn", m_dsn});
    ASSERT_EQ(filing.exit_code, 0) << filing.output;
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events_default"), 210) << filing.output;
    EXPECT_NE(filing.output.find("(200 rows moved in from the default partition)"),
              std::string::npos)
        << filing.output;

    const auto run = run_pinpipe({"retention", "--dsn", m_dsn, "--keep", "90d", "--exact-counts"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("retention: dropped 3 partitions and 600 rows of staging"),
              std::string::npos)
        << run.output;
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events"), 420);
    EXPECT_EQ(count(m_cx,
                    "SELECT count(*) FROM staging.pin_events "
                    "WHERE kafka_timestamp < now() - interval '90 days'"),
              0);
    EXPECT_EQ(snapshot(), before) << "retention must change neither clean.* nor an answer";
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM etl.retention_runs WHERE partitions_dropped = 1"),
              3)
        << "one row per staging table, each with its partition";

    // Loading goes on: new and re-sent inds land and reach clean.*.
    copy_events(m_cx, 600, 700, now, /*partition=*/5);
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM clean.pins"), 700);
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events"), 520);

    // A rebuild from staging now covers only what staging keeps, and says so.
    const auto rebuild = run_pinpipe({"refresh", "--rebuild", "--dsn", m_dsn});
    EXPECT_EQ(rebuild.exit_code, 0) << rebuild.output;
    EXPECT_NE(
        rebuild.output.find("note: pinpipe retention has dropped staging messages older than"),
        std::string::npos)
        << rebuild.output;
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM clean.pins"), 510) << "inds 10 to 199 are gone";
}

TEST_F(Retention, TimestampsOfAWrongUnitLandWithTheValueTheyCarry) {
    // Microseconds in the millisecond field (year 55,840): PostgreSQL stores it as sent.
    copy_events(m_cx, 0, 5, 1700000000000000, /*partition=*/0);
    // Nanoseconds: past PostgreSQL's last year, so the rows land without a timestamp.
    copy_events(m_cx, 5, 10, 1700000000000000000, /*partition=*/1);
    // Before the epoch.
    copy_events(m_cx, 10, 15, -86400001, /*partition=*/2);
    EXPECT_EQ(count(m_cx,
                    "SELECT count(*) FROM staging.pin_events WHERE kafka_timestamp = "
                    "'epoch'::timestamptz + 1700000000000000 * interval '1 millisecond'"),
              5);
    EXPECT_EQ(count(m_cx,
                    "SELECT count(*) FROM staging.pin_events WHERE kafka_partition = 1 AND "
                    "kafka_timestamp IS NULL"),
              5);
    EXPECT_EQ(count(m_cx,
                    "SELECT count(*) FROM staging.pin_events WHERE kafka_timestamp = "
                    "'1969-12-30 23:59:59.999+00'"),
              5);
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM clean.pins"), 15);
}

TEST_F(Retention, PayloadsArriveAsSentWhateverClientEncodingTheEnvironmentAsksFor) {
    const std::string payload =
        R"({"index": 900, "unique_id": "u", "title": "Côte d'Ivoire é 😀", "category": "art"})";
    ASSERT_EQ(setenv("PGCLIENTENCODING", "LATIN1", 1), 0);
    {
        pg::Connection latin1_asked(m_dsn, "encoding_test");
        EXPECT_EQ(testing::exec(latin1_asked, "SHOW client_encoding")[0][0].as<std::string>(),
                  "UTF8");
        pg::StagingRows rows;
        rows.append({"t.pin", 0, 1, now_ms(), std::nullopt}, payload);
        pqxx::work tx(latin1_asked);
        pg::copy_staging_rows(tx, events::EventKind::pin, rows);
        tx.commit();
    }
    ASSERT_EQ(unsetenv("PGCLIENTENCODING"), 0);
    EXPECT_EQ(testing::exec(m_cx, "SELECT payload->>'title' FROM staging.pin_events")[0][0]
                  .as<std::string>(),
              "Côte d'Ivoire é 😀");
}

TEST_F(Retention, ARunStoppedAfterDetachingIsFinishedByTheNext) {
    const std::int64_t now = now_ms();
    copy_events(m_cx, 0, 100, now - 400 * day_ms, /*partition=*/0);
    copy_events(m_cx, 100, 200, now, /*partition=*/1);
    ASSERT_EQ(run_pinpipe({"retention", "--dsn", m_dsn}).exit_code, 0);  // files last year's rows
    const std::string before = snapshot();

    // Crashes once the first table's expired partition is detached and that is committed.
    util::ChildProcess crashed({PINPIPE_BINARY, "retention", "--dsn", m_dsn, "--keep", "90d"},
                               testing::failpoint_env("retention.after_detach=crash"));
    ASSERT_EQ(crashed.wait(), obs::failpoint_crash_exit_code);
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events"), 100)
        << "the detached rows left staging with the detach";
    EXPECT_EQ(count(m_cx,
                    "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace "
                    "n ON n.oid = c.relnamespace WHERE n.nspname = 'staging' AND c.relkind = "
                    "'r' AND NOT c.relispartition AND c.relname ~ '_p[0-9]{8}$'"),
              1);

    const auto next = run_pinpipe({"retention", "--dsn", m_dsn, "--keep", "90d"});
    ASSERT_EQ(next.exit_code, 0) << next.output;
    EXPECT_NE(next.output.find("detached by an earlier run that stopped before dropping it"),
              std::string::npos)
        << next.output;
    EXPECT_NE(next.output.find("retention: dropped 2 partitions and 200 rows of staging"),
              std::string::npos)
        << next.output;
    EXPECT_EQ(count(m_cx,
                    "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace "
                    "n ON n.oid = c.relnamespace WHERE n.nspname = 'staging' AND c.relkind = "
                    "'r' AND NOT c.relispartition AND c.relname ~ '_p[0-9]{8}$'"),
              0);
    EXPECT_EQ(count(m_cx, "SELECT sum(partitions_dropped) FROM etl.retention_runs"), 3);
    EXPECT_EQ(snapshot(), before) << "retention must change neither clean.* nor an answer";
}

// Drift fixed: every detached table named like a day partition was dropped, with or without
// --keep, as if a run had left it: one an operator detached to archive it went too.
TEST_F(Retention, APartitionDetachedByHandIsKeptAndListed) {
    copy_events(m_cx, 0, 100, now_ms() - 400 * day_ms, /*partition=*/0);
    ASSERT_EQ(run_pinpipe({"retention", "--dsn", m_dsn}).exit_code, 0);  // files last year's rows
    const std::string partition =
        testing::exec(m_cx,
                      "SELECT partition_name FROM etl.staging_partitions WHERE staging_table = "
                      "'staging.pin_events' AND NOT is_default ORDER BY range_from LIMIT 1")[0][0]
            .as<std::string>();
    testing::exec(m_cx, "ALTER TABLE staging.pin_events DETACH PARTITION " + partition);

    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"retention", "--dsn", m_dsn},
          std::vector<std::string>{"retention", "--dsn", m_dsn, "--keep", "90d"}}) {
        const auto run = run_pinpipe(args);
        ASSERT_EQ(run.exit_code, 0) << run.output;
        EXPECT_NE(run.output.find("kept " + partition + ": detached by hand, or by an older"),
                  std::string::npos)
            << run.output;
        EXPECT_EQ(count(m_cx, "SELECT count(*) FROM " + partition), 100) << run.output;
    }
}

TEST_F(Retention, NeverTwoRowsForOneKafkaMessage) {
    const std::int64_t now = now_ms();
    copy_events(m_cx, 0, 5, now, /*partition=*/0);
    copy_events(m_cx, 5, 6, std::nullopt, /*partition=*/0);
    for (const std::optional<std::int64_t> at :
         {std::optional(now), std::optional<std::int64_t>()}) {
        try {
            copy_events(m_cx, at ? 0 : 5, at ? 1 : 6, at, /*partition=*/0);
            FAIL() << "a second copy of a message must be refused";
        } catch (const pqxx::sql_error& error) {
            EXPECT_EQ(error.sqlstate(), "23505") << error.what();
        }
    }
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM staging.pin_events"), 6);
}

TEST_F(Retention, DeadLettersGoOnlyWhenAsked) {
    testing::exec(
        m_cx,
        "INSERT INTO etl.dead_letters (consumer, topic, partition, \"offset\", reason, error, "
        "failed_at) VALUES ('g', 't.pin', 0, 1, 'empty', 'empty', now() - interval '40 days'), "
        "('g', 't.pin', 0, 2, 'empty', 'empty', now())");
    const auto keep_all = run_pinpipe({"retention", "--dsn", m_dsn, "--keep", "90d"});
    ASSERT_EQ(keep_all.exit_code, 0) << keep_all.output;
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM etl.dead_letters"), 2);
    const auto run =
        run_pinpipe({"retention", "--dsn", m_dsn, "--keep", "90d", "--keep-dead-letters", "30d"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("retention: deleted 1 dead letters that failed before"),
              std::string::npos)
        << run.output;
    EXPECT_EQ(count(m_cx, "SELECT count(*) FROM etl.dead_letters"), 1);
}

TEST_F(Retention, OnATerminalAStatusLineNamesEachStepAndIsErasedBeforeTheReport) {
    const auto run = testing::run_pinpipe_on_terminal(
        {"retention", "--dsn", m_dsn, "--keep", "90d", "--keep-dead-letters", "30d"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    // The first step is drawn at once; the next ones, a few ms apart here, wait their turn.
    EXPECT_NE(run.output.find("\rretention: detached partitions, 0 expired partitions so far, "
                              "0:00 elapsed\x1b[K"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("\r\x1b[Kstaging keeps messages from "), std::string::npos)
        << run.output;

    // Not on a terminal: the report alone, as before.
    const auto piped =
        run_pinpipe({"retention", "--dsn", m_dsn, "--keep", "90d", "--keep-dead-letters", "30d"});
    ASSERT_EQ(piped.exit_code, 0) << piped.output;
    EXPECT_EQ(piped.output.find('\r'), std::string::npos) << piped.output;
    EXPECT_EQ(piped.output.find("so far"), std::string::npos) << piped.output;
}

TEST_F(Retention, RefusesWhatIsNotADuration) {
    for (const char* keep : {"2024-01-01", "ninety", "90"}) {
        const auto run = run_pinpipe({"retention", "--dsn", m_dsn, "--keep", keep});
        EXPECT_EQ(run.exit_code, 2) << keep << ": " << run.output;
        EXPECT_NE(run.output.find("--keep needs a duration"), std::string::npos) << run.output;
    }
}

TEST_F(Retention, StatusShowsPartitionsAndSizes) {
    copy_events(m_cx, 0, 50, now_ms(), /*partition=*/0);
    pg::Connection cx(m_dsn, "retention_test");
    const pqxx::result partitions = testing::exec(
        cx,
        "SELECT count(*) FILTER (WHERE NOT is_default), count(*) FILTER (WHERE is_default), "
        "min(range_from) <= now() AND max(range_to) > now() + interval '7 days' "
        "FROM etl.staging_partitions WHERE staging_table = 'staging.pin_events'");
    EXPECT_EQ(partitions[0][0].as<std::string>(), "8") << "today and 7 days ahead";
    EXPECT_EQ(partitions[0][1].as<std::string>(), "1");
    EXPECT_EQ(partitions[0][2].as<std::string>(), "t");
}

// The migration from unpartitioned staging (0030) to 0031: every row and every answer kept.
TEST(StagingMigration, KeepsEveryRowAndEveryAnswer) {
    const std::string dsn = testing::fresh_database();
    pg::Connection cx(dsn, "retention_test");
    const pg::Migrations all = pg::parse_migrations(pg::embedded_migrations());
    pg::Migrations before_partitioning, partitioning;
    for (const pg::Migration& migration : all.versioned) {
        (migration.version < 31 ? before_partitioning : partitioning)
            .versioned.push_back(migration);
    }
    pg::apply_migrations(cx, before_partitioning);
    const std::int64_t now = now_ms();
    copy_events(cx, 0, 100, now - 30 * day_ms, /*partition=*/0);
    copy_events(cx, 100, 200, now, /*partition=*/1);
    copy_events(cx, 200, 250, now + 100 * day_ms, /*partition=*/2);
    copy_events(cx, 250, 260, std::nullopt, /*partition=*/3);
    copy_events(cx, 0, 20, now - day_ms, /*partition=*/4);

    auto snapshot = [&] {
        std::string all_rows;
        for (const char* table : {"staging.pin_events", "staging.geo_events", "staging.user_events",
                                  "clean.pins", "clean.geolocations", "clean.users"}) {
            all_rows += testing::relation_contents(cx, table) + "\n";
        }
        for (const std::string& answer : testing::answer_relations()) {
            all_rows += testing::relation_contents(cx, answer) + "\n";
        }
        return all_rows;
    };
    const std::string before = snapshot();
    ASSERT_EQ(count(cx, "SELECT count(*) FROM staging.pin_events"), 280);

    // Only 0031 (and whatever else lies before the live-analytics migrations), so that the
    // answers are computed the same way on both sides.
    pg::Migrations through_partitioning = before_partitioning;
    for (const pg::Migration& migration : partitioning.versioned) {
        if (migration.version < 40) {
            through_partitioning.versioned.push_back(migration);
        }
    }
    pg::apply_migrations(cx, through_partitioning);
    EXPECT_EQ(
        testing::exec(
            cx, "SELECT relkind FROM pg_class WHERE oid = 'staging.pin_events'::regclass")[0][0]
            .as<std::string>(),
        "p");
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(count(cx, "SELECT count(*) FROM staging.pin_events_default"), 60)
        << "100 days ahead and no timestamp wait in the default partition";

    pg::apply_migrations(cx, all);
    EXPECT_EQ(count(cx, "SELECT count(*) FROM staging.pin_events"), 280);
    EXPECT_EQ(count(cx, "SELECT count(*) FROM clean.pins"), 260);
}

}  // namespace
}  // namespace pinpipe
