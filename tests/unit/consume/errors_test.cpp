#include "consume/errors.hpp"

#include <gtest/gtest.h>

#include <pqxx/except>

#include "kafka/consumer.hpp"
#include "pg/connection.hpp"
#include "pg/membership.hpp"

namespace pinpipe::consume {
namespace {

// What libpqxx throws for a statement PostgreSQL failed with sqlstate.
NextStep after(const char* sqlstate) {
    return next_step(pqxx::sql_error("ERROR:  statement failed", "SELECT 1", sqlstate));
}

TEST(NextStep, SerializationFailureAndDeadlockRetryTheBatch) {
    EXPECT_EQ(next_step(pqxx::serialization_failure("could not serialize access")),
              NextStep::retry_batch);  // 40001
    EXPECT_EQ(next_step(pqxx::deadlock_detected("deadlock detected")),
              NextStep::retry_batch);  // 40P01
}

TEST(NextStep, OutagesStartANewSession) {
    EXPECT_EQ(next_step(pqxx::broken_connection("server closed the connection unexpectedly")),
              NextStep::new_session);                  // class 08, or the connection found closed
    EXPECT_EQ(after("08006"), NextStep::new_session);  // connection_failure (the raw COPY)
    EXPECT_EQ(after("57P01"), NextStep::new_session);  // admin_shutdown
    EXPECT_EQ(after("57P03"), NextStep::new_session);  // cannot_connect_now
    EXPECT_EQ(next_step(pqxx::too_many_connections("sorry, too many clients already")),
              NextStep::new_session);  // 53300
    EXPECT_EQ(next_step(pqxx::disk_full("could not extend file", "COPY", "53100")),
              NextStep::new_session);
    EXPECT_EQ(next_step(KafkaUnavailable("broker down")), NextStep::new_session);
    EXPECT_EQ(next_step(FenceLost("moved")), NextStep::new_session);
}

TEST(NextStep, ALostInstanceRowStartsANewSessionNotAnExit) {
    // Its connections hold the lost row's liveness lock: all of them must go, not just one.
    EXPECT_EQ(next_step(pg::InstanceLost("row deleted")), NextStep::new_session);
    const std::runtime_error& as_runtime_error = pg::InstanceLost("row deleted");
    EXPECT_EQ(next_step(as_runtime_error), NextStep::new_session);
}

TEST(NextStep, ALostConnectionWinsOverTheStatementsState) {
    // libpqxx reports a connection found closed after a statement as broken_connection, not as
    // the statement's error; an error without any SQLSTATE that is not the server's "ERROR:" is
    // libpq's own (the server is gone); a connection lost during COMMIT leaves the commit in
    // doubt.
    EXPECT_EQ(next_step(pqxx::sql_error("server closed the connection unexpectedly\n", "COMMIT")),
              NextStep::new_session);
    EXPECT_EQ(next_step(pqxx::in_doubt_error("connection lost while committing")),
              NextStep::new_session);
}

// Answers that do not change when asked again: a follower retrying them every 30 s would never
// exit (pinpipe stream --dsn dbname=typo, --topic-prefix typo).
TEST(NextStep, PermanentRefusalsExitInsteadOfStartingANewSession) {
    EXPECT_EQ(next_step(pg::ConnectionRefused(
                  "could not connect to PostgreSQL: FATAL:  database \"typo\" does not exist")),
              NextStep::exit);
    const pqxx::broken_connection& as_broken = pg::ConnectionRefused("FATAL:  password ...");
    EXPECT_EQ(next_step(as_broken), NextStep::exit);
    EXPECT_EQ(next_step(kafka::TopicMissing("Kafka topic typo.pin does not exist")),
              NextStep::exit);
    EXPECT_EQ(next_step(OffsetBeyondEnd("g", {"t.pin", 0}, 5000, 100)), NextStep::exit);
}

// libpqxx 6.4's stream_to reports the server's ERROR at the end of a COPY without SQLSTATE: the
// session is fine, so a permanent error exits instead of starting sessions for ever.
TEST(NextStep, AServerErrorWithoutSqlstateIsClassifiedAsTheServerErrorItIs) {
    const auto without_sqlstate = [](const char* message) {
        return next_step(pqxx::sql_error(message, "COPY staging.pin_events FROM STDIN"));
    };
    EXPECT_EQ(without_sqlstate("ERROR:  permission denied for table pin_events\n"), NextStep::exit);
    EXPECT_EQ(without_sqlstate("ERROR:  deadlock detected\nDETAIL:  Process 1 waits"),
              NextStep::retry_batch);
    EXPECT_EQ(without_sqlstate("ERROR:  could not serialize access due to concurrent update"),
              NextStep::retry_batch);
    EXPECT_EQ(without_sqlstate("ERROR:  canceling statement due to lock timeout"),
              NextStep::retry_batch);
    EXPECT_EQ(without_sqlstate("ERROR:  waited longer than lock_timeout (30s) for the live "
                               "state's fold lock, held by pid 7 (role r, application_name "
                               "\"a\", in its transaction for 00:00:31)"),
              NextStep::retry_batch);
    // The server's trouble, not the statement's: as their SQLSTATEs (53, 57P), a new session.
    EXPECT_EQ(without_sqlstate("ERROR:  could not extend file \"base/1/2\": No space left on "
                               "device\nHINT:  Check free disk space."),
              NextStep::new_session);
    EXPECT_EQ(without_sqlstate("ERROR:  out of memory\nDETAIL:  Failed on request of size 8."),
              NextStep::new_session);
    EXPECT_EQ(without_sqlstate("ERROR:  canceling statement due to statement timeout"),
              NextStep::exit);  // as 57014 with its SQLSTATE
    // libpq's own errors never start with "ERROR:": the server is gone.
    EXPECT_EQ(without_sqlstate("server closed the connection unexpectedly\n"),
              NextStep::new_session);
}

TEST(NextStep, DataExceptionsBecomeDeadLetters) {
    EXPECT_EQ(next_step(pqxx::data_exception("invalid input syntax", "COPY", "22P02")),
              NextStep::dead_letter);
    EXPECT_EQ(next_step(pqxx::data_exception("value out of range", "COPY", "22003")),
              NextStep::dead_letter);
    EXPECT_EQ(next_step(pqxx::data_exception("invalid byte sequence", "COPY", "22021")),
              NextStep::dead_letter);
}

TEST(NextStep, EverythingElseExits) {
    EXPECT_EQ(next_step(pqxx::undefined_table("relation does not exist", "SELECT", "42P01")),
              NextStep::exit);
    EXPECT_EQ(after("42501"), NextStep::exit);  // insufficient_privilege
    EXPECT_EQ(next_step(pqxx::unique_violation("duplicate key", "INSERT", "23505")),
              NextStep::exit);  // a bug, not bad data
    EXPECT_EQ(next_step(std::runtime_error("bad configuration")), NextStep::exit);
    EXPECT_EQ(next_step(std::invalid_argument("bad")), NextStep::exit);
}

TEST(NextStep, NamesReadAsTheyAreLogged) {
    EXPECT_EQ(next_step_name(NextStep::retry_batch), "retry_batch");
    EXPECT_EQ(next_step_name(NextStep::exit), "exit");
}

}  // namespace
}  // namespace pinpipe::consume
