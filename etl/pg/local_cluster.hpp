// A private PostgreSQL cluster (initdb + pg_ctl) for tests, benchmarks and `pinpipe demo`:
// unix socket in its own directory, trust authentication on that socket only.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace pinpipe::pg {

struct LocalClusterOptions {
    std::filesystem::path root;  // holds data/, run/ (the socket) and postgres.log
    int port = 5432;             // only names the socket file unless listen_tcp
    bool listen_tcp = false;     // also listen on 127.0.0.1:port (for BI tools in the demo)
    bool durable = false;        // fsync on; tests and benchmarks of throwaway data run without
    bool remove_on_stop = true;  // delete root when stopped
    bool keep_running = false;   // leave the server up when this object goes (demo)
    // Non-empty: instead of initdb, copy the primary this dsn names with `pg_basebackup -R`, so
    // that the cluster starts as its hot standby, streaming (read replicas for BI, tests).
    std::string standby_of;
};

class LocalCluster {
  public:
    // Initializes root/data if it is not a cluster yet, then starts the server (reusing one that
    // already runs there). As root, runs the server binaries as the `postgres` system user,
    // because PostgreSQL refuses to run as root.
    explicit LocalCluster(LocalClusterOptions options);
    ~LocalCluster();
    LocalCluster(const LocalCluster&) = delete;
    LocalCluster& operator=(const LocalCluster&) = delete;

    // A libpq connection string for a database of this cluster, as the superuser `postgres`.
    std::string dsn(const std::string& database = "postgres") const;
    void create_database(const std::string& name) const;
    void stop();
    void restart();
    // pg_ctl stop -m immediate (every backend quits at once, as on a power cut: crash recovery
    // replays the WAL at the next start), then starts again.
    void crash_and_restart();
    std::filesystem::path socket_directory() const { return m_options.root / "run"; }
    int port() const { return m_options.port; }

    // The directory of initdb/pg_ctl (`pg_config --bindir`, else the newest
    // /usr/lib/postgresql/*/bin); throws with an install hint when there is none.
    static std::filesystem::path server_bin_dir();
    // Stops a cluster left running under root by an earlier process (demo --stop).
    static void stop_existing(const std::filesystem::path& root);

  private:
    void start();
    void stop_server(const char* mode);

    LocalClusterOptions m_options;
    std::filesystem::path m_bin_dir;
    bool m_running = false;
};

// Creates a fresh directory under the system temp dir for a throwaway cluster.
std::filesystem::path make_temp_directory(const std::string& prefix);

}  // namespace pinpipe::pg
