// The live analytics on 1M emulated events (DESIGN §12 goals: every answer read < 10 ms,
// refresh --verify < 60 s). Starts a throwaway cluster, migrates it, COPYs the generated events
// straight into staging with the triggers off and rebuilds clean.* and the counts from it (the
// triggers' cost is benchmarked with load), ANALYZEs, then times each answer read, the
// verification and the rebuild from staging. Use bench/analytics.sh.
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
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "pg/migrations.hpp"
#include "support/staging_seed.hpp"

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
        pinpipe::pg::Connection cx(dsn, "pinpipe-bench");
        pinpipe::pg::apply_migrations(
            cx, pinpipe::pg::parse_migrations(pinpipe::pg::embedded_migrations()));
        if (pqxx::nontransaction(cx)
                .exec1("SELECT EXISTS (SELECT FROM staging.pin_events)")[0]
                .as<bool>()) {
            return;
        }
        pinpipe::testing::StagingSeed seed;
        seed.events = std::stoll(env_or("PINPIPE_BENCH_EVENTS", "1000000"));
        seed.seed = std::stoull(env_or("PINPIPE_BENCH_SEED", "42"));
        // The fast path of a bulk seed: COPY with the staging triggers off (replica role: the
        // bench runs as a superuser), then one set-based rebuild of clean.* and the counts.
        auto started = std::chrono::steady_clock::now();
        pqxx::nontransaction(cx).exec("SET session_replication_role = replica");
        pinpipe::testing::copy_generated_events(cx, seed);
        pqxx::nontransaction(cx).exec("RESET session_replication_role");
        std::cerr << fmt::format("copied {} events (3 staging rows each) in {:.1f} s\n",
                                 seed.events, seconds_since(started));
        started = std::chrono::steady_clock::now();
        pinpipe::analytics::rebuild_live_state(cx);
        std::cerr << fmt::format("rebuilt clean.* and the counts in {:.1f} s\n",
                                 seconds_since(started));
        started = std::chrono::steady_clock::now();
        pqxx::nontransaction(cx).exec("VACUUM ANALYZE");  // not inside a transaction block
        std::cerr << fmt::format("vacuumed and analyzed in {:.1f} s\n", seconds_since(started));
    }
};

Fixture& fixture() {
    static Fixture instance;
    return instance;
}

void read_all_rows(benchmark::State& state, const std::string& sql) {
    pinpipe::pg::Connection cx(fixture().dsn, "pinpipe-bench");
    size_t rows = 0;
    for (auto _ : state) {
        rows = pqxx::nontransaction(cx).exec(sql).size();
        benchmark::DoNotOptimize(rows);
    }
    state.counters["rows"] = static_cast<double>(rows);
}

void verify(benchmark::State& state) {
    pinpipe::pg::Connection cx(fixture().dsn, "pinpipe-bench");
    for (auto _ : state) {
        for (const auto& check : pinpipe::analytics::verify_answers(cx)) {
            if (!check.equal()) {
                state.SkipWithError(fmt::format("{} differs", check.name).c_str());
            }
        }
    }
}

void rebuild(benchmark::State& state) {
    pinpipe::pg::Connection cx(fixture().dsn, "pinpipe-bench");
    for (auto _ : state) {
        benchmark::DoNotOptimize(pinpipe::analytics::rebuild_live_state(cx).pins);
    }
}

const bool registered = [] {
    for (const std::string_view view : analytics_views) {
        benchmark::RegisterBenchmark(fmt::format("answer/{}", view).c_str(), read_all_rows,
                                     fmt::format("SELECT * FROM analytics.{}", view))
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Repetitions(5)
            ->ReportAggregatesOnly(true);
    }
    benchmark::RegisterBenchmark("refresh/verify", verify)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1)
        ->Repetitions(3)
        ->ReportAggregatesOnly(true);
    if (env_or("PINPIPE_BENCH_REBUILD", "1") == "1") {
        benchmark::RegisterBenchmark("refresh/rebuild", rebuild)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Iterations(1)
            ->Repetitions(1)
            ->ReportAggregatesOnly(true);
    }
    return true;
}();

}  // namespace
