// Kafka helpers for tests: a mock cluster per test, and reading a topic back with
// kafka::Consumer (assigned partitions, no group join) to check what was produced.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace pinpipe::testing {

struct ConsumedMessage {
    std::string topic;
    int partition;
    long long offset;
    std::string key;
    std::string value;
};

// Reads every message of topic from the beginning until expected_count arrived or timeout.
std::vector<ConsumedMessage> consume_all(
    const std::string& bootstrap, const std::string& topic, size_t expected_count,
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace pinpipe::testing
