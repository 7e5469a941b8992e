// The consumer engine that load and stream share, against a real Postgres and librdkafka's mock
// cluster: what happens after each class of error (consume/errors.hpp), once for both commands.
// The errors are real ones, raised by PostgreSQL inside the batch's transaction.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "consume/engine.hpp"
#include "consume/errors.hpp"
#include "kafka/consumer.hpp"
#include "pg/connection.hpp"
#include "support/pipeline_test.hpp"
#include "util/signals.hpp"

namespace pinpipe {
namespace {

using namespace std::chrono_literals;

constexpr int events_per_kind = 300;

// SQL that makes PostgreSQL fail the statement the way the name says.
const std::string serialization_failure =
    "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = "
    "'serialization_failure'; END $$";
const std::string admin_shutdown = "SELECT pg_catalog.pg_terminate_backend(pg_backend_pid())";
const std::string data_exception = "SELECT 'not a number'::int";
const std::string undefined_table = "SELECT FROM public.no_such_table";

struct OffsetBatch final : consume::Batch {
    std::vector<std::string> offsets;  // "topic/partition/offset" of every message
    uint64_t messages() const override { return offsets.size() + dead_letter_count; }
};

// Writes each message's coordinates into public.consumed (unique), so that a message written
// twice fails the batch and a lost one is missing. Before committing, runs the statements
// queued in failures, one per attempt.
class RecordingSink final : public consume::BatchSink {
  public:
    std::unique_ptr<consume::Batch> new_batch() override { return std::make_unique<OffsetBatch>(); }

    std::optional<events::Verdict> add(consume::Batch& batch,
                                       const consume::Message& msg) override {
        static_cast<OffsetBatch&>(batch).offsets.push_back(
            fmt::format("{}/{}/{}", msg.origin.topic, msg.origin.partition, msg.origin.offset));
        return std::nullopt;
    }

    pg::CommitOutcome commit(pqxx::connection_base& cx, const pg::OffsetStore& store,
                             consume::Batch& batch) override {
        ++m_attempts;
        {
            const std::lock_guard lock(m_mutex);
            m_backends.insert(testing::exec(cx, "SELECT pg_backend_pid()")[0][0].as<std::string>());
        }
        pqxx::work tx(cx);
        tx.exec_params("INSERT INTO public.consumed SELECT unnest($1::text[])",
                       pg::text_array_literal(static_cast<OffsetBatch&>(batch).offsets));
        if (const std::optional<std::string> failure = next_failure()) {
            tx.exec(*failure);
        }
        if (!store.advance(tx, batch.progress.offset_advances())) {
            return pg::CommitOutcome::fence_lost;
        }
        tx.commit();
        return pg::CommitOutcome::committed;
    }

    void committed(const consume::Batch& batch, const consume::CommitDone& done) override {
        m_committed += batch.messages();
        m_max_attempts = std::max(m_max_attempts.load(), done.attempts);
    }

    void fail_with(std::vector<std::string> failures) {
        const std::lock_guard lock(m_mutex);
        m_failures = std::move(failures);
    }

    uint64_t committed_messages() const { return m_committed; }
    // How many connections have committed batches.
    size_t writer_connections() {
        const std::lock_guard lock(m_mutex);
        return m_backends.size();
    }
    int attempts() const { return m_attempts; }
    int max_attempts_of_a_batch() const { return m_max_attempts; }

  private:
    std::optional<std::string> next_failure() {
        const std::lock_guard lock(m_mutex);
        if (m_failures.empty()) {
            return std::nullopt;
        }
        std::string failure = m_failures.front();
        m_failures.erase(m_failures.begin());
        return failure;
    }

    std::mutex m_mutex;
    std::vector<std::string> m_failures;
    std::set<std::string> m_backends;
    std::atomic<uint64_t> m_committed = 0;
    std::atomic<int> m_attempts = 0;
    std::atomic<int> m_max_attempts = 0;
};

class ConsumeTest : public testing::PipelineTest {
  protected:
    ConsumeTest() : PipelineTest("consume", 3) {}

    void SetUp() override {
        util::reset_stop_request();
        exec("CREATE TABLE public.consumed (origin text PRIMARY KEY)");
        emulate(events_per_kind, /*seed=*/7);
    }

    void TearDown() override { util::reset_stop_request(); }

    consume::ConsumerOptions options(bool follow) const {
        consume::ConsumerOptions consumer;
        consumer.dsn = m_dsn;
        consumer.application_name = "consume_test";
        consumer.group = m_prefix;
        consumer.kafka_properties = kafka::Consumer::default_properties(m_prefix);
        consumer.kafka_properties.emplace_back("bootstrap.servers", m_kafka.bootstrap_servers());
        consumer.topics = {m_prefix + ".pin", m_prefix + ".geo", m_prefix + ".user"};
        consumer.follow = follow;
        consumer.max_batch_rows = 200;  // several batches, so that failures hit mid-run
        consumer.min_batch_age = 10ms;
        consumer.max_batch_latency = 50ms;
        consumer.first_retry_delay = 50ms;
        consumer.rebalance_interval = 200ms;
        return consumer;
    }

    long long consumed_rows() const { return query_number("SELECT count(*) FROM public.consumed"); }

    // Runs a consumer that is expected to end by itself and rethrows how it ended. A follower
    // that does not end within `deadline` (the defect: it retries for ever) is stopped, so that
    // the test fails on the wrong error instead of hanging; nothing waits for the deadline
    // when the consumer ends as it should.
    static void run_expecting_an_end(const consume::ConsumerOptions& consumer,
                                     consume::BatchSink& sink,
                                     std::chrono::seconds deadline = std::chrono::seconds(60)) {
        std::mutex mutex;
        std::condition_variable ended;
        bool done = false;
        std::thread stopper([&] {
            std::unique_lock lock(mutex);
            if (!ended.wait_for(lock, deadline, [&] { return done; })) {
                util::request_stop();
            }
        });
        const auto finish = [&] {
            {
                const std::lock_guard lock(mutex);
                done = true;
            }
            ended.notify_one();
            stopper.join();
        };
        try {
            consume::run_consumer(consumer, sink);
        } catch (...) {
            finish();
            throw;
        }
        finish();
    }

    // Runs a long-running consumer until every message has committed, then stops it.
    consume::ConsumerRun follow_until_all_committed(const consume::ConsumerOptions& consumer,
                                                    RecordingSink& sink) {
        std::atomic<bool> done = false;
        std::thread stopper([&] {
            while (!done && sink.committed_messages() < 3 * events_per_kind) {
                std::this_thread::sleep_for(10ms);
            }
            util::request_stop();
        });
        try {
            const consume::ConsumerRun run = consume::run_consumer(consumer, sink);
            done = true;
            stopper.join();
            return run;
        } catch (...) {
            done = true;
            stopper.join();
            throw;
        }
    }
};

// Drift fixed: load never retried a batch after a serialization failure or deadlock.
TEST_F(ConsumeTest, SerializationFailureRunsTheBatchAgainInTheSameSession) {
    RecordingSink sink;
    sink.fail_with({serialization_failure, serialization_failure});
    const consume::ConsumerRun run = consume::run_consumer(options(/*follow=*/false), sink);
    EXPECT_EQ(run.sessions, 1u);
    EXPECT_EQ(sink.max_attempts_of_a_batch(), 3);
    EXPECT_EQ(sink.committed_messages(), 3u * events_per_kind);
    EXPECT_EQ(consumed_rows(), 3 * events_per_kind);
}

TEST_F(ConsumeTest, TwoWritersCommitTheirOwnPartitionsAndEveryMessageOnce) {
    consume::ConsumerOptions cron = options(/*follow=*/false);
    cron.writers = 2;
    RecordingSink sink;
    const consume::ConsumerRun run = consume::run_consumer(cron, sink);
    EXPECT_EQ(sink.writer_connections(), 2u);
    EXPECT_EQ(run.partitions_read, 9u);
    EXPECT_EQ(consumed_rows(), 3 * events_per_kind);
    EXPECT_EQ(query_number("SELECT count(*) FROM etl.consumer_offsets WHERE next_offset > 0"), 9);
}

TEST_F(ConsumeTest, TwoFollowingWritersSurviveAnOutageAndWriteEveryMessageOnce) {
    consume::ConsumerOptions follow = options(/*follow=*/true);
    follow.writers = 2;
    RecordingSink sink;
    sink.fail_with({admin_shutdown});
    const consume::ConsumerRun run = follow_until_all_committed(follow, sink);
    EXPECT_EQ(run.sessions, 2u);
    EXPECT_GE(sink.writer_connections(), 2u);
    EXPECT_EQ(consumed_rows(), 3 * events_per_kind);
}

// Drift fixed: load --follow restarted only on a lost fence or connection; stream also on
// admin shutdown. Both now start a new session, and nothing is written twice.
TEST_F(ConsumeTest, AdminShutdownStartsANewSessionAndNothingIsWrittenTwice) {
    RecordingSink sink;
    sink.fail_with({admin_shutdown});
    const consume::ConsumerRun run = follow_until_all_committed(options(/*follow=*/true), sink);
    EXPECT_EQ(run.sessions, 2u);
    EXPECT_TRUE(run.stopped_by_signal);
    EXPECT_EQ(consumed_rows(), 3 * events_per_kind);
}

TEST_F(ConsumeTest, RetryBatchErrorsThatKeepComingBackStartANewSession) {
    RecordingSink sink;
    sink.fail_with(std::vector<std::string>(5, serialization_failure));
    const consume::ConsumerRun run = follow_until_all_committed(options(/*follow=*/true), sink);
    EXPECT_EQ(run.sessions, 2u);
    EXPECT_EQ(consumed_rows(), 3 * events_per_kind);
}

TEST_F(ConsumeTest, ACronRunEndsAtAnOutageAndTheNextRunResumes) {
    RecordingSink sink;
    sink.fail_with({admin_shutdown});
    EXPECT_THROW(consume::run_consumer(options(/*follow=*/false), sink), pqxx::failure);
    RecordingSink second;
    const consume::ConsumerRun run = consume::run_consumer(options(/*follow=*/false), second);
    EXPECT_EQ(run.sessions, 1u);
    EXPECT_EQ(consumed_rows(), 3 * events_per_kind);
}

TEST_F(ConsumeTest, AnErrorOfNoKnownRemedyExitsAtOnceEvenWhenFollowing) {
    RecordingSink sink;
    sink.fail_with({data_exception});
    EXPECT_THROW(consume::run_consumer(options(/*follow=*/true), sink), pqxx::data_exception);
    EXPECT_EQ(sink.attempts(), 1);
}

TEST_F(ConsumeTest, AMissingTableExitsNamingTheFix) {
    RecordingSink sink;
    sink.fail_with({undefined_table});
    try {
        consume::run_consumer(options(/*follow=*/true), sink);
        ADD_FAILURE() << "a missing table did not end the run";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("run pinpipe migrate"), std::string::npos)
            << error.what();
    }
    EXPECT_EQ(sink.attempts(), 1);
}

// A topic recreated behind the stored offset: before, a cron run planned nothing for the
// partition and a follower read its new messages only to drop them as already read.
TEST_F(ConsumeTest, AStoredOffsetBeyondTheEndExitsInCronAndFollowModeNamingIt) {
    RecordingSink first;
    consume::run_consumer(options(/*follow=*/false), first);
    ASSERT_EQ(consumed_rows(), 3 * events_per_kind);
    const std::string topic = m_prefix + ".geo";
    exec(
        fmt::format("UPDATE etl.consumer_offsets SET next_offset = 1000000 WHERE consumer = '{}' "
                    "AND topic = '{}' AND partition = 1",
                    m_prefix, topic));
    emulate(events_per_kind, /*seed=*/8);  // new messages, all below the stored offset
    for (const bool follow : {false, true}) {
        RecordingSink sink;
        try {
            run_expecting_an_end(options(follow), sink);
            ADD_FAILURE() << "follow=" << follow << ": the stored offset was skipped silently";
        } catch (const consume::OffsetBeyondEnd& error) {
            const std::string message = error.what();
            EXPECT_NE(message.find(fmt::format("stored offset 1000000 of group {} on {}[1] is "
                                               "beyond the partition's end in Kafka (high "
                                               "watermark ",
                                               m_prefix, topic)),
                      std::string::npos)
                << message;
            EXPECT_NE(message.find(fmt::format("DELETE FROM etl.consumer_offsets WHERE consumer = "
                                               "'{}' AND topic = '{}' AND partition = 1",
                                               m_prefix, topic)),
                      std::string::npos)
                << message;
        }
        EXPECT_EQ(sink.attempts(), 0) << "follow=" << follow << ": nothing is read";
    }
    EXPECT_EQ(consumed_rows(), 3 * events_per_kind);
    EXPECT_EQ(query_number(fmt::format("SELECT next_offset FROM etl.consumer_offsets WHERE "
                                       "consumer = '{}' AND topic = '{}' AND partition = 1",
                                       m_prefix, topic)),
              1000000);
}

// Before, a follower retried these every 30 s for ever (pinpipe stream --dsn "dbname=typo").
TEST_F(ConsumeTest, AConnectionTheServerRefusesEndsAFollowerAtOnce) {
    for (const std::string& wrong :
         {std::string(" dbname=no_such_database"), std::string(" user=no_such_role")}) {
        consume::ConsumerOptions follow = options(/*follow=*/true);
        follow.dsn = m_dsn + wrong;
        RecordingSink sink;
        try {
            run_expecting_an_end(follow, sink);
            ADD_FAILURE() << wrong << ": the follower ended without an error";
        } catch (const pg::ConnectionRefused& error) {
            EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos)
                << error.what();
            EXPECT_NE(std::string(error.what()).find("PostgreSQL refused the connection"),
                      std::string::npos)
                << error.what();
        }
    }
}

// A password rotated, a login revoked while running: the follower's connections go, and the new
// session's connection is refused: the run ends instead of retrying for ever.
TEST_F(ConsumeTest, ALoginRevokedWhileFollowingEndsTheRunWhenItReconnects) {
    const std::string role = m_prefix + "_rotated";
    exec(fmt::format("CREATE ROLE \"{}\" LOGIN SUPERUSER", role));
    consume::ConsumerOptions follow = options(/*follow=*/true);
    follow.dsn = m_dsn + fmt::format(" user={}", role);
    RecordingSink sink;
    std::atomic<bool> ended = false;
    std::thread revoker([&] {
        // Once it has committed something, its sessions are under way.
        testing::eventually([&] { return sink.committed_messages() > 0 || ended; });
        exec(fmt::format("ALTER ROLE \"{}\" NOLOGIN", role));
        exec(
            fmt::format("SELECT pg_catalog.pg_terminate_backend(pid) FROM "
                        "pg_catalog.pg_stat_activity WHERE usename = '{}'",
                        role));
    });
    try {
        run_expecting_an_end(follow, sink);
        ADD_FAILURE() << "the follower ended without an error";
    } catch (const pg::ConnectionRefused& error) {
        EXPECT_NE(std::string(error.what()).find("is not permitted to log in"), std::string::npos)
            << error.what();
    } catch (const std::exception& error) {
        ADD_FAILURE() << "ended by another error: " << error.what();
    }
    ended = true;
    revoker.join();
    exec(fmt::format("DROP OWNED BY \"{}\"", role));
    exec(fmt::format("DROP ROLE \"{}\"", role));
}

TEST_F(ConsumeTest, AMissingTopicEndsAFollowerAtOnceNamingIt) {
    consume::ConsumerOptions follow = options(/*follow=*/true);
    follow.topics[1] = m_prefix + ".typo";
    RecordingSink sink;
    try {
        run_expecting_an_end(follow, sink);
        ADD_FAILURE() << "the follower ended without an error";
    } catch (const kafka::TopicMissing& error) {
        EXPECT_NE(std::string(error.what())
                      .find(fmt::format("Kafka topic {}.typo does not exist", m_prefix)),
                  std::string::npos)
            << error.what();
    }
}

// Drift fixed: load slept out its retry delay (up to 30 s) ignoring SIGTERM.
TEST_F(ConsumeTest, SigtermDuringTheBackoffStopsAtOnce) {
    RecordingSink sink;
    sink.fail_with({admin_shutdown});
    consume::ConsumerOptions consumer = options(/*follow=*/true);
    consumer.first_retry_delay = std::chrono::minutes(10);
    std::thread stopper([&] {
        while (sink.attempts() == 0) {
            std::this_thread::sleep_for(10ms);
        }
        util::request_stop();
    });
    const auto started = std::chrono::steady_clock::now();
    try {
        consume::run_consumer(consumer, sink);
        ADD_FAILURE() << "stopping without a commit did not fail the run";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("stopped while consume_test could not commit"),
                  std::string::npos)
            << error.what();
    }
    stopper.join();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
}

}  // namespace
}  // namespace pinpipe
