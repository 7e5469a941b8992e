// The nine analytics views (and their materialized twins after a refresh) against results
// computed independently in C++ from the same generated events: the C++ cleaner of the streaming
// path, "latest delivered wins" by hand, and counting, ranking and medians in plain loops.
// Staging is written directly with COPY (the Kafka path is load's to test).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "analytics/refresh.hpp"
#include "analytics/staging_seed.hpp"
#include "events/cleaning.hpp"
#include "events/generator.hpp"
#include "events/validation.hpp"
#include "load/staging_copy.hpp"
#include "load/staging_rows.hpp"
#include "pg/connection.hpp"
#include "support/harness.hpp"

namespace pinpipe {
namespace {

using Row = std::vector<std::string>;
using Rows = std::vector<Row>;

constexpr std::uint64_t kSeed = 20240601;
constexpr std::int64_t kEvents = 4000;  // small enough that rare countries tie for a category

// One delivered message as the view sees it: enough to pick the winner of an ind.
struct Delivery {
    std::int64_t timestamp_ms;
    int partition;
    std::int64_t offset;
    std::string payload;
};

// The latest delivered message of each ind: newest Kafka timestamp, then (one load here) the
// highest partition and offset, as the clean views order them.
class LatestByInd {
  public:
    void add(std::int64_t ind, Delivery delivery) {
        auto [entry, inserted] = m_latest.try_emplace(ind, delivery);
        if (!inserted && std::tie(delivery.timestamp_ms, delivery.partition, delivery.offset) >
                             std::tie(entry->second.timestamp_ms, entry->second.partition,
                                      entry->second.offset)) {
            entry->second = std::move(delivery);
        }
    }
    const std::map<std::int64_t, Delivery>& latest() const { return m_latest; }

  private:
    std::map<std::int64_t, Delivery> m_latest;
};

std::optional<int> year_in(const std::optional<std::string>& timestamp, int first, int last) {
    if (!timestamp) {
        return std::nullopt;
    }
    const int year = std::stoi(timestamp->substr(0, 4));
    if (year < first || year > last) {
        return std::nullopt;
    }
    return year;
}

// percentile_cont(0.5): the middle value, or the interpolation halfway between the middle two.
double median(std::vector<std::int64_t> values) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    const auto lower = static_cast<double>(values[(n - 1) / 2]);
    const auto upper = static_cast<double>(values[n / 2]);
    return lower + (upper - lower) * 0.5;
}

std::string number(double value) {
    return fmt::format("{}", value);
}

// Rows whose count (last column) is the highest of their group (first column): dense_rank = 1.
template <class Key>
Rows top_per_group(const std::map<std::pair<Key, std::string>, std::int64_t>& counts) {
    std::map<Key, std::int64_t> best;
    for (const auto& [key, count] : counts) {
        best[key.first] = std::max(best[key.first], count);
    }
    Rows rows;
    for (const auto& [key, count] : counts) {
        if (count == best[key.first]) {
            rows.push_back({fmt::format("{}", key.first), key.second, std::to_string(count)});
        }
    }
    return rows;
}

template <class Key>
void keep_max(std::map<Key, std::int64_t>& best, const Key& key, std::int64_t value) {
    auto [entry, inserted] = best.try_emplace(key, value);
    if (!inserted) {
        entry->second = std::max(entry->second, value);
    }
}

struct Expected {
    std::map<std::string, Rows> views;  // view name -> rows, sorted
};

// The nine questions of DESIGN §7 over cleaned winners, computed without SQL.
Expected compute_expected(const LatestByInd& pins, const LatestByInd& geos,
                          const LatestByInd& users) {
    events::EventCleaner cleaner;
    std::map<std::int64_t, events::CleanPin> pin;
    std::map<std::int64_t, events::CleanGeolocation> geo;
    std::map<std::int64_t, events::CleanUser> user;
    for (const auto& [ind, delivery] : pins.latest()) {
        pin.emplace(ind, cleaner.clean_pin(delivery.payload));
    }
    for (const auto& [ind, delivery] : geos.latest()) {
        geo.emplace(ind, cleaner.clean_geolocation(delivery.payload));
    }
    for (const auto& [ind, delivery] : users.latest()) {
        user.emplace(ind, cleaner.clean_user(delivery.payload));
    }

    std::map<std::pair<std::string, std::string>, std::int64_t> category_by_country;
    std::map<std::pair<int, std::string>, std::int64_t> category_by_year;
    std::map<std::pair<std::string, std::string>, std::int64_t> poster_followers;  // max
    std::map<std::pair<std::string, std::string>, std::int64_t> category_by_age_group;
    std::map<std::string, std::vector<std::int64_t>> followers_by_age_group;
    std::map<int, std::vector<std::int64_t>> followers_by_join_year;
    std::map<std::pair<std::string, int>, std::vector<std::int64_t>> followers_by_both;
    std::map<int, std::int64_t> joined_by_year;

    for (const auto& [ind, p] : pin) {
        if (const auto g = geo.find(ind); g != geo.end()) {
            const auto& country = g->second.country;
            if (country && p.category) {
                ++category_by_country[{*country, *p.category}];
            }
            if (const auto year = year_in(g->second.timestamp, 2018, 2022); year && p.category) {
                ++category_by_year[{*year, *p.category}];
            }
            if (country && p.poster_name && p.follower_count) {
                keep_max(poster_followers, {*country, *p.poster_name}, *p.follower_count);
            }
        }
        if (const auto u = user.find(ind); u != user.end()) {
            const auto group = events::age_group(u->second.age);
            const auto join_year = year_in(u->second.date_joined, 2015, 2020);
            if (group && p.category) {
                ++category_by_age_group[{std::string(*group), *p.category}];
            }
            if (p.follower_count) {
                if (group) {
                    followers_by_age_group[std::string(*group)].push_back(*p.follower_count);
                }
                if (join_year) {
                    followers_by_join_year[*join_year].push_back(*p.follower_count);
                }
                if (group && join_year) {
                    followers_by_both[{std::string(*group), *join_year}].push_back(
                        *p.follower_count);
                }
            }
        }
    }
    for (const auto& [ind, u] : user) {
        if (const auto year = year_in(u.date_joined, 2015, 2020)) {
            ++joined_by_year[*year];
        }
    }

    Expected expected;
    auto& views = expected.views;
    views["top_category_per_country"] = top_per_group(category_by_country);
    views["top_category_per_year"] = top_per_group(category_by_year);
    views["top_category_per_age_group"] = top_per_group(category_by_age_group);

    Rows most_followed;
    std::map<std::string, std::int64_t> best_in_country;
    for (const auto& [key, followers] : poster_followers) {
        keep_max(best_in_country, key.first, followers);
    }
    for (const auto& [key, followers] : poster_followers) {
        if (followers == best_in_country[key.first]) {
            most_followed.push_back({key.first, key.second, std::to_string(followers)});
        }
    }
    views["most_followed_user_per_country"] = most_followed;

    std::map<int, std::int64_t> best_overall;  // one group: the whole world
    for (const auto& [country, followers] : best_in_country) {
        keep_max(best_overall, 0, followers);
    }
    Rows country_rows;
    for (const auto& [country, followers] : best_in_country) {
        if (followers == best_overall[0]) {
            country_rows.push_back({country, std::to_string(followers)});
        }
    }
    views["country_with_most_followed_user"] = country_rows;

    for (const auto& [group, values] : followers_by_age_group) {
        views["median_followers_per_age_group"].push_back({group, number(median(values))});
    }
    for (const auto& [year, count] : joined_by_year) {
        views["users_joined_per_year"].push_back({std::to_string(year), std::to_string(count)});
    }
    for (const auto& [year, values] : followers_by_join_year) {
        views["median_followers_per_join_year"].push_back(
            {std::to_string(year), number(median(values))});
    }
    for (const auto& [key, values] : followers_by_both) {
        views["median_followers_per_join_year_and_age_group"].push_back(
            {key.first, std::to_string(key.second), number(median(values))});
    }
    for (auto& [name, rows] : views) {
        std::sort(rows.begin(), rows.end());
    }
    return expected;
}

// A relation's rows as text, medians normalized through double so that both sides print alike;
// sorted, because the expected rows are sorted bytewise and the views by the database collation.
Rows read_rows(pg::Connection& cx, const std::string& relation) {
    const pg::Result result = cx.exec(fmt::format("SELECT * FROM {}", relation));
    Rows rows;
    for (int r = 0; r < result.rows(); ++r) {
        Row row;
        for (int c = 0; c < result.columns(); ++c) {
            EXPECT_FALSE(result.is_null(r, c)) << relation << " row " << r << " column " << c;
            const std::string text(result.get(r, c));
            row.push_back(result.column_name(c) == "median_follower_count" ? number(std::stod(text))
                                                                           : text);
        }
        rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end());
    return rows;
}

bool has_tie(const Rows& rows) {
    std::set<std::string> groups;
    for (const Row& row : rows) {
        if (!groups.insert(row.front()).second) {
            return true;
        }
    }
    return false;
}

class AnalyticsViews : public ::testing::Test {
  protected:
    AnalyticsViews()
        : m_dsn(testing::migrated_database()),
          m_cx(pg::Connection::open(m_dsn, "analytics_test")) {}

    // The generated events, each delivered as the seeding COPY delivers it.
    void seed_generated_events() {
        analytics::StagingSeed seed;
        seed.seed = kSeed;
        seed.events = kEvents;
        seed.topic_prefix = "t";
        std::int64_t i = 0;
        std::map<int, std::int64_t> offsets;
        analytics::copy_generated_events(m_cx, seed, [&](const events::GeneratedEvent& event) {
            const int partition = static_cast<int>(event.ind % seed.partitions);
            const std::int64_t offset = offsets[partition]++;
            const std::int64_t timestamp = seed.first_timestamp_ms + i++;
            m_pins.add(event.ind, {timestamp, partition, offset, event.pin});
            m_geos.add(event.ind, {timestamp, partition, offset, event.geo});
            m_users.add(event.ind, {timestamp, partition, offset, event.user});
        });
    }

    // Re-delivers ind `target` with the content of event `source` (ind rewritten), later than
    // anything so far: the views must switch to it.
    void redeliver(std::int64_t target, std::int64_t source, std::int64_t timestamp_ms) {
        const events::GeneratedEvent event = events::EventGenerator(kSeed).event_at(source);
        const std::array<std::pair<std::string, const std::string*>, 3> kinds = {
            std::pair{std::string("pin"), &event.pin}, {"geo", &event.geo}, {"user", &event.user}};
        for (const auto& [kind, text] : kinds) {
            nlohmann::json payload = nlohmann::json::parse(*text);
            payload[kind == "pin" ? "index" : "ind"] = target;
            const std::string rewritten = payload.dump();
            load::StagingRows row;
            const std::string topic = "t." + kind;
            row.append({topic, 99, m_redelivered, timestamp_ms, std::nullopt}, rewritten);
            load::copy_staging_rows(m_cx, *events::kind_from_name(kind), row);
            LatestByInd& latest = kind == "pin" ? m_pins : kind == "geo" ? m_geos : m_users;
            latest.add(target, {timestamp_ms, 99, m_redelivered, rewritten});
        }
        ++m_redelivered;
    }

    Expected expected() const { return compute_expected(m_pins, m_geos, m_users); }

    void expect_relations_match(const Expected& expected, const std::string& suffix) {
        for (const auto& [view, rows] : expected.views) {
            const std::string relation = "analytics." + view + suffix;
            const Rows actual = read_rows(m_cx, relation);
            EXPECT_FALSE(actual.empty()) << relation;
            EXPECT_EQ(actual, rows) << relation;
        }
    }

    std::string m_dsn;
    pg::Connection m_cx;
    LatestByInd m_pins, m_geos, m_users;
    std::int64_t m_redelivered = 0;
};

TEST_F(AnalyticsViews, MatchResultsComputedInCppFromTheSameEvents) {
    seed_generated_events();
    const Expected want = expected();
    ASSERT_EQ(want.views.size(), 9U);
    // The data set exercises ties: some country has several top categories.
    EXPECT_TRUE(has_tie(want.views.at("top_category_per_country")));
    expect_relations_match(want, "");
}

TEST_F(AnalyticsViews, LatestDeliveryOfAnIndWins) {
    seed_generated_events();
    // Ten inds take the content of ten others, delivered later than everything.
    for (std::int64_t k = 0; k < 10; ++k) {
        redeliver(/*target=*/k, /*source=*/kEvents / 2 + k, /*timestamp_ms=*/1'800'000'000'000);
    }
    expect_relations_match(expected(), "");
    EXPECT_EQ(m_cx.exec("SELECT count(*) FROM clean.pins").get(0, 0),
              std::to_string(m_pins.latest().size()));
}

TEST_F(AnalyticsViews, MaterializedTwinsMatchAfterRefresh) {
    seed_generated_events();
    const std::vector<analytics::RefreshTiming> timings =
        analytics::refresh_materialized_views(m_cx);
    ASSERT_EQ(timings.size(), 9U);
    for (const analytics::RefreshTiming& timing : timings) {
        EXPECT_EQ(timing.mode, analytics::RefreshMode::concurrent) << timing.view;
        EXPECT_GE(timing.seconds, 0) << timing.view;
    }
    expect_relations_match(expected(), "_mv");

    // New deliveries reach the twins only with the next refresh.
    for (std::int64_t k = 0; k < 10; ++k) {
        redeliver(k, kEvents / 3 + k, 1'800'000'000'000);
    }
    const Expected after = expected();
    analytics::refresh_materialized_views(m_cx);
    expect_relations_match(after, "_mv");
}

TEST_F(AnalyticsViews, NeverPopulatedTwinGetsAPlainRefresh) {
    seed_generated_events();
    m_cx.exec("REFRESH MATERIALIZED VIEW analytics.users_joined_per_year_mv WITH NO DATA");
    const auto timings = analytics::refresh_materialized_views(m_cx);
    const auto it = std::find_if(timings.begin(), timings.end(), [](const auto& timing) {
        return timing.view == "analytics.users_joined_per_year_mv";
    });
    ASSERT_NE(it, timings.end());
    EXPECT_EQ(it->mode, analytics::RefreshMode::plain);
    EXPECT_EQ(read_rows(m_cx, "analytics.users_joined_per_year_mv"),
              expected().views.at("users_joined_per_year"));
}

TEST(AnalyticsRefresh, OrdersTwinsAfterTheTwinsTheyReadThroughViews) {
    pg::Connection cx = pg::Connection::open(testing::migrated_database(), "analytics_test");
    // A twin named to sort first reads another twin through a plain view.
    cx.exec(
        "CREATE VIEW analytics.joined_probe AS SELECT * FROM analytics.users_joined_per_year_mv");
    cx.exec(
        "CREATE MATERIALIZED VIEW analytics.a_probe_mv AS SELECT * FROM analytics.joined_probe");
    const auto views = analytics::analytics_materialized_views(cx);
    ASSERT_EQ(views.size(), 10U);
    EXPECT_EQ(views.front().name, "analytics.a_probe_mv");
    EXPECT_EQ(views.front().depends_on,
              std::vector<std::string>{"analytics.users_joined_per_year_mv"});
    EXPECT_FALSE(views.front().has_unique_index);

    const auto timings = analytics::refresh_materialized_views(cx);
    const auto position = [&](const std::string& name) {
        return std::find_if(timings.begin(), timings.end(),
                            [&](const auto& timing) { return timing.view == name; }) -
               timings.begin();
    };
    EXPECT_LT(position("analytics.users_joined_per_year_mv"), position("analytics.a_probe_mv"));
    EXPECT_EQ(timings.at(static_cast<size_t>(position("analytics.a_probe_mv"))).mode,
              analytics::RefreshMode::plain);  // no unique index: CONCURRENTLY is impossible
}

TEST(AnalyticsRefresh, ANonOwnerIsToldWhoMayRefresh) {
    pg::Connection cx = pg::Connection::open(testing::migrated_database(), "analytics_test");
    cx.exec("SET ROLE pinpipe_reader");
    try {
        analytics::refresh_materialized_views(cx);
        FAIL() << "refresh as pinpipe_reader succeeded";
    } catch (const pg::Error& error) {
        const std::string message = error.what();
        EXPECT_EQ(error.sqlstate(), "42501");
        EXPECT_NE(message.find("could not refresh materialized view analytics."), std::string::npos)
            << message;
        EXPECT_NE(message.find("run pinpipe refresh as the role that ran pinpipe migrate"),
                  std::string::npos)
            << message;
    }
}

TEST(RefreshCommand, RefreshesEveryTwinAndPrintsItsTime) {
    const std::string dsn = testing::migrated_database();
    {
        pg::Connection cx = pg::Connection::open(dsn, "analytics_test");
        analytics::StagingSeed seed;
        seed.events = 500;
        analytics::copy_generated_events(cx, seed);
    }
    const testing::PinpipeRun run = testing::run_pinpipe({"refresh", "--dsn", dsn});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    for (const char* view :
         {"top_category_per_country", "top_category_per_year", "most_followed_user_per_country",
          "country_with_most_followed_user", "top_category_per_age_group",
          "median_followers_per_age_group", "users_joined_per_year",
          "median_followers_per_join_year", "median_followers_per_join_year_and_age_group"}) {
        EXPECT_NE(run.output.find(fmt::format("refreshed analytics.{}_mv concurrently in ", view)),
                  std::string::npos)
            << run.output;
    }
    EXPECT_NE(run.output.find("refresh: 9 materialized views in "), std::string::npos)
        << run.output;
    pg::Connection cx = pg::Connection::open(dsn, "analytics_test");
    EXPECT_EQ(cx.exec("SELECT (SELECT count(*) FROM analytics.users_joined_per_year_mv) = "
                      "(SELECT count(*) FROM analytics.users_joined_per_year)")
                  .get(0, 0),
              "t");
    EXPECT_NE(cx.exec("SELECT count(*) FROM analytics.users_joined_per_year_mv").get(0, 0), "0");
}

TEST(RefreshCommand, FailsWithOneLineWhenPostgresIsUnreachable) {
    const testing::PinpipeRun run = testing::run_pinpipe(
        {"refresh", "--dsn", "host=/nonexistent-pinpipe-socket-dir port=1 connect_timeout=2"});
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("/nonexistent-pinpipe-socket-dir"), std::string::npos) << run.output;
}

TEST(RefreshCommand, RejectsPositionalArguments) {
    const testing::PinpipeRun run = testing::run_pinpipe({"refresh", "now"});
    EXPECT_EQ(run.exit_code, 2) << run.output;
}

}  // namespace
}  // namespace pinpipe
