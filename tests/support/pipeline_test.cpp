#include "support/pipeline_test.hpp"

#include "support/faults.hpp"

#include <chrono>

#include <fmt/format.h>

#include "kafka/client.hpp"
#include "kafka/config.hpp"
#include "pg/connection.hpp"

namespace pinpipe::testing {

PipelineTest::PipelineTest(const std::string& name, int partitions)
    : m_prefix(unique_name(name)), m_dsn(migrated_database()) {
    for (const char* kind : {"pin", "geo", "user"}) {
        m_kafka.create_topic(topic(kind), partitions);
    }
}

std::string PipelineTest::topic(std::string_view kind) const {
    return fmt::format("{}.{}", m_prefix, kind);
}

std::vector<std::string> PipelineTest::with_connection(std::vector<std::string> args,
                                                       const std::string& dsn) const {
    for (const std::string& option :
         {std::string("--dsn"), dsn.empty() ? m_dsn : dsn, std::string("-b"),
          m_kafka.bootstrap_servers(), std::string("--topic-prefix"), m_prefix}) {
        args.push_back(option);
    }
    return args;
}

void PipelineTest::emulate(int count, int seed) const {
    const auto run = run_pinpipe(with_connection(
        {"emulate", "--count", std::to_string(count), "--seed", std::to_string(seed)}));
    ASSERT_EQ(run.exit_code, 0) << run.output;
}

void PipelineTest::produce(const std::string& topic, int32_t partition,
                           const std::vector<std::pair<std::string, std::string>>& messages,
                           int64_t timestamp_ms) const {
    kafka::Producer producer(kafka::resolve_properties(kafka::Producer::default_properties(),
                                                       {m_kafka.bootstrap_servers(), "", {}}, ""));
    for (const auto& [key, value] : messages) {
        producer.produce(topic, key, value, nullptr, partition, timestamp_ms);
    }
    producer.flush(std::chrono::seconds(10));
}

util::ChildProcess PipelineTest::start(const std::string& command, std::vector<std::string> extra,
                                       const std::string& failpoints,
                                       const std::filesystem::path& stderr_file,
                                       const std::string& dsn) const {
    std::vector<std::string> argv = {PINPIPE_BINARY, command};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return util::ChildProcess(with_connection(std::move(argv), dsn), failpoint_env(failpoints),
                              stderr_file);
}

long long PipelineTest::query_number(const std::string& sql) const {
    pg::Connection cx(m_dsn, "pinpipe-test");
    const pqxx::result result = testing::exec(cx, sql);
    // std::stoll reads the integer part of a numeric, e.g. of extract(epoch ...) * 1e6.
    return result[0][0].is_null() ? 0 : std::stoll(result[0][0].as<std::string>());
}

void PipelineTest::exec(const std::string& sql) const {
    pg::Connection cx(m_dsn, "pinpipe-test");
    testing::exec(cx, sql);
}

}  // namespace pinpipe::testing
