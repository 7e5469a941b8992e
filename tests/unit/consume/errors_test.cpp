#include "consume/errors.hpp"

#include <gtest/gtest.h>

#include "pg/connection.hpp"

namespace pinpipe::consume {
namespace {

NextStep after(const std::string& sqlstate, bool connection_lost = false) {
    return next_step(pg::Error("statement failed", sqlstate, connection_lost));
}

TEST(NextStep, SerializationFailureAndDeadlockRetryTheBatch) {
    EXPECT_EQ(after("40001"), NextStep::retry_batch);
    EXPECT_EQ(after("40P01"), NextStep::retry_batch);
}

TEST(NextStep, OutagesStartANewSession) {
    EXPECT_EQ(after("", /*connection_lost=*/true), NextStep::new_session);
    EXPECT_EQ(after("08006"), NextStep::new_session);  // connection_failure
    EXPECT_EQ(after("57P01"), NextStep::new_session);  // admin_shutdown
    EXPECT_EQ(after("57P03"), NextStep::new_session);  // cannot_connect_now
    EXPECT_EQ(after("53300"), NextStep::new_session);  // too_many_connections
    EXPECT_EQ(next_step(KafkaUnavailable("broker down")), NextStep::new_session);
    EXPECT_EQ(next_step(FenceLost("moved")), NextStep::new_session);
}

TEST(NextStep, ALostConnectionWinsOverTheStatementsState) {
    EXPECT_EQ(after("22P02", /*connection_lost=*/true), NextStep::new_session);
    EXPECT_EQ(after("40001", /*connection_lost=*/true), NextStep::new_session);
}

TEST(NextStep, DataExceptionsBecomeDeadLetters) {
    EXPECT_EQ(after("22P02"), NextStep::dead_letter);  // invalid_text_representation
    EXPECT_EQ(after("22003"), NextStep::dead_letter);  // numeric_value_out_of_range
    EXPECT_EQ(after("22021"), NextStep::dead_letter);  // character_not_in_repertoire
}

TEST(NextStep, EverythingElseExits) {
    EXPECT_EQ(after("42P01"), NextStep::exit);  // undefined_table
    EXPECT_EQ(after("42501"), NextStep::exit);  // insufficient_privilege
    EXPECT_EQ(after("23505"), NextStep::exit);  // unique_violation: a bug, not bad data
    EXPECT_EQ(next_step(std::runtime_error("bad configuration")), NextStep::exit);
    EXPECT_EQ(next_step(std::invalid_argument("bad")), NextStep::exit);
}

TEST(NextStep, NamesReadAsTheyAreLogged) {
    EXPECT_EQ(next_step_name(NextStep::retry_batch), "retry_batch");
    EXPECT_EQ(next_step_name(NextStep::exit), "exit");
}

}  // namespace
}  // namespace pinpipe::consume
