// The nine live analytics answers against results computed independently in C++ from the same
// generated events: the C++ cleaner of the streaming path, "latest message wins" by hand, and
// counting, ranking and medians in plain loops. Staging is written directly with COPY (the Kafka
// path is load's to test); the triggers keep the answers current, so they are compared after
// every delivery, re-sends that change values included, with no refresh in between. Also
// pinpipe refresh --verify and --rebuild.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "analytics/refresh.hpp"
#include "emulate/generator.hpp"
#include "events/cleaning.hpp"
#include "events/validation.hpp"
#include "pg/connection.hpp"
#include "pg/staging_rows.hpp"
#include "pg/staging_writer.hpp"
#include "support/harness.hpp"
#include "support/staging_seed.hpp"

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

// The latest message of each ind: newest Kafka timestamp, then the highest partition and offset,
// as the clean tables order them (one topic per kind here).
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

// Every year counts (DESIGN §7: no year is cut off).
std::optional<int> year_of(const std::optional<std::string>& timestamp) {
    if (!timestamp) {
        return std::nullopt;
    }
    return std::stoi(timestamp->substr(0, 4));
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
            if (const auto year = year_of(g->second.timestamp); year && p.category) {
                ++category_by_year[{*year, *p.category}];
            }
            if (country && p.poster_name && p.follower_count) {
                keep_max(poster_followers, {*country, *p.poster_name}, *p.follower_count);
            }
        }
        if (const auto u = user.find(ind); u != user.end()) {
            const auto group = events::age_group(u->second.age);
            const auto join_year = year_of(u->second.date_joined);
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
        if (const auto year = year_of(u.date_joined)) {
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
Rows read_rows(pqxx::connection_base& cx, const std::string& relation) {
    const pqxx::result result = testing::exec(cx, fmt::format("SELECT * FROM {}", relation));
    Rows rows;
    for (size_t r = 0; r < result.size(); ++r) {
        Row row;
        for (pqxx::row::size_type c = 0; c < result.columns(); ++c) {
            EXPECT_FALSE(result[r][c].is_null()) << relation << " row " << r << " column " << c;
            const std::string text(result[r][c].as<std::string>());
            row.push_back(std::string_view(result.column_name(c)) == "median_follower_count"
                              ? number(std::stod(text))
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

constexpr std::array kinds = {events::EventKind::pin, events::EventKind::geo,
                              events::EventKind::user};

// One message to deliver: its kind, ind, payload and Kafka timestamp.
struct Message {
    events::EventKind kind;
    std::int64_t ind;
    std::string payload;
    std::int64_t timestamp_ms;
};

// The three messages of a generated event.
std::vector<Message> messages_of(const emulate::GeneratedEvent& event, std::int64_t timestamp_ms) {
    return {{events::EventKind::pin, event.ind, event.pin, timestamp_ms},
            {events::EventKind::geo, event.ind, event.geo, timestamp_ms},
            {events::EventKind::user, event.ind, event.user, timestamp_ms}};
}

// Ind `target` re-sent with the content of the generated event `source`: other values.
std::vector<Message> resend_as(std::int64_t target, std::int64_t source,
                               std::int64_t timestamp_ms) {
    std::vector<Message> messages =
        messages_of(emulate::EventGenerator(kSeed).event_at(source), timestamp_ms);
    for (Message& message : messages) {
        nlohmann::json payload = nlohmann::json::parse(message.payload);
        payload[message.kind == events::EventKind::pin ? "index" : "ind"] = target;
        message.payload = payload.dump();
        message.ind = target;
    }
    return messages;
}

size_t kinds_index(events::EventKind kind) {
    return static_cast<size_t>(std::find(kinds.begin(), kinds.end(), kind) - kinds.begin());
}

class LiveAnalytics : public ::testing::Test {
  protected:
    LiveAnalytics() : m_dsn(testing::migrated_database()), m_cx(m_dsn, "analytics_test") {}

    // The generated events, each delivered as the seeding COPY delivers it.
    void seed_generated_events() {
        testing::StagingSeed seed;
        seed.seed = kSeed;
        seed.events = kEvents;
        seed.topic_prefix = "t";
        std::int64_t i = 0;
        std::map<int, std::int64_t> offsets;
        testing::copy_generated_events(m_cx, seed, [&](const emulate::GeneratedEvent& event) {
            const int partition = static_cast<int>(event.ind % seed.partitions);
            const std::int64_t offset = offsets[partition]++;
            const std::int64_t timestamp = seed.first_timestamp_ms + i++;
            m_pins.add(event.ind, {timestamp, partition, offset, event.pin});
            m_geos.add(event.ind, {timestamp, partition, offset, event.geo});
            m_users.add(event.ind, {timestamp, partition, offset, event.user});
        });
    }

    // One COPY statement per kind, kinds in the given order (so that geolocations and users may
    // arrive before their pins); partition 100 + ind % 8 (apart from the seeding's partitions),
    // offsets counted per topic and partition.
    void deliver(const std::vector<Message>& messages,
                 const std::array<events::EventKind, 3>& order = kinds) {
        for (const events::EventKind kind : order) {
            const std::string topic = fmt::format("t.{}", events::kind_name(kind));
            pg::StagingRows rows;
            for (const Message& message : messages) {
                if (message.kind != kind) {
                    continue;
                }
                const int partition = 100 + static_cast<int>(message.ind % 8);
                const std::int64_t offset = m_offsets[{topic, partition}]++;
                rows.append({topic, partition, offset, message.timestamp_ms, std::nullopt},
                            message.payload);
                latest(kind).add(message.ind,
                                 {message.timestamp_ms, partition, offset, message.payload});
            }
            if (!rows.empty()) {
                pqxx::work tx(m_cx);  // one COPY, committed on its own
                pg::copy_staging_rows(tx, kind, rows);
                tx.commit();
            }
        }
    }

    LatestByInd& latest(events::EventKind kind) {
        return kind == events::EventKind::pin   ? m_pins
               : kind == events::EventKind::geo ? m_geos
                                                : m_users;
    }

    Expected expected() const { return compute_expected(m_pins, m_geos, m_users); }

    void expect_answers_match(const Expected& expected) {
        for (const auto& [view, rows] : expected.views) {
            const std::string relation = "analytics." + view;
            const Rows actual = read_rows(m_cx, relation);
            EXPECT_FALSE(actual.empty()) << relation;
            EXPECT_EQ(actual, rows) << relation;
        }
    }

    std::string m_dsn;
    pg::Connection m_cx;
    LatestByInd m_pins, m_geos, m_users;
    std::map<std::pair<std::string, int>, std::int64_t> m_offsets;
};

TEST_F(LiveAnalytics, MatchResultsComputedInCppFromTheSameEvents) {
    seed_generated_events();
    const Expected want = expected();
    ASSERT_EQ(want.views.size(), 9U);
    // The data set exercises ties: some country has several top categories.
    EXPECT_TRUE(has_tie(want.views.at("top_category_per_country")));
    expect_answers_match(want);
}

TEST_F(LiveAnalytics, LatestMessageOfAnIndWins) {
    seed_generated_events();
    // Ten inds take the content of ten others, sent later than everything.
    std::vector<Message> resends;
    for (std::int64_t k = 0; k < 10; ++k) {
        for (Message& message : resend_as(k, kEvents / 2 + k, 1'800'000'000'000)) {
            resends.push_back(std::move(message));
        }
    }
    deliver(resends);
    expect_answers_match(expected());
    EXPECT_EQ(testing::exec(m_cx, "SELECT count(*) FROM clean.pins")[0][0].as<std::string>(),
              std::to_string(m_pins.latest().size()));
}

TEST_F(LiveAnalytics, AnswersFollowEveryDeliveryWithoutRefresh) {
    constexpr std::int64_t events_per_delivery = 1000;
    constexpr std::int64_t first_timestamp_ms = 1'700'000'000'000;
    // Kinds arrive in a different order each time: pins before, between or after the rest.
    const std::array<std::array<events::EventKind, 3>, 4> orders = {{
        {events::EventKind::pin, events::EventKind::geo, events::EventKind::user},
        {events::EventKind::user, events::EventKind::geo, events::EventKind::pin},
        {events::EventKind::geo, events::EventKind::pin, events::EventKind::user},
        {events::EventKind::user, events::EventKind::pin, events::EventKind::geo},
    }};
    emulate::EventGenerator generator(kSeed);
    std::int64_t sent = 0;
    for (size_t delivery = 0; delivery < orders.size(); ++delivery) {
        std::vector<Message> messages;
        for (std::int64_t i = 0; i < events_per_delivery; ++i, ++sent) {
            for (Message& message : messages_of(generator.next(), first_timestamp_ms + sent)) {
                messages.push_back(std::move(message));
            }
        }
        if (delivery > 0) {
            // Re-sends that change values (newer than anything: they win) and stale re-sends
            // (older than anything: they lose), in the same statements as new events.
            for (std::int64_t k = 0; k < 30; ++k) {
                const std::int64_t target =
                    (k * 37 + static_cast<std::int64_t>(delivery)) % generator.next_ind();
                for (Message& message : resend_as(target, generator.next_ind() + 5000 + k,
                                                  first_timestamp_ms + sent)) {
                    messages.push_back(std::move(message));
                }
                for (Message& message : resend_as(target + 1, generator.next_ind() + 9000 + k,
                                                  first_timestamp_ms - 1)) {
                    messages.push_back(std::move(message));
                }
            }
            ++sent;
        }
        deliver(messages, orders[delivery]);
        SCOPED_TRACE(fmt::format("after delivery {}", delivery + 1));
        expect_answers_match(expected());
        for (const analytics::AnswerCheck& check : analytics::verify_answers(m_cx)) {
            EXPECT_TRUE(check.equal()) << check.name;
        }
    }
}

// Three writers at once, each committing transactions of pin, geo and user COPYs in its own kind
// order, on overlapping inds with re-sends that change values: the folds serialize on the
// live-state lock, so nothing deadlocks and the answers equal both the C++ computation and the
// recomputation over clean.*.
TEST_F(LiveAnalytics, ConcurrentWritersStayExactWithoutDeadlock) {
    constexpr int writers = 3;
    constexpr int transactions = 8;
    constexpr std::int64_t events_per_transaction = 300;
    const std::array<std::array<events::EventKind, 3>, writers> orders = {{
        {events::EventKind::pin, events::EventKind::geo, events::EventKind::user},
        {events::EventKind::user, events::EventKind::geo, events::EventKind::pin},
        {events::EventKind::geo, events::EventKind::user, events::EventKind::pin},
    }};
    std::vector<std::thread> threads;
    std::vector<std::string> failures(writers);
    std::mutex model;  // guards the LatestByInd models
    for (int writer = 0; writer < writers; ++writer) {
        threads.emplace_back([&, writer] {
            try {
                pg::Connection cx(m_dsn, "analytics_test_writer");
                std::int64_t offset = 0;
                for (int t = 0; t < transactions; ++t) {
                    pqxx::work tx(cx);
                    for (const events::EventKind kind : orders[static_cast<size_t>(writer)]) {
                        const std::string topic = fmt::format("t.{}", events::kind_name(kind));
                        pg::StagingRows rows;
                        for (std::int64_t i = 0; i < events_per_transaction; ++i) {
                            // Every writer touches inds 0..999: each ind is written by all three.
                            const std::int64_t n = t * events_per_transaction + i;
                            const std::int64_t ind = (n * 7 + writer * 13) % 1000;
                            const auto messages =
                                resend_as(ind, 2000 + writer * 10000 + n, 1'700'000'000'000 + n);
                            const Message& message = messages[kinds_index(kind)];
                            rows.append(
                                {topic, writer, offset + i, message.timestamp_ms, std::nullopt},
                                message.payload);
                            const std::lock_guard lock(model);
                            latest(kind).add(
                                ind, {message.timestamp_ms, writer, offset + i, message.payload});
                        }
                        pg::copy_staging_rows(tx, kind, rows);
                    }
                    offset += events_per_transaction;
                    tx.commit();
                }
            } catch (const std::exception& error) {
                failures[static_cast<size_t>(writer)] = error.what();
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    for (const std::string& failure : failures) {
        EXPECT_EQ(failure, "");
    }
    expect_answers_match(expected());
    for (const analytics::AnswerCheck& check : analytics::verify_answers(m_cx)) {
        EXPECT_TRUE(check.equal()) << check.name;
    }
}

TEST_F(LiveAnalytics, RebuildFromStagingGivesTheSameAnswers) {
    seed_generated_events();
    deliver(resend_as(3, kEvents / 2, 1'800'000'000'000));
    testing::exec(m_cx, "TRUNCATE analytics.category_country_counts");
    const analytics::RebuildSummary summary = analytics::rebuild_live_state(m_cx);
    EXPECT_EQ(summary.pins, static_cast<long long>(m_pins.latest().size()));
    EXPECT_EQ(summary.geolocations, static_cast<long long>(m_geos.latest().size()));
    EXPECT_EQ(summary.users, static_cast<long long>(m_users.latest().size()));
    expect_answers_match(expected());
}

// A migrated database with 500 generated events in staging (and so in the live state).
std::string seeded_database() {
    const std::string dsn = testing::migrated_database();
    pg::Connection cx(dsn, "analytics_test");
    testing::StagingSeed seed;
    seed.events = 500;
    testing::copy_generated_events(cx, seed);
    return dsn;
}

// Drift fixed: the rebuild's TRUNCATE waited, holding the fold lock, for as long as a reader
// kept a transaction open, and every load waited with it.
TEST(Rebuild, GivesUpOnAReaderThatKeepsItsTransactionOpenNamingIt) {
    const std::string dsn = seeded_database();
    pg::Connection reader(dsn, "bi_tool");
    pqxx::work reading(reader);
    const long long reader_pid = reading.exec1("SELECT pg_backend_pid()")[0].as<long long>();
    reading.exec("SELECT count(*) FROM analytics.users_joined_per_year");

    pg::Connection admin(dsn, "analytics_test");
    testing::exec(admin, "SET statement_timeout = '60s'");  // a hang fails, not waits
    try {
        analytics::rebuild_live_state(admin);
        ADD_FAILURE() << "the rebuild emptied the tables under an open reader";
    } catch (const pqxx::sql_error& error) {
        const std::string message = error.what();
        EXPECT_EQ(error.sqlstate(), "55P03") << message;
        EXPECT_NE(message.find(fmt::format("pid {} (role", reader_pid)), std::string::npos)
            << message;
        EXPECT_NE(message.find("application_name \"bi_tool\""), std::string::npos) << message;
    }
    reading.commit();
    EXPECT_GT(analytics::rebuild_live_state(admin).pins, 0);
}

// Drift fixed: verify's snapshot was taken before it waited for a rebuild's TRUNCATE, so it
// read the tables empty once the rebuild committed, and found the empty answers equal to their
// empty recomputation.
TEST(Verify, WaitsForARebuildInProgressAndReadsWhatItWrote) {
    const std::string dsn = seeded_database();
    pg::Connection rebuilder(dsn, "analytics_test");
    pqxx::work rebuilding(rebuilder);
    rebuilding.exec("SELECT analytics.rebuild_live_state()");

    std::vector<analytics::AnswerCheck> checks;
    std::string verify_error;
    std::thread verifier([&] {
        try {
            pg::Connection cx(dsn, "verify_during_rebuild");
            checks = analytics::verify_answers(cx);
        } catch (const std::exception& error) {
            verify_error = error.what();
        }
    });
    pg::Connection observer(dsn, "analytics_test");
    EXPECT_TRUE(testing::eventually([&] {
        return testing::exec(observer,
                             "SELECT 1 FROM pg_stat_activity WHERE application_name = "
                             "'verify_during_rebuild' AND wait_event_type = 'Lock'")
                   .size() == 1;
    }));
    rebuilding.commit();
    verifier.join();
    ASSERT_EQ(verify_error, "");
    ASSERT_EQ(checks.size(), analytics::answer_definitions().size());
    for (const analytics::AnswerCheck& check : checks) {
        EXPECT_TRUE(check.equal()) << check.name;
        EXPECT_GT(check.live_rows, 0) << check.name;
    }
}

TEST(RefreshCommand, VerifiesEveryAnswer) {
    const std::string dsn = seeded_database();
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"refresh", "--dsn", dsn},
          std::vector<std::string>{"refresh", "--verify", "--dsn", dsn}}) {
        const testing::PinpipeRun run = testing::run_pinpipe(args);
        ASSERT_EQ(run.exit_code, 0) << run.output;
        for (const analytics::AnswerDefinition& answer : analytics::answer_definitions()) {
            EXPECT_NE(run.output.find(fmt::format("ok analytics.{}: ", answer.name)),
                      std::string::npos)
                << run.output;
        }
        EXPECT_NE(run.output.find("refresh: all 9 analytics answers equal their recomputation"),
                  std::string::npos)
            << run.output;
    }
}

TEST(RefreshCommand, OnATerminalAStatusLineNamesEachPhaseAndMakesWayForTheAnswers) {
    const std::string dsn = seeded_database();
    const testing::PinpipeRun run =
        testing::run_pinpipe_on_terminal({"refresh", "--rebuild", "--dsn", dsn});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    for (const std::string phase :
         {"\rrefresh: rebuilding clean.* and the counts from staging, 0:0", "\r\x1b[Krebuilt ",
          "\rrefresh: recomputing the 9 analytics answers, 0:0", "\r\x1b[Kok analytics.",
          "refresh: all 9 analytics answers equal their recomputation"}) {
        EXPECT_NE(run.output.find(phase), std::string::npos) << phase << "\n" << run.output;
    }

    // Not on a terminal: the lines of before and nothing else.
    const testing::PinpipeRun piped = testing::run_pinpipe({"refresh", "--rebuild", "--dsn", dsn});
    ASSERT_EQ(piped.exit_code, 0) << piped.output;
    EXPECT_EQ(piped.output.find('\r'), std::string::npos) << piped.output;
    EXPECT_EQ(piped.output.find("elapsed"), std::string::npos) << piped.output;
    EXPECT_EQ(piped.output.rfind("rebuilt ", 0), 0u) << piped.output;
}

TEST(RefreshCommand, NamesEveryDifferingAnswerAndRebuildRepairs) {
    const std::string dsn = seeded_database();
    {
        pg::Connection cx(dsn, "analytics_test");
        // Damage two answers behind the triggers' back.
        testing::exec(cx, "UPDATE analytics.user_join_year_counts SET users = users + 1");
        testing::exec(cx, "DELETE FROM analytics.follower_join_year_counts");
    }
    const testing::PinpipeRun verify = testing::run_pinpipe({"refresh", "--dsn", dsn});
    EXPECT_EQ(verify.exit_code, 1) << verify.output;
    EXPECT_NE(verify.output.find("DIFFERS analytics.users_joined_per_year: "), std::string::npos)
        << verify.output;
    EXPECT_NE(verify.output.find("2 of 9 analytics answers differ from their recomputation over "
                                 "clean.*: analytics.users_joined_per_year, "
                                 "analytics.median_followers_per_join_year (run pinpipe refresh "
                                 "--rebuild"),
              std::string::npos)
        << verify.output;

    const testing::PinpipeRun rebuild =
        testing::run_pinpipe({"refresh", "--rebuild", "--dsn", dsn});
    EXPECT_EQ(rebuild.exit_code, 0) << rebuild.output;
    EXPECT_NE(rebuild.output.find(" geolocations, "), std::string::npos) << rebuild.output;
    EXPECT_NE(rebuild.output.find(" users and their counts from staging in "), std::string::npos)
        << rebuild.output;
    EXPECT_NE(rebuild.output.find("refresh: all 9 analytics answers equal"), std::string::npos)
        << rebuild.output;
}

TEST(RefreshCommand, VerifyAndRebuildExcludeEachOther) {
    const testing::PinpipeRun run = testing::run_pinpipe({"refresh", "--verify", "--rebuild"});
    EXPECT_EQ(run.exit_code, 2) << run.output;
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
