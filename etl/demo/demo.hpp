// pinpipe demo: the whole pipeline on embedded defaults (DESIGN §11): a private PostgreSQL
// cluster under ./.pinpipe, librdkafka's mock Kafka cluster in this process, and the real
// commands (emulate, load --follow, stream, refresh) as child processes talking to both.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace pinpipe::demo {

struct DemoOptions {
    int64_t events = 20000;  // each a pin, a geo and a user message
    double rate = 5000;      // events per second (0: as fast as possible)
    uint64_t seed = 1;
    int pg_port = 5439;  // of the demo's PostgreSQL socket
};

// Where the demo keeps its PostgreSQL cluster and log: ./.pinpipe.
std::filesystem::path demo_directory();

// Throws UsageError when the options cannot make a demo.
void check_options(const DemoOptions& options);

// Starts PostgreSQL (left running), migrates, runs emulate, load --follow and stream against a
// mock Kafka cluster until both caught up, verifies and prints the answers on stdout; returns
// the database's DSN for ad-hoc queries.
std::string run_demo(const DemoOptions& options);

// Stops the cluster a previous run left running.
void stop_demo();

}  // namespace pinpipe::demo
