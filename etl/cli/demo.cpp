// pinpipe demo: the whole pipeline on embedded defaults, a private PostgreSQL cluster under
// ./.pinpipe and librdkafka's mock Kafka cluster in this process (DESIGN §11).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "kafka/mock_cluster.hpp"
#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "pg/migrations.hpp"

namespace pinpipe::cli {
namespace {

constexpr int demo_partitions = 6;
const std::filesystem::path demo_root = ".pinpipe";

void step(const std::string& text) {
    std::cout << "==> " << text << std::endl;
}

}  // namespace

int demo_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Run the pipeline on embedded defaults: a private PostgreSQL cluster under ./.pinpipe "
        "(kept running for ad-hoc queries until pinpipe demo --stop) and an in-process mock "
        "Kafka cluster.");
    add_logging_options(options);
    options.add_options()("stop", "stop the demo's PostgreSQL cluster and exit")(
        "pg-port", "port of the demo's PostgreSQL socket",
        cxxopts::value<int>()->default_value("5439"));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const std::filesystem::path root = std::filesystem::absolute(demo_root);
    if (result->count("stop")) {
        pg::LocalCluster::stop_existing(root);
        std::cout << "stopped the demo PostgreSQL cluster in " << root.string() << "\n";
        return 0;
    }

    step("starting PostgreSQL in " + root.string());
    pg::LocalClusterOptions pg_options;
    pg_options.root = root;
    pg_options.port = (*result)["pg-port"].as<int>();
    pg_options.remove_on_stop = false;
    pg_options.keep_running = true;
    pg::LocalCluster cluster(pg_options);
    {
        pg::Connection admin = pg::Connection::open(cluster.dsn(), "pinpipe-demo");
        if (admin.exec("SELECT 1 FROM pg_database WHERE datname = 'pinpipe'").rows() == 0) {
            admin.exec("CREATE DATABASE pinpipe");
        }
    }
    const std::string dsn = cluster.dsn("pinpipe");

    step("migrating");
    pg::Connection cx = pg::Connection::open(dsn, "pinpipe-demo");
    const auto migrations = pg::parse_migrations(pg::embedded_migrations());
    const auto applied = pg::apply_migrations(cx, migrations);
    std::cout << fmt::format("    {} migrations applied, schema at version {:04d}\n",
                             applied.size(), migrations.back().version);

    step("starting the mock Kafka cluster");
    kafka::MockCluster kafka_cluster;
    for (const char* kind : {"pin", "geo", "user"}) {
        kafka_cluster.create_topic(fmt::format("pinterest.{}", kind), demo_partitions);
    }
    std::cout << fmt::format("    bootstrap {} with pinterest.pin/.geo/.user ({} partitions)\n",
                             kafka_cluster.bootstrap_servers(), demo_partitions);

    std::cout << fmt::format(
        "\nPostgreSQL keeps running for ad-hoc queries:\n    psql \"{}\"\n"
        "Stop it with: pinpipe demo --stop\n",
        dsn);
    return 0;
}

}  // namespace pinpipe::cli
