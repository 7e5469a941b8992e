#include "kafka/admin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "util/errors.hpp"

namespace pinpipe::kafka {
namespace {

struct AdminDeleter {
    void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
    void operator()(rd_kafka_AdminOptions_t* options) const {
        rd_kafka_AdminOptions_destroy(options);
    }
    void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, AdminDeleter>;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, AdminDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, AdminDeleter>;

// The controller gets this share of the caller's timeout for the operation, so that its own
// timeout error reaches us before we stop waiting for an answer.
constexpr int kOperationShareInQuarters = 3;

constexpr std::string_view kMockHint =
    "librdkafka's mock cluster, which pinpipe broker runs, has no CreateTopics: pinpipe broker "
    "creates the topics itself, see its --partitions";

bool unsupported(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
           err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION;
}

}  // namespace

Admin::Admin(const Properties& properties)
    : m_rk(make_client(RD_KAFKA_PRODUCER, make_conf(properties))) {}

std::vector<TopicCreateResult> Admin::create_topics(std::span<const std::string> topics,
                                                    int partitions, int replication,
                                                    std::chrono::milliseconds timeout) {
    std::vector<NewTopicPtr> new_topics;
    std::vector<rd_kafka_NewTopic_t*> raw_topics;
    char error[512];
    for (const std::string& name : topics) {
        NewTopicPtr topic(
            rd_kafka_NewTopic_new(name.c_str(), partitions, replication, error, sizeof error));
        if (!topic) {
            throw UsageError(fmt::format("invalid topic {} ({} partitions, replication {}): {}",
                                         name, partitions, replication, error));
        }
        raw_topics.push_back(topic.get());
        new_topics.push_back(std::move(topic));
    }
    AdminOptionsPtr options(rd_kafka_AdminOptions_new(m_rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
    const auto operation_timeout = timeout * kOperationShareInQuarters / 4;
    if (rd_kafka_AdminOptions_set_operation_timeout(
            options.get(), static_cast<int>(operation_timeout.count()), error, sizeof error) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw UsageError(
            fmt::format("invalid Kafka admin timeout {} ms: {}", timeout.count(), error));
    }
    const QueuePtr queue(rd_kafka_queue_new(m_rk.get()));
    rd_kafka_CreateTopics(m_rk.get(), raw_topics.data(), raw_topics.size(), options.get(),
                          queue.get());
    const EventPtr event(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
    if (!event) {
        throw std::runtime_error(fmt::format(
            "Kafka at {} did not answer CreateTopics within {} ms (is the broker running? set -b "
            "or PINPIPE_BROKERS; a slow controller can take longer; if it is pinpipe broker: {})",
            brokers_of(m_rk.get()), timeout.count(), kMockHint));
    }
    const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(
            fmt::format("could not create topics at {}: {}{}", brokers_of(m_rk.get()),
                        rd_kafka_event_error_string(event.get()),
                        unsupported(err) ? fmt::format(" ({})", kMockHint) : ""));
    }
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    std::vector<TopicCreateResult> outcomes;
    outcomes.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        TopicCreateResult outcome;
        outcome.topic = rd_kafka_topic_result_name(results[i]);
        switch (rd_kafka_topic_result_error(results[i])) {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                outcome.outcome = TopicCreation::created;
                break;
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
                outcome.outcome = TopicCreation::already_exists;
                break;
            default:
                outcome.error = rd_kafka_topic_result_error_string(results[i]);
        }
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

std::vector<std::string> Admin::list_topics(std::chrono::milliseconds timeout) {
    const MetadataPtr metadata = fetch_metadata(m_rk.get(), timeout);
    std::vector<std::string> names;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
        names.emplace_back(metadata->topics[i].topic);
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace pinpipe::kafka
