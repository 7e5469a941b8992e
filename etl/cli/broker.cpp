// pinpipe broker: librdkafka's mock cluster as a standalone development/test Kafka (DESIGN §11).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "kafka/mock_cluster.hpp"
#include "obs/log.hpp"
#include "util/errors.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {

int broker_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Run librdkafka's mock Kafka cluster (real Kafka protocol over TCP, in memory, about 5 MB "
        "per partition) until SIGTERM or SIGINT. Prints the bootstrap address (127.0.0.1:PORT, a "
        "random port) as the first line on stdout and creates <prefix>.pin, .geo and .user. Topics "
        "that clients ask for and do not exist are created with 4 partitions.");
    add_logging_options(options);
    options.add_options()("partitions", "partitions per topic",
                          cxxopts::value<int>()->default_value("3"))(
        "brokers-count", "brokers in the mock cluster", cxxopts::value<int>()->default_value("1"))(
        "topic-prefix", "topics are <prefix>.pin, .geo, .user (env PINPIPE_TOPIC_PREFIX)",
        cxxopts::value<std::string>()->default_value(""));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const int partitions = (*result)["partitions"].as<int>();
    const int broker_count = (*result)["brokers-count"].as<int>();
    if (partitions < 1 || partitions > 10000) {
        throw UsageError("--partitions must be between 1 and 10000");
    }
    if (broker_count < 1 || broker_count > 16) {
        throw UsageError("--brokers-count must be between 1 and 16");
    }
    const std::string prefix = resolve_topic_prefix((*result)["topic-prefix"].as<std::string>());

    util::install_stop_signal_handlers();
    kafka::MockCluster cluster(broker_count);
    for (const char* kind : {"pin", "geo", "user"}) {
        cluster.create_topic(fmt::format("{}.{}", prefix, kind), partitions);
    }
    std::cout << cluster.bootstrap_servers() << std::endl;  // flushed: scripts wait for it
    obs::log_info("mock Kafka cluster running",
                  {{"bootstrap", cluster.bootstrap_servers()},
                   {"topics", fmt::format("{0}.pin,{0}.geo,{0}.user", prefix)},
                   {"partitions", std::to_string(partitions)}});
    while (!util::stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    obs::log_info("mock Kafka cluster stopping");
    return 0;
}

}  // namespace pinpipe::cli
