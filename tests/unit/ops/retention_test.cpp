#include "ops/retention.hpp"

#include <gtest/gtest.h>

#include "util/errors.hpp"

namespace pinpipe::ops {
namespace {

RetentionOutcome sample_outcome(bool dry_run) {
    RetentionOutcome outcome;
    outcome.dry_run = dry_run;
    outcome.cutoff = "2024-02-01T10:00:00.000Z";
    outcome.partitions = {{"staging.pin_events", "staging.pin_events_p20240130",
                           "2024-01-30T00:00:00.000Z", "2024-01-31T00:00:00.000Z", 1500, false},
                          {"staging.geo_events", "staging.geo_events_p20240130",
                           "2024-01-30T00:00:00.000Z", "2024-01-31T00:00:00.000Z", 7, true}};
    outcome.default_rows = {{"staging.pin_events_default", 3}};
    return outcome;
}

TEST(RetentionText, ListsEachDroppedPartitionWithItsRangeAndRows) {
    const std::string text = render_retention(sample_outcome(/*dry_run=*/false));
    EXPECT_NE(text.find("staging keeps messages from 2024-02-01T10:00:00.000Z on (UTC)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("staging.pin_events_p20240130  2024-01-30T00:00:00.000Z  "
                        "2024-01-31T00:00:00.000Z              ~1,500"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("deleted 3 rows older than the cutoff from staging.pin_events_default"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("retention: dropped 2 partitions and 1,510 rows of staging"),
              std::string::npos)
        << text;
}

TEST(RetentionText, ADryRunSaysWhatWouldGo) {
    const std::string text = render_retention(sample_outcome(/*dry_run=*/true));
    EXPECT_NE(text.find("retention: would drop 2 partitions"), std::string::npos) << text;
    EXPECT_NE(text.find("would delete 3 rows"), std::string::npos) << text;
}

TEST(RetentionText, NamesPartitionsMadeAndRowsFiledFromTheDefault) {
    RetentionOutcome outcome;
    outcome.made = {{"staging.pin_events", "2024-02-08", 0},
                    {"staging.geo_events", "2023-01-01", 12}};
    const std::string text = render_retention(outcome);
    EXPECT_NE(text.find("made partition of staging.pin_events for 2024-02-08\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("made partition of staging.geo_events for 2023-01-01 (12 rows moved in "
                        "from the default partition)"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("retention: dropped"), std::string::npos) << "nothing was to be dropped";
}

TEST(RetentionOptions, KeepMustBeAnAge) {
    EXPECT_NO_THROW(require_age("--keep", parse_time_bound("--keep", "90d")));
    EXPECT_THROW(require_age("--keep", parse_time_bound("--keep", "2024-01-01")), UsageError);
}

}  // namespace
}  // namespace pinpipe::ops
