#include "pg/local_cluster.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "util/process.hpp"

namespace pinpipe::pg {
namespace fs = std::filesystem;
namespace {

constexpr const char* server_user = "postgres";

bool running_as_root() {
    return geteuid() == 0;
}

void give_to_server_user(const fs::path& path) {
    if (!running_as_root()) {
        return;
    }
    const passwd* user = getpwnam(server_user);
    if (user == nullptr) {
        throw std::runtime_error(
            "running as root, but there is no 'postgres' system user to run PostgreSQL as "
            "(install the postgresql-15 package, or run as an ordinary user)");
    }
    if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
        throw std::runtime_error(
            fmt::format("could not hand {} to the postgres user", path.string()));
    }
}

// PostgreSQL refuses to run as root: as root, run the server binaries as the postgres user, in
// a directory that user may enter.
util::ProcessResult run_as_server_user(std::vector<std::string> argv, const fs::path& cwd) {
    if (running_as_root()) {
        argv.insert(argv.begin(), {"runuser", "-u", server_user, "--"});
    }
    return util::run_process(argv, cwd);
}

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

}  // namespace

fs::path make_temp_directory(const std::string& prefix) {
    std::string pattern = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("could not create a temporary directory under " +
                                 fs::temp_directory_path().string());
    }
    return pattern;
}

fs::path LocalCluster::server_bin_dir() {
    // Another PostgreSQL than the packaged one (the tests run once more against 18 in CI).
    if (const char* chosen = std::getenv("PINPIPE_PG_BINDIR"); chosen != nullptr && *chosen) {
        if (!fs::exists(fs::path(chosen) / "initdb")) {
            throw std::runtime_error(fmt::format(
                "PINPIPE_PG_BINDIR={} has no initdb: point it at a PostgreSQL server's bin "
                "directory",
                chosen));
        }
        return chosen;
    }
    try {
        const util::ProcessResult result = util::run_process({"pg_config", "--bindir"});
        const fs::path dir = trim(result.output);
        if (result.exit_code == 0 && fs::exists(dir / "initdb")) {
            return dir;
        }
    } catch (const std::runtime_error&) {
        // No pg_config on PATH: look in Debian's standard place below.
    }
    std::vector<fs::path> candidates;
    if (fs::exists("/usr/lib/postgresql")) {
        for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
            if (fs::exists(entry.path() / "bin" / "initdb")) {
                candidates.push_back(entry.path() / "bin");
            }
        }
    }
    if (candidates.empty()) {
        throw std::runtime_error(
            "could not find the PostgreSQL server binaries (initdb, pg_ctl): install the "
            "postgresql-15 package");
    }
    std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
        return std::stoi(a.parent_path().filename()) < std::stoi(b.parent_path().filename());
    });
    return candidates.back();
}

LocalCluster::LocalCluster(LocalClusterOptions options)
    : m_options(std::move(options)), m_bin_dir(server_bin_dir()) {
    fs::create_directories(m_options.root / "run");
    give_to_server_user(m_options.root);
    give_to_server_user(m_options.root / "run");
    if (!fs::exists(m_options.root / "data" / "PG_VERSION") && !m_options.standby_of.empty()) {
        // -R writes primary_conninfo and standby.signal; -X stream copies the WAL written
        // meanwhile, so the standby starts consistent; -c fast checkpoints at once instead of
        // spreading the checkpoint over minutes.
        const util::ProcessResult backup = run_as_server_user(
            {(m_bin_dir / "pg_basebackup").string(), "-D", (m_options.root / "data").string(), "-d",
             m_options.standby_of, "-R", "-X", "stream", "-c", "fast", "--no-sync"},
            m_options.root);
        if (backup.exit_code != 0) {
            throw std::runtime_error(fmt::format("pg_basebackup into {} failed: {}",
                                                 m_options.root.string(), trim(backup.output)));
        }
    }
    if (!fs::exists(m_options.root / "data" / "PG_VERSION")) {
        const util::ProcessResult init = run_as_server_user(
            {(m_bin_dir / "initdb").string(), "-D", (m_options.root / "data").string(), "-U",
             server_user, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"},
            m_options.root);
        if (init.exit_code != 0) {
            throw std::runtime_error(
                fmt::format("initdb failed in {}: {}", m_options.root.string(), trim(init.output)));
        }
    }
    start();
}

LocalCluster::~LocalCluster() {
    if (m_options.keep_running) {
        return;
    }
    try {
        stop();
        if (m_options.remove_on_stop) {
            fs::remove_all(m_options.root);
        }
    } catch (const std::exception& error) {
        obs::log_warning("could not stop the local PostgreSQL cluster", {{"error", error.what()}});
    }
}

void LocalCluster::start() {
    const fs::path data = m_options.root / "data";
    const util::ProcessResult status = run_as_server_user(
        {(m_bin_dir / "pg_ctl").string(), "-D", data.string(), "status"}, m_options.root);
    if (status.exit_code == 0) {
        m_running = true;  // left running by an earlier demo: reuse it
        return;
    }
    std::string server_options = fmt::format(
        "-k {} -p {} -c listen_addresses='{}' -c max_connections=100 -c shared_buffers=256MB",
        socket_directory().string(), m_options.port, m_options.listen_tcp ? "127.0.0.1" : "");
    if (!m_options.durable) {
        // Throwaway data: skipping fsync makes tests and benchmarks independent of disk flushes.
        server_options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    }
    const util::ProcessResult started =
        run_as_server_user({(m_bin_dir / "pg_ctl").string(), "-D", data.string(), "-l",
                            (m_options.root / "postgres.log").string(), "-o", server_options, "-w",
                            "-t", "60", "start"},
                           m_options.root);
    if (started.exit_code != 0) {
        throw std::runtime_error(fmt::format("could not start PostgreSQL in {}: {} (see {})",
                                             data.string(), trim(started.output),
                                             (m_options.root / "postgres.log").string()));
    }
    m_running = true;
}

void LocalCluster::stop() {
    stop_server("fast");
}

void LocalCluster::stop_server(const char* mode) {
    if (!m_running) {
        return;
    }
    m_running = false;
    run_as_server_user({(m_bin_dir / "pg_ctl").string(), "-D", (m_options.root / "data").string(),
                        "-m", mode, "-w", "stop"},
                       m_options.root);
}

void LocalCluster::restart() {
    stop();
    start();
}

void LocalCluster::crash_and_restart() {
    stop_server("immediate");
    start();
}

void LocalCluster::stop_existing(const fs::path& root) {
    run_as_server_user({(server_bin_dir() / "pg_ctl").string(), "-D", (root / "data").string(),
                        "-m", "fast", "-w", "stop"},
                       root);
}

std::string LocalCluster::dsn(const std::string& database) const {
    return fmt::format("host={} port={} user={} dbname={}", socket_directory().string(),
                       m_options.port, server_user, database);
}

void LocalCluster::create_database(const std::string& name) const {
    Connection cx(dsn(), "pinpipe");
    // CREATE DATABASE cannot run inside a transaction block.
    pqxx::nontransaction(cx).exec(fmt::format("CREATE DATABASE \"{}\"", name));
}

}  // namespace pinpipe::pg
