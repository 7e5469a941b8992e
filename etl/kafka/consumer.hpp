// A consumer that reads explicitly assigned partitions (no subscribe: partition ownership is
// decided in Postgres, DESIGN §8) and commits group offsets only for lag tools.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "events/topic_partition.hpp"
#include "kafka/client.hpp"
#include "kafka/delivery.hpp"

namespace pinpipe::kafka {

struct Watermarks {
    int64_t low;
    int64_t high;  // offset of the next message to be written
};

using PartitionOffsets = std::vector<std::pair<events::TopicPartition, int64_t>>;

class Consumer {
  public:
    // Our defaults, which the user's -F file and -X overrides can replace.
    static Properties default_properties(const std::string& group);
    explicit Consumer(const Properties& properties);
    ~Consumer();
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;

    void assign(const PartitionOffsets& partitions);
    void unassign(const std::vector<events::TopicPartition>& partitions);
    // Moves the given assigned partitions to new positions (after a lost fence).
    void seek(const PartitionOffsets& partitions);

    // Appends up to max deliveries (messages, partition ends, errors) to out, waiting up to
    // timeout for the first. Returns how many were appended.
    size_t consume(std::vector<Delivery>& out, size_t max, std::chrono::milliseconds timeout);

    Watermarks watermarks(const events::TopicPartition& tp, std::chrono::milliseconds timeout);
    // The watermarks librdkafka last saw in fetch responses of an assigned partition: no
    // request, so cheap enough to read for lag metrics; nullopt before the first fetch.
    std::optional<Watermarks> cached_watermarks(const events::TopicPartition& tp) const;
    // Throws TopicMissing when the cluster does not know one of the topics, std::runtime_error
    // when it cannot be reached or has no leader for a topic yet.
    std::vector<int32_t> partition_counts(const std::vector<std::string>& topics,
                                          std::chrono::milliseconds timeout);
    // Commits group offsets asynchronously: only so that kafka-consumer-groups and other lag
    // tools see progress; the offsets that count live in Postgres.
    void commit_for_lag_tools(const PartitionOffsets& next_offsets);

    std::string brokers() const;

  private:
    HandlePtr m_rk;
    QueuePtr m_queue;
};

}  // namespace pinpipe::kafka
