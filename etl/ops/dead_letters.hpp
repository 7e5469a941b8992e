// The pure half of pinpipe dlq: time bounds, the filter as SQL, and the replay plan (which dead
// letters now pass validation, COPY-encoded for staging exactly as load encodes them).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/validation.hpp"
#include "pg/connection.hpp"
#include "pg/staging_rows.hpp"

namespace pinpipe::ops {

// --since/--until/--before: an absolute time PostgreSQL understands ("2024-05-01",
// "2024-05-01 10:00:00+02") or an age: a number and s, m, h, d or w ("30m", "7d").
struct TimeBound {
    enum class Kind { absolute, age };
    Kind kind;
    std::string value;  // absolute: as given; age: an interval ("30 minutes")
};
// Throws UsageError naming the option for an empty value.
TimeBound parse_time_bound(std::string_view option, std::string_view text);

// Every reason the validator and the writer can give (etl.dead_letters.reason).
std::vector<std::string> known_reasons();

struct DeadLetterFilter {
    std::optional<std::string> consumer;
    std::optional<std::string> topic;
    std::optional<std::string> reason;
    std::optional<TimeBound> failed_since;   // failed_at >= bound
    std::optional<TimeBound> failed_before;  // failed_at < bound
};

struct SqlCondition {
    std::string sql;  // "TRUE" or "d.consumer = $1 AND ..." over etl.dead_letters AS d
    std::vector<pg::Param> params;
};
SqlCondition filter_condition(const DeadLetterFilter& filter);

// The SQL for a time bound's value as a timestamptz, given its parameter number.
std::string time_bound_sql(const TimeBound& bound, size_t param_number);

struct DeadLetter {
    int64_t id = 0;
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    std::optional<int64_t> timestamp_ms;
    std::optional<std::string> key;
    std::optional<std::string> payload;
    std::string reason;
    bool already_staged = false;  // its coordinates are in staging already (another group)
};

struct ReplayPlan {
    pg::StagingBatch rows;                // the rows that pass now, COPY text per staging table
    std::vector<int64_t> moved_ids;       // go to staging: delete from etl.dead_letters
    std::vector<int64_t> already_staged;  // in staging already: delete, write nothing
    std::map<std::string, int64_t> still_bad;  // reason now -> count; these rows stay
};

// The kind of a topic named <prefix>.<kind>; nullopt for any other name.
std::optional<events::EventKind> kind_of_topic(std::string_view topic);

// Re-validates each dead letter with validator (its limits are the replay's).
ReplayPlan plan_replay(const std::vector<DeadLetter>& letters, events::EventValidator& validator);

}  // namespace pinpipe::ops
