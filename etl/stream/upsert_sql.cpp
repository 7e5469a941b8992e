#include "stream/upsert_sql.hpp"

#include <fmt/format.h>

#include "pg/connection.hpp"
#include "pg/copy_encoding.hpp"

namespace pinpipe::stream {
namespace {

// {a,NULL,c}: each present value written by append_element.
template <typename AppendElement>
std::string optional_array_literal(const std::vector<std::optional<int64_t>>& values,
                                   AppendElement append_element) {
    std::string array = "{";
    for (size_t i = 0; i < values.size(); ++i) {
        array += i ? "," : "";
        if (values[i]) {
            append_element(array, *values[i]);
        } else {
            array += "NULL";
        }
    }
    return array + "}";
}

Statement minute_upsert(std::string_view table, std::string_view key_column,
                        std::string_view count_column, const MinuteCounts& counts) {
    std::vector<std::string_view> keys;
    std::vector<std::optional<int64_t>> minutes;
    std::vector<std::optional<int64_t>> values;
    for (const auto& [key, n] : counts) {
        keys.push_back(key.first);
        minutes.emplace_back(key.second);
        values.emplace_back(n);
    }
    return {fmt::format("INSERT INTO realtime.{0} AS t ({1}, minute, {2}) "
                        "SELECT d.k, d.m, d.n "
                        "FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS d(k, m, n) "
                        "ON CONFLICT ({1}, minute) DO UPDATE SET {2} = t.{2} + excluded.{2}",
                        table, key_column, count_column),
            {text_array_literal(keys), timestamptz_array_literal(minutes),
             bigint_array_literal(values)}};
}

Statement poster_upsert(const std::map<std::string, PosterDelta>& posters) {
    std::vector<std::string_view> names;
    std::vector<std::optional<int64_t>> posts;
    std::vector<std::optional<int64_t>> counts;
    std::vector<std::optional<int64_t>> counts_seen;
    std::vector<std::optional<int64_t>> last_seen;
    for (const auto& [name, delta] : posters) {
        names.push_back(name);
        posts.emplace_back(delta.posts);
        counts.push_back(delta.follower_count);
        counts_seen.push_back(delta.follower_count
                                  ? std::optional<int64_t>(delta.follower_count_seen_ms)
                                  : std::nullopt);
        last_seen.emplace_back(delta.last_seen_ms);
    }
    // The newer (seen, count) pair wins, the same maximum MetricDeltas takes within a batch.
    constexpr std::string_view newer_count =
        "excluded.follower_count IS NOT NULL AND (t.follower_count IS NULL OR "
        "(excluded.follower_count_seen, excluded.follower_count) > "
        "(t.follower_count_seen, t.follower_count))";
    return {fmt::format("INSERT INTO realtime.poster_popularity AS t "
                        "(poster_name, posts, follower_count, follower_count_seen, last_seen) "
                        "SELECT d.k, d.n, d.f, d.fs, d.ls "
                        "FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[], "
                        "$5::timestamptz[]) AS d(k, n, f, fs, ls) "
                        "ON CONFLICT (poster_name) DO UPDATE SET posts = t.posts + excluded.posts, "
                        "follower_count = CASE WHEN {0} THEN excluded.follower_count "
                        "ELSE t.follower_count END, "
                        "follower_count_seen = CASE WHEN {0} THEN excluded.follower_count_seen "
                        "ELSE t.follower_count_seen END, "
                        "last_seen = greatest(t.last_seen, excluded.last_seen)",
                        newer_count),
            {text_array_literal(names), bigint_array_literal(posts), bigint_array_literal(counts),
             timestamptz_array_literal(counts_seen), timestamptz_array_literal(last_seen)}};
}

}  // namespace

std::string text_array_literal(const std::vector<std::string_view>& values) {
    return pg::text_array_literal(values);
}

std::string bigint_array_literal(const std::vector<std::optional<int64_t>>& values) {
    return optional_array_literal(
        values, [](std::string& out, int64_t value) { out += std::to_string(value); });
}

std::string timestamptz_array_literal(const std::vector<std::optional<int64_t>>& epoch_ms) {
    return optional_array_literal(epoch_ms, [](std::string& out, int64_t value) {
        out += '"';
        pg::append_copy_timestamp(out, value);
        out += '"';
    });
}

std::vector<Statement> upsert_statements(const MetricDeltas& deltas) {
    std::vector<Statement> statements;
    const auto add_minutes = [&](std::string_view table, std::string_view key_column,
                                 std::string_view count_column, const MinuteCounts& counts) {
        if (!counts.empty()) {
            statements.push_back(minute_upsert(table, key_column, count_column, counts));
        }
    };
    add_minutes("event_minute", "kind", "events", deltas.event_minute());
    add_minutes("category_minute", "category", "posts", deltas.category_minute());
    add_minutes("country_minute", "country", "posts", deltas.country_minute());
    add_minutes("age_group_minute", "age_group", "users", deltas.age_group_minute());
    if (!deltas.poster_popularity().empty()) {
        statements.push_back(poster_upsert(deltas.poster_popularity()));
    }
    return statements;
}

}  // namespace pinpipe::stream
