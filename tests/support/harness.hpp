// Test harness: one throwaway PostgreSQL cluster per test executable (started on first use,
// stopped and removed at exit) and a fresh database per test, so tests never share state.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"

namespace pinpipe::testing {

pg::LocalCluster& test_cluster();

// A hot standby of primary, made with pg_basebackup -R in a directory of its own (its own
// socket: no fixed port), streaming from primary; stopped and removed when it goes.
std::unique_ptr<pg::LocalCluster> start_standby(const pg::LocalCluster& primary);
// Waits until standby_dsn has replayed all the WAL primary_dsn has written so far; throws after
// timeout.
void wait_for_replay(const std::string& primary_dsn, const std::string& standby_dsn,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A new, empty database; returns its dsn.
std::string fresh_database();
// A new database with every embedded migration applied; returns its dsn.
std::string migrated_database();

// A login in pinpipe_reader made by sql/create_reader_login.sql, as docs/analytics.md tells a DBA
// (password bi-secret; roles are cluster-wide, so the name is unique); returns its name.
std::string create_reader_login();
// The dsn of a database of the test cluster (as returned above), logged in as role instead.
std::string dsn_as(const std::string& dsn, const std::string& role);
// The nine answers of DESIGN §7 as relation names: analytics.<name>.
std::vector<std::string> answer_relations();
// Every row of a relation as one text, in a fixed order: equal texts are equal contents.
std::string relation_contents(pqxx::connection_base& cx, const std::string& relation);
// One statement in autocommit (a pqxx::nontransaction), as psql runs it: for a test's set-up and
// checks.
pqxx::result exec(pqxx::connection_base& cx, const std::string& sql,
                  const std::vector<pg::Param>& params = {});

// A name unique within this test run, for databases, topics and groups.
std::string unique_name(const std::string& prefix);

// Polls condition until it holds or bound passes (then one last look): for the observable state
// an asynchronous process leaves. The bound is one only a hang reaches, never a speed assertion.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds bound = std::chrono::seconds(60));

// Runs the pinpipe binary with args; returns exit code and stdout+stderr.
struct PinpipeRun {
    int exit_code;
    std::string output;
};
PinpipeRun run_pinpipe(const std::vector<std::string>& args);
// The same as a user at a terminal runs it: util-linux script gives the child a pseudo-terminal
// for stdout and stderr; the output is what that terminal received (with \r\n line ends).
PinpipeRun run_pinpipe_on_terminal(const std::vector<std::string>& args);

// The whole of a text file ("" when it does not exist): a child's stderr, say.
std::string read_file(const std::filesystem::path& path);

}  // namespace pinpipe::testing
