#include "demo/demo.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <thread>

#include "analytics/refresh.hpp"
#include "kafka/mock_cluster.hpp"
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "pg/migrations.hpp"
#include "util/errors.hpp"
#include "util/process.hpp"
#include "util/signals.hpp"

namespace pinpipe::demo {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const std::filesystem::path demo_root = ".pinpipe";
constexpr const char* demo_database = "pinpipe";
// The mock broker keeps about 5 MB per partition; a pin is ~600 bytes. Spread the events so no
// partition holds more than ~4 MB, whatever --events asks for.
constexpr int min_partitions = 6;
constexpr int64_t events_per_partition = 6'000;
constexpr auto catch_up_timeout = 120s;
constexpr double min_rate = 1.0 / 3600;

constexpr int rows_shown_per_view = 10;

void step(const std::string& text) {
    std::cout << "==> " << text << std::endl;
}

std::string self_binary() {
    return std::filesystem::read_symlink("/proc/self/exe").string();
}

// A command of this binary, run in the background with its logs in the demo's log file.
class DemoChild {
  public:
    DemoChild(std::string name, std::vector<std::string> args, const std::filesystem::path& log)
        : m_name(std::move(name)), m_process(with_binary(std::move(args)), {}, log) {}

    const std::string& name() const { return m_name; }
    util::ChildProcess& process() { return m_process; }

    // Throws when the child ended before it was asked to.
    void check_running(const std::filesystem::path& log) {
        if (const auto exit_code = m_process.wait_for(0ms)) {
            throw std::runtime_error(
                fmt::format("pinpipe {} stopped unexpectedly (exit {}); see {}", m_name, *exit_code,
                            log.string()));
        }
    }

    void stop(const std::filesystem::path& log) {
        m_process.send_signal(SIGTERM);
        const auto exit_code = m_process.wait_for(10s);
        if (exit_code != 0) {
            throw std::runtime_error(fmt::format(
                "pinpipe {} did not stop cleanly ({}); see {}", m_name,
                exit_code ? fmt::format("exit {}", *exit_code) : std::string("still running"),
                log.string()));
        }
    }

  private:
    static std::vector<std::string> with_binary(std::vector<std::string> args) {
        args.insert(args.begin(), self_binary());
        return args;
    }

    std::string m_name;
    util::ChildProcess m_process;
};

int64_t committed_messages(pqxx::connection_base& cx, const std::string& group) {
    return pqxx::nontransaction(cx)
        .exec_params1(
            "SELECT coalesce(sum(next_offset), 0) FROM etl.consumer_offsets WHERE consumer = $1",
            group)[0]
        .as<int64_t>();
}

std::string query_text(pqxx::connection_base& cx, const std::string& sql) {
    const pqxx::result result = pqxx::nontransaction(cx).exec(sql);
    return result.empty() ? "-" : result[0][0].as<std::string>("-");
}

// psql prints what analysts will see when they connect: the same aligned tables.
void print_query(const std::string& dsn, const std::string& title, const std::string& sql) {
    const std::filesystem::path psql = pg::LocalCluster::server_bin_dir() / "psql";
    const util::ProcessResult result =
        util::run_process({psql.string(), "-X", "-q", "-P", "footer=off", "-d", dsn, "-c", sql});
    if (result.exit_code != 0) {
        throw std::runtime_error(fmt::format("psql failed on {}: {}", title, result.output));
    }
    std::cout << "\n" << title << "\n" << result.output;
}

struct DemoSettings {
    int64_t events;
    double rate;
    uint64_t seed;
    int partitions;
};

DemoSettings demo_settings(const DemoOptions& options) {
    DemoSettings settings{};
    settings.events = options.events;
    settings.rate = options.rate;
    settings.seed = options.seed;
    if (settings.events <= 0) {
        throw UsageError("--events must be positive (the demo waits for every event)");
    }
    // Below one event an hour the demo would not end today, and events / rate would overflow
    // its clock.
    if (!std::isfinite(settings.rate) || settings.rate < 0 ||
        (settings.rate > 0 && settings.rate < min_rate)) {
        throw UsageError(fmt::format(
            "--rate must be 0 (as fast as possible) or at least {} events per second", min_rate));
    }
    settings.partitions = static_cast<int>(std::max<int64_t>(
        min_partitions, (settings.events + events_per_partition - 1) / events_per_partition));
    return settings;
}

std::string start_database(const std::filesystem::path& root, int port) {
    step("starting PostgreSQL in " + root.string());
    pg::LocalClusterOptions pg_options;
    pg_options.root = root;
    pg_options.port = port;
    pg_options.remove_on_stop = false;
    pg_options.keep_running = true;
    pg::LocalCluster cluster(pg_options);
    // Every run starts from an empty database: the mock Kafka cluster starts empty too, and
    // offsets stored by an earlier run would point past its new messages.
    pg::Connection admin(cluster.dsn(), "pinpipe-demo");
    pqxx::nontransaction databases(admin);  // neither statement runs inside a transaction
    databases.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", demo_database));
    databases.exec(fmt::format("CREATE DATABASE {}", demo_database));
    return cluster.dsn(demo_database);
}

void migrate(const std::string& dsn) {
    step("migrating");
    pg::Connection cx(dsn, "pinpipe-demo");
    const auto migrations = pg::parse_migrations(pg::embedded_migrations());
    const auto applied = pg::apply_migrations(cx, migrations);
    std::cout << fmt::format("    {} migrations applied, schema at version {:04d}\n",
                             applied.versioned.size() + applied.repeatable.size(),
                             migrations.versioned.back().version);
}

// Waits until load and stream have committed every produced message, showing progress.
void wait_for_pipeline(const std::string& dsn, const DemoSettings& settings, DemoChild& emulator,
                       std::vector<DemoChild*> consumers, const std::filesystem::path& log) {
    pg::Connection cx(dsn, "pinpipe-demo");
    const int64_t messages = settings.events * 3;
    const bool on_terminal = isatty(STDOUT_FILENO) != 0;
    const auto started = Clock::now();
    // Emulating takes events / rate by schedule; the catch-up bound counts from its end.
    const auto emulation_bound =
        catch_up_timeout +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
            settings.rate > 0 ? static_cast<double>(settings.events) / settings.rate : 0.0));
    std::optional<Clock::time_point> produced_at;
    auto last_line = Clock::now() - 1h;
    while (true) {
        if (util::stop_requested()) {
            throw std::runtime_error("interrupted");
        }
        if (!produced_at) {
            if (const auto exit_code = emulator.process().wait_for(0ms)) {
                if (*exit_code != 0) {
                    throw std::runtime_error(fmt::format("pinpipe emulate failed (exit {}); see {}",
                                                         *exit_code, log.string()));
                }
                produced_at = Clock::now();
            }
        }
        for (DemoChild* consumer : consumers) {
            consumer->check_running(log);
        }
        const int64_t loaded = committed_messages(cx, "pinpipe-load");
        const int64_t streamed = committed_messages(cx, "pinpipe-stream");
        const bool done = produced_at && loaded >= messages && streamed >= messages;
        if (done || Clock::now() - last_line >= (on_terminal ? 200ms : 2s)) {
            last_line = Clock::now();
            std::cout << fmt::format("{}    {:.1f} s: loaded {}/{} messages, streamed {}/{}{}",
                                     on_terminal ? "\r" : "",
                                     std::chrono::duration<double>(Clock::now() - started).count(),
                                     loaded, messages, streamed, messages, on_terminal ? "" : "\n")
                      << std::flush;
        }
        if (done) {
            if (on_terminal) {
                std::cout << "\n";
            }
            std::cout << fmt::format(
                "    load and stream caught up {:.0f} ms after the last event was produced\n",
                std::chrono::duration<double, std::milli>(Clock::now() - *produced_at).count());
            return;
        }
        if (!produced_at && Clock::now() - started > emulation_bound) {
            throw std::runtime_error(
                fmt::format("pinpipe emulate did not finish within {:.0f} s, {} s more than its "
                            "schedule; see {}",
                            std::chrono::duration<double>(emulation_bound).count(),
                            catch_up_timeout.count(), log.string()));
        }
        if (produced_at && Clock::now() - *produced_at > catch_up_timeout) {
            throw std::runtime_error(fmt::format(
                "load and stream did not catch up within {} s of the last event; see {}",
                catch_up_timeout.count(), log.string()));
        }
        std::this_thread::sleep_for(100ms);
    }
}

void run_pipeline(const std::string& dsn, const DemoSettings& settings,
                  const std::filesystem::path& root) {
    step("starting the mock Kafka cluster");
    kafka::MockCluster kafka_cluster;
    for (const char* kind : {"pin", "geo", "user"}) {
        kafka_cluster.create_topic(fmt::format("pinterest.{}", kind), settings.partitions);
    }
    const std::string bootstrap = kafka_cluster.bootstrap_servers();
    std::cout << fmt::format("    bootstrap {} with pinterest.pin/.geo/.user ({} partitions)\n",
                             bootstrap, settings.partitions);

    const std::filesystem::path log = root / "demo.log";
    std::filesystem::remove(log);
    const std::vector<std::string> connection = {"--dsn",   dsn,           "-b",
                                                 bootstrap, "--log-level", "warning"};
    const auto command = [&](std::vector<std::string> args) {
        args.insert(args.end(), connection.begin(), connection.end());
        return args;
    };
    step(fmt::format(
        "emulating {} events{}, loading and streaming them (logs in {})", settings.events,
        settings.rate > 0 ? fmt::format(" at {:.0f}/s", settings.rate) : "", log.string()));
    DemoChild loader("load", command({"load", "--follow", "--max-batch-ms", "200"}), log);
    DemoChild streamer("stream", command({"stream"}), log);
    DemoChild emulator(
        "emulate",
        command({"emulate", "--count", std::to_string(settings.events), "--rate",
                 fmt::format("{}", settings.rate), "--seed", std::to_string(settings.seed)}),
        log);
    wait_for_pipeline(dsn, settings, emulator, {&loader, &streamer}, log);
    std::cout << "    " << emulator.process().read_all();
    loader.stop(log);
    streamer.stop(log);
}

void refresh(const std::string& dsn) {
    step("verifying the live analytics answers");
    const util::ProcessResult result =
        util::run_process({self_binary(), "refresh", "--dsn", dsn, "--log-level", "warning"});
    if (result.exit_code != 0) {
        throw std::runtime_error("pinpipe refresh failed: " + result.output);
    }
    std::cout << result.output;
}

void print_results(const std::string& dsn) {
    // The live answers, ordered by definition (age groups in age order).
    step("the nine analytics answers");
    pg::Connection cx(dsn, "pinpipe-demo");
    for (const analytics::AnswerDefinition& answer : analytics::answer_definitions()) {
        const std::string_view view = answer.name;
        const std::string rows =
            query_text(cx, fmt::format("SELECT count(*) FROM analytics.{}", view));
        print_query(dsn,
                    fmt::format("analytics.{} ({} rows{})", view, rows,
                                std::stoll(rows) > rows_shown_per_view
                                    ? fmt::format(", first {}", rows_shown_per_view)
                                    : ""),
                    fmt::format("SELECT * FROM analytics.{} LIMIT {}", view, rows_shown_per_view));
    }
    step("real-time metrics (realtime.*)");
    print_query(dsn, "top categories by posts (realtime.category_minute)",
                "SELECT category, sum(posts) AS posts FROM realtime.category_minute "
                "GROUP BY category ORDER BY posts DESC, category LIMIT 5");

    step("the pipeline's own figures");
    std::cout << fmt::format(
        "    load: Kafka timestamp to row committed in staging, p50 {} ms, p99 {} ms\n",
        query_text(cx,
                   "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch "
                   "FROM loaded_at - kafka_timestamp)) * 1000) FROM staging.pin_events"),
        query_text(cx,
                   "SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch "
                   "FROM loaded_at - kafka_timestamp)) * 1000) FROM staging.pin_events"));
    std::cout << fmt::format("    staging: {} pins, {} geolocations, {} users; dead letters: {}\n",
                             query_text(cx, "SELECT count(*) FROM staging.pin_events"),
                             query_text(cx, "SELECT count(*) FROM staging.geo_events"),
                             query_text(cx, "SELECT count(*) FROM staging.user_events"),
                             query_text(cx, "SELECT count(*) FROM etl.dead_letters"));
}

}  // namespace

std::filesystem::path demo_directory() {
    return std::filesystem::absolute(demo_root);
}

void check_options(const DemoOptions& options) {
    demo_settings(options);
}

void stop_demo() {
    pg::LocalCluster::stop_existing(demo_directory());
}

std::string run_demo(const DemoOptions& options) {
    const DemoSettings settings = demo_settings(options);
    const std::filesystem::path root = demo_directory();
    const std::string dsn = start_database(root, options.pg_port);
    migrate(dsn);
    run_pipeline(dsn, settings, root);
    refresh(dsn);
    print_results(dsn);
    return dsn;
}

}  // namespace pinpipe::demo
