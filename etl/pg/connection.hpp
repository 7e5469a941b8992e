// pinpipe's few additions to libpqxx, its PostgreSQL API (DESIGN §3): connections opened with
// pinpipe's settings, errors in pinpipe's message style, and text[] parameters. Statements,
// transactions, results and errors are libpqxx's own (pqxx::work, exec_params, field::as).
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::pg {

// Server notices as pinpipe's log lines: warnings (e.g. "could not create role") at warning
// level, plain notices ("already exists, skipping") at debug level.
class NoticeLog final : public pqxx::errorhandler {
  public:
    using pqxx::errorhandler::errorhandler;
    bool operator()(const char message[]) noexcept override;
};

// A pqxx::connection opened with pinpipe's settings, and nothing else of its own: TCP keepalives,
// so that the advisory-lock claims of a machine that vanishes without closing its connection
// drop within seconds (DESIGN §8); the application name, for pg_stat_activity; notices logged;
// and no silent reconnection (libpqxx 6.4 reopens a broken connection on its next use outside
// a transaction, which would drop the session's claims without the engine noticing).
// dsn: a libpq connection string or URI; empty means libpq's defaults (PGHOST, PGPORT, ...,
// ~/.pgpass). Throws pqxx::broken_connection with a hint when PostgreSQL cannot be reached, and
// ConnectionRefused when the server answered and refused.
class Connection final : public pqxx::connection {
  public:
    Connection(const std::string& dsn, const std::string& application_name);

  private:
    NoticeLog m_notices{*this};
};

// PostgreSQL answered a connection attempt and refused it (authentication failed, the database
// or role does not exist, pg_hba.conf has no entry for it): trying again gets the same answer
// until someone changes the dsn, a password or pg_hba.conf, so consumers exit instead of
// retrying. Still a broken_connection for callers that only ask whether a connection opened.
class ConnectionRefused final : public pqxx::broken_connection {
  public:
    using pqxx::broken_connection::broken_connection;
};

// Pure: whether libpq's message for a failed connection attempt is such a refusal. A server
// that cannot be reached (connection refused, a timeout, the server closing the connection), or
// that refuses only for now (starting up, shutting down, too many clients), is not; neither is
// a message the server wrote in another language (lc_messages), which is retried as before.
bool refused_by_server(std::string_view libpq_message);

// The libpq connection string Connection opens: pinpipe's settings first, then the user's dsn,
// so that the user's win. A URI keeps its form, pinpipe's settings first in its query.
std::string connection_options(const std::string& dsn, const std::string& application_name);

// Where cx goes (host/socket and port, database, user): never the password.
std::string describe(pqxx::connection_base& cx);

// One line in pinpipe's style for any error, PostgreSQL's above all: what failed (the statement,
// shortened), PostgreSQL's message with its detail and hint, and the SQLSTATE.
std::string error_message(const std::exception& error);

// tx.exec_params with parameters counted at run time, each text or NULL (libpqxx 6.4 knows
// neither std::optional nor std::string_view as a parameter).
using Param = std::optional<std::string>;
pqxx::result exec_params(pqxx::transaction_base& tx, const std::string& sql,
                         const std::vector<Param>& params);

// Bounds tx's waits for locks from here to its end (SET LOCAL lock_timeout): a statement that
// waits longer fails with 55P03, the fold lock's error naming the session that holds it.
void set_local_lock_timeout(pqxx::transaction_base& tx, std::chrono::milliseconds timeout);

// A PostgreSQL array literal for a text[] parameter (or int[], bigint[] from decimal strings):
// {"a","b\"c"}. Every element quoted, so empty strings, commas, braces and "NULL" stay text.
template <typename Strings>
std::string text_array_literal(const Strings& values) {
    std::string array = "{";
    bool first = true;
    for (const auto& value : values) {
        array += first ? "\"" : ",\"";
        first = false;
        for (const char c : std::string_view(value)) {
            if (c == '"' || c == '\\') {
                array += '\\';
            }
            array += c;
        }
        array += '"';
    }
    return array + "}";
}

}  // namespace pinpipe::pg
