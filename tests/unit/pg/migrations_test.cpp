#include "pg/migrations.hpp"

#include <gtest/gtest.h>

#include <map>

#include "util/errors.hpp"

namespace pinpipe::pg {
namespace {

TEST(MigrationFiles, OrderedByVersionWithChecksums) {
    const auto migrations =
        parse_migrations({{"0002_create_b.sql", "select 2;"}, {"0001_create_a.sql", "select 1;"}})
            .versioned;
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
    EXPECT_THROW(parse_migrations({{"R__.sql", ""}}), UsageError);
    EXPECT_THROW(parse_migrations({{"R__Views.sql", ""}}), UsageError);
    EXPECT_THROW(parse_migrations({{"r__views.sql", ""}}), UsageError);
    EXPECT_THROW(parse_migrations({{"R__a.sql", "x"}, {"R__a.sql", "y"}}), UsageError);
}

TEST(MigrationFiles, RepeatablesAreSeparateAndOrderedByName) {
    const auto migrations = parse_migrations({{"R__20_views.sql", "create view"},
                                              {"0001_create_a.sql", "select 1;"},
                                              {"R__10_functions.sql", "create function"}});
    ASSERT_EQ(migrations.versioned.size(), 1u);
    ASSERT_EQ(migrations.repeatable.size(), 2u);
    EXPECT_EQ(migrations.repeatable[0].name, "10_functions");
    EXPECT_EQ(migrations.repeatable[0].file_name, "R__10_functions.sql");
    EXPECT_EQ(migrations.repeatable[0].checksum, sha256_hex("create function"));
    EXPECT_EQ(migrations.repeatable[1].name, "20_views");
}

TEST(Sha256, MatchesKnownDigest) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(MigrationPlan, MarksAppliedPendingChangedAndUnknown) {
    const auto migrations =
        parse_migrations({{"0001_a.sql", "one"}, {"0002_b.sql", "two"}, {"0003_c.sql", "three"}})
            .versioned;
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

TEST(MigrationPlan, FindsAPendingVersionBelowTheHighestApplied) {
    const auto migrations = parse_migrations({{"0001_a.sql", "one"},
                                              {"0002_b.sql", "two"},
                                              {"0003_c.sql", "three"},
                                              {"0004_d.sql", "4"}})
                                .versioned;
    const auto applied_through = [](std::vector<int> versions) {
        std::vector<AppliedMigration> applied;
        const std::map<int, std::pair<std::string, std::string>> files = {
            {1, {"a", "one"}}, {2, {"b", "two"}}, {3, {"c", "three"}}, {4, {"d", "4"}}};
        for (const int version : versions) {
            applied.push_back({version, files.at(version).first,
                               sha256_hex(files.at(version).second), "2026-01-01 00:00:00"});
        }
        return applied;
    };
    // 0002 was added after 0003 had shipped: pending below an applied version.
    const auto late = first_out_of_order(plan_migrations(migrations, applied_through({1, 3})));
    ASSERT_TRUE(late.has_value());
    EXPECT_EQ(late->file_name, "0002_b.sql");
    // Pending only above the highest applied: in order.
    EXPECT_FALSE(first_out_of_order(plan_migrations(migrations, applied_through({1, 2}))));
    EXPECT_FALSE(first_out_of_order(plan_migrations(migrations, {})));
    EXPECT_FALSE(first_out_of_order(plan_migrations(migrations, applied_through({1, 2, 3, 4}))));
}

TEST(RepeatablePlan, NewAndChangedFilesAreDueUnchangedOnesAreNot) {
    const auto repeatable = parse_migrations({{"R__10_functions.sql", "functions v1"},
                                              {"R__20_views.sql", "views v2"},
                                              {"R__30_triggers.sql", "triggers"}})
                                .repeatable;
    const std::vector<AppliedRepeatable> applied = {
        {"10_functions", sha256_hex("functions v1"), "2026-01-01 00:00:00", {}},
        {"20_views", sha256_hex("views v1"), "2026-01-01 00:00:01", {}},
        {"05_gone", sha256_hex("old"), "2026-01-01 00:00:02", {}}};
    const auto plan = plan_repeatables(repeatable, applied);
    ASSERT_EQ(plan.size(), 4u);
    EXPECT_EQ(plan[0].file_name, "R__10_functions.sql");
    EXPECT_EQ(plan[0].state, MigrationState::applied);
    EXPECT_EQ(plan[0].applied_at, "2026-01-01 00:00:00");
    EXPECT_FALSE(repeatable_due(plan[0].state));
    EXPECT_EQ(plan[1].file_name, "R__20_views.sql");
    EXPECT_EQ(plan[1].state, MigrationState::changed);
    EXPECT_TRUE(repeatable_due(plan[1].state)) << "a changed repeatable is applied again";
    EXPECT_EQ(plan[2].file_name, "R__30_triggers.sql");
    EXPECT_EQ(plan[2].state, MigrationState::pending);
    EXPECT_EQ(plan[2].applied_at, "");
    EXPECT_TRUE(repeatable_due(plan[2].state));
    // Recorded but without a file: listed, never applied (there is nothing to apply).
    EXPECT_EQ(plan[3].file_name, "R__05_gone.sql");
    EXPECT_EQ(plan[3].state, MigrationState::unknown);
    EXPECT_FALSE(repeatable_due(plan[3].state));
}

TEST(RepeatablePlan, AFileWhoseContentWasReplacedSinceIsSupersededNotDue) {
    const auto repeatable =
        parse_migrations({{"R__fold.sql", "fold v1"}, {"R__views.sql", "views v3"}}).repeatable;
    const std::vector<AppliedRepeatable> applied = {
        {"fold", sha256_hex("fold v2"), "2026-02-01 00:00:00", {sha256_hex("fold v1")}},
        {"views", sha256_hex("views v2"), "2026-02-01 00:00:00", {sha256_hex("views v1")}}};
    const auto plan = plan_repeatables(repeatable, applied);
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].state, MigrationState::superseded)
        << "v1 was applied, then replaced by v2: this binary is older than the database";
    EXPECT_FALSE(repeatable_due(plan[0].state));
    EXPECT_EQ(state_name(plan[0].state), "superseded");
    EXPECT_EQ(plan[1].state, MigrationState::changed) << "v3 was never applied: a newer file";
}

TEST(RepeatablePlan, NothingRecordedMeansEveryFileIsPending) {
    const auto plan =
        plan_repeatables(parse_migrations({{"R__b.sql", "b"}, {"R__a.sql", "a"}}).repeatable, {});
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].file_name, "R__a.sql");
    EXPECT_EQ(plan[0].state, MigrationState::pending);
    EXPECT_EQ(plan[1].state, MigrationState::pending);
}

TEST(EmbeddedMigrations, AreWellFormedAndStartAtOne) {
    const auto migrations = parse_migrations(embedded_migrations()).versioned;
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
