#include "pg/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>

#include "obs/log.hpp"

namespace pinpipe::pg {
namespace {

constexpr size_t max_statement_in_error = 160;

// TCP keepalives: a peer that vanishes without closing the connection (a machine lost, a
// network cut) is noticed after idle 5 s + 3 probes 2 s apart, so its claims drop within
// about 11 s instead of the kernel's two hours.
constexpr std::string_view keepalive_settings[][2] = {
    {"keepalives", "1"},
    {"keepalives_idle", "5"},
    {"keepalives_interval", "2"},
    {"keepalives_count", "3"},
};

// Payloads are UTF-8 (validated) and go into COPY as they are: a session in another client
// encoding (PGCLIENTENCODING, a role's setting, the dsn) would have PostgreSQL convert them, so
// that "é" would be stored as "Ã©" from LATIN1. Forced, after everything the user gives.
constexpr std::string_view forced_client_encoding = "client_encoding=UTF8";

std::string shorten(std::string_view sql) {
    std::string text(sql.substr(0, max_statement_in_error));
    for (char& c : text) {
        if (c == '\n' || c == '\t') {
            c = ' ';
        }
    }
    return sql.size() > max_statement_in_error ? text + "..." : text;
}

// libpq's messages span lines ("ERROR:  ...\nDETAIL:  ...\nHINT:  ..."); our errors are one
// line each, so line breaks and the indentation after them become one space.
std::string one_line(std::string_view message) {
    std::string text;
    bool pending_space = false;
    for (const char c : message) {
        if (c == '\n' || c == '\t' || c == '\r') {
            pending_space = !text.empty();
            continue;
        }
        if (pending_space && c != ' ') {
            text += ' ';
        }
        pending_space = false;
        text += c;
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

// A conninfo value in single quotes, so that spaces and quotes in it stay one value.
std::string quoted_value(std::string_view value) {
    std::string quoted = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') {
            quoted += '\\';
        }
        quoted += c;
    }
    return quoted + "'";
}

std::string percent_encoded(std::string_view value) {
    std::string encoded;
    for (const char c : value) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
            encoded += c;
        } else {
            encoded += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        }
    }
    return encoded;
}

bool is_uri(std::string_view dsn) {
    return dsn.starts_with("postgresql://") || dsn.starts_with("postgres://");
}

constexpr std::string_view lost_hint = " (the connection to PostgreSQL was lost)";

// What a server's FATAL says when it refuses a client for good: its authentication methods
// (password, scram, md5, peer, ident, ldap, cert: "... authentication failed for user"), a
// missing database or role, pg_hba.conf, a role without LOGIN or a database without CONNECT.
// "FATAL:" itself marks the server's answer, as opposed to libpq's own connection errors.
constexpr std::string_view permanent_refusals[] = {
    "authentication failed",      "does not exist",
    "no pg_hba.conf entry",       "pg_hba.conf rejects connection",
    "is not permitted to log in", "permission denied for database",
};
// libpq's own word when the server asks for a password and none is given (no ~/.pgpass entry,
// no PGPASSWORD): as permanent as a wrong one.
constexpr std::string_view no_password = "fe_sendauth: no password supplied";

}  // namespace

bool NoticeLog::operator()(const char message[]) noexcept {
    try {
        const std::string text = one_line(message);
        obs::log(text.starts_with("WARNING:") ? obs::LogLevel::warning : obs::LogLevel::debug,
                 "postgres: " + text);
    } catch (...) {  // a notice is not worth an exception through libpq's callback
    }
    return true;
}

std::string connection_options(const std::string& dsn, const std::string& application_name) {
    if (is_uri(dsn)) {
        // A URI cannot be prefixed with key=value settings: they go first in its query instead,
        // where the user's own parameters, parsed later, override them.
        std::string settings;
        for (const auto& [key, value] : keepalive_settings) {
            settings += fmt::format("{}={}&", key, value);
        }
        settings += "application_name=" + percent_encoded(application_name);
        const size_t query = dsn.find('?');
        return (query == std::string::npos
                    ? dsn + "?" + settings
                    : dsn.substr(0, query + 1) + settings + "&" + dsn.substr(query + 1)) +
               "&" + std::string(forced_client_encoding);
    }
    std::string options;
    for (const auto& [key, value] : keepalive_settings) {
        options += fmt::format("{}={} ", key, value);
    }
    // libpq takes the last value of a repeated key, so the user's dsn comes after our defaults,
    // and the client encoding after it.
    return options + "application_name=" + quoted_value(application_name) + " " + dsn + " " +
           std::string(forced_client_encoding);
}

Connection::Connection(const std::string& dsn, const std::string& application_name) try : pqxx
    ::connection(connection_options(dsn, application_name)) {
        // Deprecated in 6.4 because libpqxx 7 dropped reactivation altogether; until then it is
        // the only way to turn it off.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        inhibit_reactivation(true);
#pragma GCC diagnostic pop
    }
catch (const pqxx::broken_connection& error) {
    const std::string message = one_line(error.what());
    if (refused_by_server(message)) {
        throw ConnectionRefused(fmt::format(
            "could not connect to PostgreSQL: {} (PostgreSQL refused the connection: check --dsn "
            "or PGDATABASE and PGUSER, the password in ~/.pgpass or PGPASSWORD, and pg_hba.conf)",
            message));
    }
    throw pqxx::broken_connection(
        fmt::format("could not connect to PostgreSQL: {} (check --dsn or the PGHOST, PGPORT, "
                    "PGDATABASE, PGUSER environment variables)",
                    message));
}

bool refused_by_server(std::string_view libpq_message) {
    if (libpq_message.find(no_password) != std::string_view::npos) {
        return true;
    }
    const size_t fatal = libpq_message.find("FATAL:");
    if (fatal == std::string_view::npos) {
        return false;
    }
    const std::string_view answer = libpq_message.substr(fatal);
    return std::any_of(
        std::begin(permanent_refusals), std::end(permanent_refusals),
        [&](std::string_view refusal) { return answer.find(refusal) != std::string_view::npos; });
}

std::string describe(pqxx::connection_base& cx) {
    const char* host = cx.hostname();
    const char* port = cx.port();
    const char* dbname = cx.dbname();
    const char* user = cx.username();
    return fmt::format("host={} port={} dbname={} user={}", host ? host : "", port ? port : "",
                       dbname ? dbname : "", user ? user : "");
}

std::string error_message(const std::exception& error) {
    const std::string message = one_line(error.what());
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
        const std::string what = sql->query().empty() ? message
                                                      : fmt::format("statement failed [{}]: {}",
                                                                    shorten(sql->query()), message);
        // An error without a SQLSTATE usually comes from libpq itself, not the server: after a
        // server crash ("server closed the connection unexpectedly") libpq may still report the
        // connection as open until the next call (found by the crash matrix, #17). But libpqxx
        // 6.4 can also report a server's ERROR without its SQLSTATE (seen for a permission
        // denied on a COPY), and an ERROR never ends the session: that one gets no such hint.
        if (!sql->sqlstate().empty()) {
            return fmt::format("{} (SQLSTATE {})", what, sql->sqlstate());
        }
        return message.starts_with("ERROR:") ? what : what + std::string(lost_hint);
    }
    // libpqxx 6.4 gives these three no SQLSTATE of their own.
    if (dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr) {
        return message + " (SQLSTATE 40001)";
    }
    if (dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr) {
        return message + " (SQLSTATE 40P01)";
    }
    if (dynamic_cast<const pqxx::too_many_connections*>(&error) != nullptr) {
        return message + " (SQLSTATE 53300)";
    }
    if ((dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
         dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) &&
        !message.starts_with("could not connect")) {
        return message + std::string(lost_hint);
    }
    return dynamic_cast<const pqxx::pqxx_exception*>(&error) != nullptr ? message : error.what();
}

pqxx::result exec_params(pqxx::transaction_base& tx, const std::string& sql,
                         const std::vector<Param>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& param : params) {
        values.push_back(param ? param->c_str() : nullptr);  // a null pointer is a NULL
    }
    return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(values));
}

void set_local_lock_timeout(pqxx::transaction_base& tx, std::chrono::milliseconds timeout) {
    tx.exec(fmt::format("SET LOCAL lock_timeout = {}", timeout.count()));
}

}  // namespace pinpipe::pg
