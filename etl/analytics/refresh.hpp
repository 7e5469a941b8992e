// Checking and repairing the live analytics (DESIGN §5): the nine answers of analytics.* are kept
// by triggers on staging; verify_answers proves them against a recomputation of DESIGN §7 as
// plain SQL over clean.*, and rebuild_live_state recomputes clean.* and the counts from staging.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"

namespace pinpipe::analytics {

// One of the nine answers: its view and the §7 definition as plain SQL over clean.*.
struct AnswerDefinition {
    std::string_view name;           // analytics.<name>
    std::string_view recompute_sql;  // the same columns as the view, any row order
};

// The nine answers, in the order of DESIGN §7.
const std::vector<AnswerDefinition>& answer_definitions();

struct AnswerCheck {
    std::string name;
    long long live_rows = 0;
    long long recomputed_rows = 0;
    long long differing_rows = 0;  // rows in one result and not in the other, duplicates counted
    bool equal() const { return differing_rows == 0; }
};

// Compares every live answer with its recomputation, all in one REPEATABLE READ snapshot, so that
// loaders committing meanwhile cannot make them differ. cx must not be inside a transaction.
std::vector<AnswerCheck> verify_answers(pqxx::connection_base& cx);

// verify_answers, one line per answer on out ("ok analytics.<name>: N rows", or DIFFERS with
// the counts) and a summary line; throws naming every answer that differs.
void verify_answers_or_throw(pqxx::connection_base& cx, std::ostream& out);
// The same for checks already made: the lines, then the summary or the error.
void report_answers_or_throw(const std::vector<AnswerCheck>& checks, std::ostream& out);

struct RebuildSummary {
    long long pins = 0;
    long long geolocations = 0;
    long long users = 0;
    // The newest cutoff below which pinpipe retention dropped staging rows (etl.retention_runs,
    // ISO 8601 UTC); empty when it never dropped any, i.e. the rebuild saw every message.
    std::string retention_cutoff;
};

// Recomputes clean.* and the analytics counts from all of staging in one transaction
// (analytics.rebuild_live_state), under the lock writers of the live state take: loads wait
// meanwhile. Exact while retention has dropped no staging partition. cx must not be inside a
// transaction; its role must be the one that ran pinpipe migrate.
RebuildSummary rebuild_live_state(pqxx::connection_base& cx);

}  // namespace pinpipe::analytics
