#include "support/harness.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "analytics/refresh.hpp"
#include "pg/migrations.hpp"
#include "util/process.hpp"

namespace pinpipe::testing {

pg::LocalCluster& test_cluster() {
    static std::unique_ptr<pg::LocalCluster> cluster = [] {
        pg::LocalClusterOptions options;
        options.root = pg::make_temp_directory("pinpipe-test-pg-");
        auto started = std::make_unique<pg::LocalCluster>(options);
        // Which server the suite ran against (PINPIPE_PG_BINDIR picks another than Debian's).
        pg::Connection cx(started->dsn(), "pinpipe-test");
        std::cerr << "testing against PostgreSQL "
                  << exec(cx, "SHOW server_version")[0][0].as<std::string>() << " ("
                  << pg::LocalCluster::server_bin_dir().string() << ")\n";
        return started;
    }();
    return *cluster;
}

std::unique_ptr<pg::LocalCluster> start_standby(const pg::LocalCluster& primary) {
    pg::LocalClusterOptions options;
    options.root = pg::make_temp_directory("pinpipe-test-standby-");
    options.standby_of = primary.dsn();
    return std::make_unique<pg::LocalCluster>(options);
}

void wait_for_replay(const std::string& primary_dsn, const std::string& standby_dsn,
                     std::chrono::milliseconds timeout) {
    pg::Connection primary(primary_dsn, "pinpipe-test");
    pg::Connection standby(standby_dsn, "pinpipe-test");
    // The insert position, not the write position: loads commit with synchronous_commit off, so
    // their commit records may not be written yet when this runs.
    const auto target =
        exec(primary, "SELECT pg_current_wal_insert_lsn()::text")[0][0].as<std::string>();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exec(standby, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", {target})[0][0]
                .as<bool>()) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error(fmt::format("the standby did not replay up to {} within {} ms",
                                                 target, timeout.count()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::vector<std::string> answer_relations() {
    std::vector<std::string> names;
    for (const analytics::AnswerDefinition& answer : analytics::answer_definitions()) {
        names.push_back(fmt::format("analytics.{}", answer.name));
    }
    return names;
}

std::string relation_contents(pqxx::connection_base& cx, const std::string& relation) {
    return exec(cx, fmt::format("SELECT count(*) || ':' || coalesce(string_agg(r::text, '|' ORDER "
                                "BY r::text), '') FROM {} r",
                                relation))[0][0]
        .as<std::string>();
}

pqxx::result exec(pqxx::connection_base& cx, const std::string& sql,
                  const std::vector<pg::Param>& params) {
    pqxx::nontransaction tx(cx);
    return params.empty() ? tx.exec(sql) : pg::exec_params(tx, sql, params);
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return fmt::format("{}_{}_{}", prefix, getpid(), ++counter);
}

std::string fresh_database() {
    const std::string name = unique_name("test");
    test_cluster().create_database(name);
    return test_cluster().dsn(name);
}

std::string migrated_database() {
    const std::string dsn = fresh_database();
    pg::Connection cx(dsn, "pinpipe-test");
    pg::apply_migrations(cx, pg::parse_migrations(pg::embedded_migrations()));
    return dsn;
}

std::string create_reader_login() {
    const std::string role = unique_name("bi_login");
    // Through the script docs/analytics.md gives a DBA, so that the script itself is tested.
    const util::ProcessResult run = util::run_process(
        {"sh", "-c",
         "PINPIPE_LOGIN_PASSWORD=bi-secret psql -X -q -h \"$1\" -p \"$2\" -U postgres "
         "-d postgres -v login=\"$3\" -f \"$4\"",
         "psql", test_cluster().socket_directory().string(), std::to_string(test_cluster().port()),
         role, std::string(PINPIPE_SOURCE_DIR) + "/sql/create_reader_login.sql"});
    if (run.exit_code != 0) {
        throw std::runtime_error("sql/create_reader_login.sql failed: " + run.output);
    }
    return role;
}

std::string dsn_as(const std::string& dsn, const std::string& role) {
    const size_t at = dsn.find(" user=");
    if (at == std::string::npos) {
        throw std::invalid_argument("dsn_as: no user= in " + dsn);
    }
    const size_t end = dsn.find(' ', at + 1);
    return dsn.substr(0, at) + " user=" + role + (end == std::string::npos ? "" : dsn.substr(end));
}

PinpipeRun run_pinpipe(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {PINPIPE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    const util::ProcessResult result = util::run_process(argv);
    return {result.exit_code, result.output};
}

namespace {

// argv as one shell command line, every word in single quotes: for script --command.
std::string shell_command(const std::vector<std::string>& argv) {
    std::string line;
    for (const std::string& word : argv) {
        std::string quoted = "'";
        for (const char c : word) {
            quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        line += (line.empty() ? "" : " ") + quoted + "'";
    }
    return line;
}

}  // namespace

PinpipeRun run_pinpipe_on_terminal(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {PINPIPE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    const util::ProcessResult result = util::run_process(
        {"script", "--quiet", "--return", "--command", shell_command(argv), "/dev/null"});
    return {result.exit_code, result.output};
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace pinpipe::testing
