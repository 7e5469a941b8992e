// The §7 recomputation over clean.* and the comparison with the live answers; the rebuild call.
#include "analytics/refresh.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ostream>
#include <stdexcept>

namespace pinpipe::analytics {
namespace {

// DESIGN §7 written directly over clean.*, independently of the count tables: joins on ind,
// rows with a needed NULL left out, dense_rank() = 1, percentile_cont(0.5), every year. Age
// groups are the cleaning rule clean.age_group (§6), the one definition of the groups.
const std::vector<AnswerDefinition> definitions = {
    {"top_category_per_country", R"(
WITH counts AS (
    SELECT g.country, p.category, count(*) AS category_count
    FROM clean.pins AS p JOIN clean.geolocations AS g ON g.ind = p.ind
    WHERE g.country IS NOT NULL AND p.category IS NOT NULL
    GROUP BY g.country, p.category
), ranked AS (
    SELECT *, dense_rank() OVER (PARTITION BY country ORDER BY category_count DESC) AS r FROM counts
)
SELECT country, category, category_count FROM ranked WHERE r = 1)"},
    {"top_category_per_year", R"(
WITH counts AS (
    SELECT date_part('year', g."timestamp")::integer AS post_year, p.category, count(*) AS category_count
    FROM clean.pins AS p JOIN clean.geolocations AS g ON g.ind = p.ind
    WHERE g."timestamp" IS NOT NULL AND p.category IS NOT NULL
    GROUP BY 1, 2
), ranked AS (
    SELECT *, dense_rank() OVER (PARTITION BY post_year ORDER BY category_count DESC) AS r FROM counts
)
SELECT post_year, category, category_count FROM ranked WHERE r = 1)"},
    {"most_followed_user_per_country", R"(
WITH ranked AS (
    SELECT g.country, p.poster_name, p.follower_count,
           dense_rank() OVER (PARTITION BY g.country ORDER BY p.follower_count DESC) AS r
    FROM clean.pins AS p JOIN clean.geolocations AS g ON g.ind = p.ind
    WHERE g.country IS NOT NULL AND p.poster_name IS NOT NULL AND p.follower_count IS NOT NULL
)
SELECT DISTINCT country, poster_name, follower_count FROM ranked WHERE r = 1)"},
    {"country_with_most_followed_user", R"(
WITH ranked AS (
    SELECT g.country, p.follower_count, dense_rank() OVER (ORDER BY p.follower_count DESC) AS r
    FROM clean.pins AS p JOIN clean.geolocations AS g ON g.ind = p.ind
    WHERE g.country IS NOT NULL AND p.poster_name IS NOT NULL AND p.follower_count IS NOT NULL
)
SELECT DISTINCT country, follower_count FROM ranked WHERE r = 1)"},
    {"top_category_per_age_group", R"(
WITH counts AS (
    SELECT clean.age_group(u.age) AS age_group,
       p.category, count(*) AS category_count
    FROM clean.pins AS p JOIN clean.users AS u ON u.ind = p.ind
    WHERE clean.age_group(u.age) IS NOT NULL AND p.category IS NOT NULL
    GROUP BY 1, 2
), ranked AS (
    SELECT *, dense_rank() OVER (PARTITION BY age_group ORDER BY category_count DESC) AS r FROM counts
)
SELECT age_group, category, category_count FROM ranked WHERE r = 1)"},
    {"median_followers_per_age_group", R"(
SELECT clean.age_group(u.age) AS age_group,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count) AS median_follower_count
FROM clean.pins AS p JOIN clean.users AS u ON u.ind = p.ind
WHERE clean.age_group(u.age) IS NOT NULL AND p.follower_count IS NOT NULL
GROUP BY 1)"},
    {"users_joined_per_year", R"(
SELECT date_part('year', u.date_joined)::integer AS join_year, count(*) AS number_users_joined
FROM clean.users AS u
WHERE u.date_joined IS NOT NULL
GROUP BY 1)"},
    {"median_followers_per_join_year", R"(
SELECT date_part('year', u.date_joined)::integer AS join_year,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count) AS median_follower_count
FROM clean.pins AS p JOIN clean.users AS u ON u.ind = p.ind
WHERE u.date_joined IS NOT NULL AND p.follower_count IS NOT NULL
GROUP BY 1)"},
    {"median_followers_per_join_year_and_age_group", R"(
SELECT clean.age_group(u.age) AS age_group,
       date_part('year', u.date_joined)::integer AS join_year,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count) AS median_follower_count
FROM clean.pins AS p JOIN clean.users AS u ON u.ind = p.ind
WHERE clean.age_group(u.age) IS NOT NULL AND u.date_joined IS NOT NULL AND p.follower_count IS NOT NULL
GROUP BY 1, 2)"},
};

}  // namespace

const std::vector<AnswerDefinition>& answer_definitions() {
    return definitions;
}

std::vector<AnswerCheck> verify_answers(pqxx::connection_base& cx) {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(cx);
    // Before the first statement that takes the snapshot (LOCK takes none), wait for a rebuild
    // in progress to commit: its TRUNCATE is not MVCC-safe, and a snapshot taken before it
    // commits sees clean.* and the counts empty, so empty answers would equal their empty
    // recomputation. LOCK on a view locks the tables it reads too.
    std::string live_state = "clean.pins, clean.geolocations, clean.users";
    for (const AnswerDefinition& answer : definitions) {
        live_state += fmt::format(", analytics.{}", answer.name);
    }
    tx.exec(fmt::format("LOCK TABLE {} IN ACCESS SHARE MODE", live_state));
    // The recomputation joins every clean row: JIT compiling it costs more than it saves here.
    tx.exec("SET LOCAL jit = off");
    std::vector<AnswerCheck> checks;
    for (const AnswerDefinition& answer : definitions) {
        // EXCEPT ALL both ways: a row missing, extra or duplicated on either side counts.
        const pqxx::row result = tx.exec1(fmt::format(
            R"(WITH live AS MATERIALIZED (SELECT * FROM analytics.{0}),
recomputed AS MATERIALIZED ({1})
SELECT (SELECT count(*) FROM live), (SELECT count(*) FROM recomputed),
       (SELECT count(*) FROM ((TABLE live EXCEPT ALL TABLE recomputed)
                              UNION ALL (TABLE recomputed EXCEPT ALL TABLE live)) AS d))",
            answer.name, answer.recompute_sql));
        checks.push_back({std::string(answer.name), result[0].as<int64_t>(),
                          result[1].as<int64_t>(), result[2].as<int64_t>()});
    }
    tx.commit();
    return checks;
}

RebuildSummary rebuild_live_state(pqxx::connection_base& cx) {
    pqxx::work tx(cx);
    tx.exec("SET LOCAL jit = off");
    try {
        tx.exec("SELECT analytics.rebuild_live_state()");
    } catch (const pqxx::sql_error& error) {
        throw pqxx::sql_error(
            fmt::format("could not rebuild clean.* and the analytics counts: {}{}", error.what(),
                        error.sqlstate() == "42501"
                            ? " (run pinpipe refresh --rebuild as the role that ran pinpipe "
                              "migrate)"
                            : ""),
            "", error.sqlstate().c_str());
    }
    const pqxx::row counts = tx.exec1(
        "SELECT (SELECT count(*) FROM clean.pins), (SELECT count(*) FROM clean.geolocations), "
        "(SELECT count(*) FROM clean.users), (SELECT to_char(max(cutoff) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM etl.retention_runs)");
    tx.commit();
    return {counts[0].as<int64_t>(), counts[1].as<int64_t>(), counts[2].as<int64_t>(),
            counts[3].as<std::string>(std::string())};
}

void verify_answers_or_throw(pqxx::connection_base& cx, std::ostream& out) {
    report_answers_or_throw(verify_answers(cx), out);
}

void report_answers_or_throw(const std::vector<AnswerCheck>& checks, std::ostream& out) {
    std::vector<std::string> differing;
    for (const AnswerCheck& check : checks) {
        out << fmt::format("{} analytics.{}: {} rows{}\n", check.equal() ? "ok" : "DIFFERS",
                           check.name, check.live_rows,
                           check.equal()
                               ? ""
                               : fmt::format(" live, {} recomputed, {} differ",
                                             check.recomputed_rows, check.differing_rows));
        if (!check.equal()) {
            differing.push_back("analytics." + check.name);
        }
    }
    out << std::flush;
    if (!differing.empty()) {
        throw std::runtime_error(fmt::format(
            "{} of {} analytics answers differ from their recomputation over clean.*: {} (run "
            "pinpipe refresh --rebuild to recompute the live state from staging)",
            differing.size(), answer_definitions().size(), fmt::join(differing, ", ")));
    }
    out << fmt::format("refresh: all {} analytics answers equal their recomputation\n",
                       answer_definitions().size());
}

}  // namespace pinpipe::analytics
