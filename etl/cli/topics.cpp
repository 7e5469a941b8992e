// pinpipe topics create|list: the three topics on a real Kafka cluster (kafka::Admin does the
// talking; this file parses options and prints).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <vector>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "kafka/admin.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {
namespace {

constexpr auto list_timeout = std::chrono::seconds(15);
// Long enough for a controller under load; the operation itself gets three quarters (15 s).
constexpr auto create_timeout = std::chrono::seconds(20);

void create_topics(kafka::Admin& admin, const ConnectionSettings& settings, int partitions,
                   int replication) {
    const std::vector<kafka::TopicCreateResult> results =
        admin.create_topics(settings.topics(), partitions, replication, create_timeout);
    size_t failures = 0;
    for (const kafka::TopicCreateResult& result : results) {
        switch (result.outcome) {
            case kafka::TopicCreation::created:
                std::cout << fmt::format("created {} ({} partitions, replication {})\n",
                                         result.topic, partitions, replication);
                break;
            case kafka::TopicCreation::already_exists:
                std::cout << fmt::format("exists  {}\n", result.topic);
                break;
            case kafka::TopicCreation::failed:
                ++failures;
                std::cerr << fmt::format("could not create {}: {}\n", result.topic, result.error);
        }
    }
    if (failures > 0) {
        throw std::runtime_error(
            fmt::format("{} of {} topics could not be created", failures, results.size()));
    }
}

}  // namespace

int topics_command(const Args& args) {
    cxxopts::Options options(args.at(0),
                             "Create or list the <prefix>.pin, .geo and .user topics.\n"
                             "  pinpipe topics create [--partitions N] [--replication R]\n"
                             "  pinpipe topics list");
    add_connection_options(options);
    add_logging_options(options);
    options.add_options()("partitions", "partitions per topic (create)",
                          cxxopts::value<int>()->default_value("6"))(
        "replication", "replication factor (create)", cxxopts::value<int>()->default_value("1"));
    const auto result = parse_options(options, args, /*allowed_positionals=*/1);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const std::string action = result->unmatched().empty() ? "" : result->unmatched().front();
    if (action != "create" && action != "list") {
        throw UsageError("say what to do: topics create or topics list");
    }
    const int partitions = (*result)["partitions"].as<int>();
    const int replication = (*result)["replication"].as<int>();
    if (partitions < 1 || replication < 1) {
        throw UsageError("--partitions and --replication must be at least 1");
    }
    const ConnectionSettings settings = connection_settings(*result);
    kafka::Admin admin(settings.kafka_properties({}));
    if (action == "create") {
        create_topics(admin, settings, partitions, replication);
        return 0;
    }
    for (const std::string& topic : admin.list_topics(list_timeout)) {
        std::cout << topic << "\n";
    }
    return 0;
}

}  // namespace pinpipe::cli
