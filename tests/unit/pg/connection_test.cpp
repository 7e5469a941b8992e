#include "pg/connection.hpp"

#include <gtest/gtest.h>

#include "pg/copy_encoding.hpp"
#include "pg/dead_letters.hpp"

namespace pinpipe::pg {
namespace {

TEST(ConnectionOptions, PinpipeSettingsComeFirstSoTheUsersWinButTheClientEncodingIsUtf8) {
    const std::string options = connection_options("host=db keepalives_idle=30", "pinpipe load");
    EXPECT_EQ(options,
              "keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3 "
              "application_name='pinpipe load' host=db keepalives_idle=30 client_encoding=UTF8");
}

TEST(ConnectionOptions, AnEmptyDsnLeavesTheRestToLibpqsDefaults) {
    EXPECT_EQ(connection_options("", "it's"),
              "keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3 "
              "application_name='it\\'s'  client_encoding=UTF8");
}

TEST(ConnectionOptions, AUriKeepsItsFormWithTheSettingsFirstInItsQuery) {
    EXPECT_EQ(connection_options("postgresql://u@db/pins", "pinpipe load"),
              "postgresql://u@db/pins?keepalives=1&keepalives_idle=5&keepalives_interval=2&"
              "keepalives_count=3&application_name=pinpipe%20load&client_encoding=UTF8");
    EXPECT_EQ(connection_options("postgres://db/pins?sslmode=require&application_name=mine", "x"),
              "postgres://db/pins?keepalives=1&keepalives_idle=5&keepalives_interval=2&"
              "keepalives_count=3&application_name=x&sslmode=require&application_name=mine&"
              "client_encoding=UTF8");
}

TEST(ConnectionOptions, TheClientEncodingIsUtf8WhateverTheDsnSays) {
    EXPECT_EQ(connection_options("host=db client_encoding=LATIN1", "x"),
              "keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3 "
              "application_name='x' host=db client_encoding=LATIN1 client_encoding=UTF8");
}

// libpq's messages as one_line makes them (libpq 15: the server's answer after "failed:").
TEST(RefusedByServer, ThePermanentFatalAnswersOfAServerThatWasReached) {
    const std::string at = "connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: ";
    for (const char* answer :
         {"FATAL:  database \"typo\" does not exist", "FATAL:  role \"nobody\" does not exist",
          "FATAL:  password authentication failed for user \"pinpipe_load\"",
          "FATAL:  Peer authentication failed for user \"x\"",
          "FATAL:  no pg_hba.conf entry for host \"10.0.0.5\", user \"x\", database \"y\", no "
          "encryption",
          "FATAL:  pg_hba.conf rejects connection for host \"h\"",
          "FATAL:  role \"bi\" is not permitted to log in",
          "FATAL:  permission denied for database \"p\" DETAIL:  User does not have CONNECT "
          "privilege.",
          "fe_sendauth: no password supplied"}) {
        EXPECT_TRUE(refused_by_server(at + answer)) << answer;
    }
}

TEST(RefusedByServer, AServerThatCannotBeReachedOrRefusesForNowIsRetried) {
    const std::string at = "connection to server at \"127.0.0.1\", port 5432 failed: ";
    for (const char* answer :
         {"Connection refused Is the server running on that host and accepting TCP/IP "
          "connections?",
          "timeout expired",
          "server closed the connection unexpectedly This probably means the server terminated "
          "abnormally",
          "FATAL:  the database system is starting up",
          "FATAL:  the database system is shutting down", "FATAL:  sorry, too many clients already",
          "FATAL:  terminating connection due to administrator command"}) {
        EXPECT_FALSE(refused_by_server(at + answer)) << answer;
    }
    // A directory that does not exist is not the server saying so.
    EXPECT_FALSE(refused_by_server(
        "connection to server on socket \"/nonexistent/.s.PGSQL.1\" failed: No such file or "
        "directory"));
}

TEST(ErrorMessage, NamesTheStatementAndTheSqlstateOnOneLine) {
    const pqxx::data_exception error("ERROR:  invalid input syntax for type integer\nLINE 1: x\n",
                                     "SELECT 'x'::int", "22P02");
    EXPECT_EQ(error_message(error),
              "statement failed [SELECT 'x'::int]: ERROR:  invalid input syntax for type integer "
              "LINE 1: x (SQLSTATE 22P02)");
}

TEST(ErrorMessage, AServerErrorWithoutItsSqlstateIsNotCalledALostConnection) {
    // libpqxx 6.4's stream_to reports the server's error at the end of a COPY without SQLSTATE.
    const pqxx::sql_error refused("ERROR:  permission denied for table t\n", "COPY t FROM STDIN");
    EXPECT_EQ(error_message(refused),
              "statement failed [COPY t FROM STDIN]: ERROR:  permission denied for table t");
    const pqxx::sql_error crashed("server closed the connection unexpectedly\n", "COMMIT");
    EXPECT_EQ(
        error_message(crashed),
        "statement failed [COMMIT]: server closed the connection unexpectedly (the connection "
        "to PostgreSQL was lost)");
}

TEST(ErrorMessage, SaysWhenTheConnectionWasLost) {
    EXPECT_EQ(error_message(pqxx::broken_connection("server closed the connection\n")),
              "server closed the connection (the connection to PostgreSQL was lost)");
    EXPECT_EQ(error_message(pqxx::serialization_failure("ERROR:  could not serialize\n")),
              "ERROR:  could not serialize (SQLSTATE 40001)");
    EXPECT_EQ(error_message(std::runtime_error("bad\nconfiguration")), "bad\nconfiguration");
}

TEST(DeadLetterCopyText, DecodesWhatAppendDeadLetterRowWrote) {
    std::string text;
    const events::MessageOrigin at{"t.pin", 3, 42, std::nullopt, std::string_view("k\\1")};
    append_dead_letter_row(text, "group", at, std::string_view("a\tb"), "bad_json",
                           "line 1\nback\\slash");
    ASSERT_EQ(text.back(), '\n');
    text.pop_back();
    const auto fields = decode_copy_text_line(text);
    ASSERT_EQ(fields.size(), 9U);
    EXPECT_EQ(fields[0], "group");
    EXPECT_EQ(fields[1], "t.pin");
    EXPECT_EQ(fields[2], "3");
    EXPECT_EQ(fields[3], "42");
    EXPECT_EQ(fields[4], std::nullopt);
    EXPECT_EQ(fields[5], "\\x6b5c31");
    EXPECT_EQ(fields[6], "\\x610962");
    EXPECT_EQ(fields[7], "bad_json");
    EXPECT_EQ(fields[8], "line 1\nback\\slash");
}

}  // namespace
}  // namespace pinpipe::pg
