// pinpipe topics create|list: the three topics on a real Kafka cluster, via the admin API.
#include <fmt/format.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "kafka/client.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {
namespace {

constexpr auto admin_timeout = std::chrono::seconds(15);

using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)>;
using AdminOptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)>;

int create_topics(rd_kafka_t* rk, const ConnectionSettings& settings, int partitions,
                  int replication) {
    std::vector<NewTopicPtr> new_topics;
    std::vector<rd_kafka_NewTopic_t*> raw_topics;
    char error[512];
    for (const std::string& name : settings.topics()) {
        rd_kafka_NewTopic_t* topic =
            rd_kafka_NewTopic_new(name.c_str(), partitions, replication, error, sizeof error);
        if (topic == nullptr) {
            throw UsageError(fmt::format("invalid topic {}: {}", name, error));
        }
        new_topics.emplace_back(topic, rd_kafka_NewTopic_destroy);
        raw_topics.push_back(topic);
    }
    AdminOptionsPtr admin_options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS),
                                  rd_kafka_AdminOptions_destroy);
    rd_kafka_AdminOptions_set_operation_timeout(
        admin_options.get(), static_cast<int>(admin_timeout.count() * 1000), error, sizeof error);
    kafka::QueuePtr queue(rd_kafka_queue_new(rk));
    rd_kafka_CreateTopics(rk, raw_topics.data(), raw_topics.size(), admin_options.get(),
                          queue.get());
    EventPtr event(
        rd_kafka_queue_poll(queue.get(), static_cast<int>(admin_timeout.count() * 1000 + 5000)),
        rd_kafka_event_destroy);
    if (!event) {
        throw std::runtime_error("Kafka did not answer CreateTopics in time (is the broker up?)");
    }
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
        const bool unsupported = err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
                                 err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION;
        throw std::runtime_error(fmt::format(
            "could not create topics: {}{}", rd_kafka_event_error_string(event.get()),
            unsupported ? " (librdkafka's mock cluster has no CreateTopics: pinpipe broker "
                          "creates the topics itself, see its --partitions)"
                        : ""));
    }
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    int failures = 0;
    for (size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        const char* name = rd_kafka_topic_result_name(results[i]);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::cout << fmt::format("created {} ({} partitions, replication {})\n", name,
                                     partitions, replication);
        } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            std::cout << fmt::format("exists  {}\n", name);
        } else {
            ++failures;
            std::cerr << fmt::format("could not create {}: {}\n", name,
                                     rd_kafka_topic_result_error_string(results[i]));
        }
    }
    if (failures > 0) {
        throw std::runtime_error(
            fmt::format("{} of {} topics could not be created", failures, count));
    }
    return 0;
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
    kafka::HandlePtr rk =
        kafka::make_client(RD_KAFKA_PRODUCER, kafka::make_conf(settings.kafka_properties({})));
    if (action == "create") {
        return create_topics(rk.get(), settings, partitions, replication);
    }
    for (const std::string& topic : kafka::list_topics(rk.get(), admin_timeout)) {
        std::cout << topic << "\n";
    }
    return 0;
}

}  // namespace pinpipe::cli
