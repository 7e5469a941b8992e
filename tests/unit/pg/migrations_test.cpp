#include "pg/migrations.hpp"

#include <gtest/gtest.h>

#include "util/errors.hpp"

namespace pinpipe::pg {
namespace {

TEST(MigrationFiles, OrderedByVersionWithChecksums) {
    const auto migrations =
        parse_migrations({{"0002_create_b.sql", "select 2;"}, {"0001_create_a.sql", "select 1;"}});
    ASSERT_EQ(migrations.size(), 2u);
    EXPECT_EQ(migrations[0].version, 1);
    EXPECT_EQ(migrations[0].name, "create_a");
    EXPECT_EQ(migrations[1].file_name, "0002_create_b.sql");
    EXPECT_EQ(migrations[0].checksum, sha256_hex("select 1;"));
}

TEST(MigrationFiles, RejectsBadNamesAndDuplicateVersions) {
    EXPECT_THROW(parse_migrations({{"1_create.sql", ""}}), UsageError);
    EXPECT_THROW(parse_migrations({{"0001_Create Table.sql", ""}}), UsageError);
    EXPECT_THROW(parse_migrations({{"0001_a.sql", ""}, {"0001_b.sql", ""}}), UsageError);
}

TEST(Sha256, MatchesKnownDigest) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(MigrationPlan, MarksAppliedPendingChangedAndUnknown) {
    const auto migrations =
        parse_migrations({{"0001_a.sql", "one"}, {"0002_b.sql", "two"}, {"0003_c.sql", "three"}});
    const std::vector<AppliedMigration> applied = {
        {1, "a", sha256_hex("one"), "2026-01-01 00:00:00"},
        {2, "b", sha256_hex("edited"), "2026-01-01 00:00:01"},
        {9, "future", "x", "2026-01-02 00:00:00"}};
    const auto plan = plan_migrations(migrations, applied);
    ASSERT_EQ(plan.size(), 4u);
    EXPECT_EQ(plan[0].state, MigrationState::applied);
    EXPECT_EQ(plan[1].state, MigrationState::changed);
    EXPECT_EQ(plan[2].state, MigrationState::pending);
    EXPECT_EQ(plan[3].state, MigrationState::unknown);
    EXPECT_EQ(plan[3].file_name, "0009_future.sql");
}

TEST(EmbeddedMigrations, AreWellFormedAndStartAtOne) {
    const auto migrations = parse_migrations(embedded_migrations());
    ASSERT_FALSE(migrations.empty());
    EXPECT_EQ(migrations.front().version, 1);
    // Version ranges are reserved per issue (so parallel branches never collide): gaps are
    // expected, going backwards is not.
    for (size_t i = 1; i < migrations.size(); ++i) {
        EXPECT_GT(migrations[i].version, migrations[i - 1].version);
    }
}

}  // namespace
}  // namespace pinpipe::pg
