// Where the load, stream, status, dlq and consume tests start: a mock Kafka cluster of their
// own with the three topics (pin, geo, user) of a fresh prefix, and a freshly migrated
// database. No fixed ports: the mock cluster picks its own.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "kafka/mock_cluster.hpp"
#include "support/harness.hpp"
#include "util/process.hpp"

namespace pinpipe::testing {

class PipelineTest : public ::testing::Test {
  protected:
    // name: the prefix of the topics, groups and databases; partitions: per topic.
    PipelineTest(const std::string& name, int partitions);

    std::string topic(std::string_view kind) const;
    // args followed by --dsn, -b and --topic-prefix for this pipeline; dsn: another than
    // m_dsn (the same database as another role, say).
    std::vector<std::string> with_connection(std::vector<std::string> args,
                                             const std::string& dsn = {}) const;
    // pinpipe emulate --count count --seed seed into the three topics; must succeed.
    void emulate(int count, int seed) const;
    // Sends (key, value) messages to one partition of a topic and waits for their delivery;
    // timestamp_ms 0: now.
    void produce(const std::string& topic, int32_t partition,
                 const std::vector<std::pair<std::string, std::string>>& messages,
                 int64_t timestamp_ms = 0) const;
    // pinpipe command extra... with the connection options, as a child process whose
    // failpoints spec arms (PINPIPE_FAILPOINTS; empty: none armed); its stderr goes to
    // stderr_file when one is given.
    util::ChildProcess start(const std::string& command, std::vector<std::string> extra = {},
                             const std::string& failpoints = "",
                             const std::filesystem::path& stderr_file = {},
                             const std::string& dsn = {}) const;
    // The first column of the first row of sql, as a number; NULL is 0.
    long long query_number(const std::string& sql) const;
    void exec(const std::string& sql) const;

    kafka::MockCluster m_kafka;
    std::string m_prefix;
    std::string m_dsn;
};

}  // namespace pinpipe::testing
