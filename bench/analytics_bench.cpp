// Analytics on 1M emulated events (DESIGN §12 goals: every plain view < 2 s, every materialized
// read < 10 ms, full refresh < 30 s). Starts a throwaway cluster, migrates it, COPYs the
// generated events straight into staging (the Kafka path is benchmarked with load), ANALYZEs,
// then times each view, each *_mv read and the full refresh. Use bench/analytics.sh.
//
// Environment: PINPIPE_BENCH_EVENTS (default 1000000), PINPIPE_BENCH_SEED (default 42),
// PINPIPE_BENCH_DSN (use this database instead of a throwaway cluster: migrated, and seeded only
// when its staging is empty, so that repeated runs skip the minute of seeding).
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "analytics/refresh.hpp"
#include "analytics/staging_seed.hpp"
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "pg/migrations.hpp"

namespace {

using namespace std::string_view_literals;

constexpr std::array analytics_views = {
    "top_category_per_country"sv,
    "top_category_per_year"sv,
    "most_followed_user_per_country"sv,
    "country_with_most_followed_user"sv,
    "top_category_per_age_group"sv,
    "median_followers_per_age_group"sv,
    "users_joined_per_year"sv,
    "median_followers_per_join_year"sv,
    "median_followers_per_join_year_and_age_group"sv,
};

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The seeded database, made once per process on first use (not timed).
struct Fixture {
    std::unique_ptr<pinpipe::pg::LocalCluster> cluster;
    std::string dsn;

    Fixture() {
        dsn = env_or("PINPIPE_BENCH_DSN", "");
        if (dsn.empty()) {
            pinpipe::pg::LocalClusterOptions options;
            options.root = pinpipe::pg::make_temp_directory("pinpipe-bench-pg-");
            cluster = std::make_unique<pinpipe::pg::LocalCluster>(options);
            cluster->create_database("bench");
            dsn = cluster->dsn("bench");
        }
        pinpipe::pg::Connection cx = pinpipe::pg::Connection::open(dsn, "pinpipe-bench");
        pinpipe::pg::apply_migrations(
            cx, pinpipe::pg::parse_migrations(pinpipe::pg::embedded_migrations()));
        if (cx.exec("SELECT EXISTS (SELECT FROM staging.pin_events)").get(0, 0) == "t") {
            return;
        }
        pinpipe::analytics::StagingSeed seed;
        seed.events = std::stoll(env_or("PINPIPE_BENCH_EVENTS", "1000000"));
        seed.seed = std::stoull(env_or("PINPIPE_BENCH_SEED", "42"));
        auto started = std::chrono::steady_clock::now();
        pinpipe::analytics::copy_generated_events(cx, seed);
        std::cerr << fmt::format("seeded {} events (3 staging rows each) in {:.1f} s\n",
                                 seed.events, seconds_since(started));
        started = std::chrono::steady_clock::now();
        cx.exec("VACUUM ANALYZE staging.pin_events, staging.geo_events, staging.user_events");
        pinpipe::analytics::refresh_materialized_views(cx);
        std::cerr << fmt::format("vacuumed, analyzed and refreshed in {:.1f} s\n",
                                 seconds_since(started));
    }
};

Fixture& fixture() {
    static Fixture instance;
    return instance;
}

void read_all_rows(benchmark::State& state, const std::string& sql) {
    pinpipe::pg::Connection cx = pinpipe::pg::Connection::open(fixture().dsn, "pinpipe-bench");
    int rows = 0;
    for (auto _ : state) {
        rows = cx.exec(sql).rows();
        benchmark::DoNotOptimize(rows);
    }
    state.counters["rows"] = rows;
}

void full_refresh(benchmark::State& state) {
    pinpipe::pg::Connection cx = pinpipe::pg::Connection::open(fixture().dsn, "pinpipe-bench");
    for (auto _ : state) {
        const auto timings = pinpipe::analytics::refresh_materialized_views(cx);
        benchmark::DoNotOptimize(timings.size());
    }
}

const bool registered = [] {
    for (const std::string_view view : analytics_views) {
        benchmark::RegisterBenchmark(fmt::format("view/{}", view).c_str(), read_all_rows,
                                     fmt::format("SELECT * FROM analytics.{}", view))
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Iterations(1)
            ->Repetitions(5)
            ->ReportAggregatesOnly(true);
    }
    for (const std::string_view view : analytics_views) {
        // A BI tool reads the twin in the view's order, which the table does not guarantee.
        benchmark::RegisterBenchmark(fmt::format("mv/{}_mv", view).c_str(), read_all_rows,
                                     fmt::format("SELECT * FROM analytics.{}_mv ORDER BY 1", view))
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Repetitions(5)
            ->ReportAggregatesOnly(true);
    }
    benchmark::RegisterBenchmark("refresh/all", full_refresh)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1)
        ->Repetitions(3)
        ->ReportAggregatesOnly(true);
    return true;
}();

}  // namespace
