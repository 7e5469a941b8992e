#include "pg/connection.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>

#include "obs/log.hpp"

namespace pinpipe::pg {
namespace {

constexpr size_t max_statement_in_error = 160;

std::string shorten(std::string_view sql) {
    std::string text(sql.substr(0, max_statement_in_error));
    for (char& c : text) {
        if (c == '\n' || c == '\t') {
            c = ' ';
        }
    }
    return sql.size() > max_statement_in_error ? text + "..." : text;
}

// libpq's messages span lines ("...failed: ...\n\tIs the server running..."); our errors are one
// line each, so line breaks and the indentation after them become one space.
std::string one_line(const char* message) {
    std::string text;
    bool pending_space = false;
    for (const char* at = message ? message : ""; *at != '\0'; ++at) {
        if (*at == '\n' || *at == '\t' || *at == '\r') {
            pending_space = !text.empty();
            continue;
        }
        if (pending_space && *at != ' ') {
            text += ' ';
        }
        pending_space = false;
        text += *at;
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

// Server warnings (e.g. "could not create role") are worth a log line, not silence; plain
// notices ("already exists, skipping") only at debug level.
void log_notice(void* /*arg*/, const PGresult* result) {
    const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    const bool warning = severity != nullptr && std::string_view(severity) == "WARNING";
    obs::log(warning ? obs::LogLevel::warning : obs::LogLevel::debug,
             "postgres: " + one_line(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)));
}

}  // namespace

long long Result::affected_rows() const {
    const char* tuples = PQcmdTuples(m_result.get());
    return (tuples && *tuples) ? std::atoll(tuples) : 0;
}

Connection Connection::open(const std::string& dsn, const std::string& application_name) {
    // Our settings come first and the user's dsn (expanded) after it, so the user's win.
    const std::array<const char*, 7> keys = {"keepalives",
                                             "keepalives_idle",
                                             "keepalives_interval",
                                             "keepalives_count",
                                             "application_name",
                                             "dbname",
                                             nullptr};
    const std::array<const char*, 7> values = {
        "1", "5", "2", "3", application_name.c_str(), dsn.empty() ? nullptr : dsn.c_str(), nullptr};
    PGconn* raw_cx = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
    Connection cx(raw_cx);
    if (raw_cx == nullptr || PQstatus(raw_cx) != CONNECTION_OK) {
        const std::string reason = raw_cx ? one_line(PQerrorMessage(raw_cx)) : "out of memory";
        throw Error(fmt::format("could not connect to PostgreSQL: {} (check --dsn or the PGHOST, "
                                "PGPORT, PGDATABASE, PGUSER environment variables)",
                                reason),
                    "08001", /*connection_lost=*/true);
    }
    PQsetNoticeReceiver(raw_cx, log_notice, nullptr);
    return cx;
}

std::string Connection::describe() const {
    const char* host = PQhost(m_cx.get());
    return fmt::format("host={} port={} dbname={} user={}", host ? host : "", PQport(m_cx.get()),
                       PQdb(m_cx.get()), PQuser(m_cx.get()));
}

void Connection::fail(std::string_view what, const PGresult* result) const {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    // An error without a SQLSTATE comes from libpq itself, not the server: after a server crash
    // ("server closed the connection unexpectedly") libpq may still report CONNECTION_OK until
    // the next call, and only a new connection can succeed (found by the crash matrix, #17).
    const bool lost = PQstatus(m_cx.get()) != CONNECTION_OK || state == nullptr;
    std::string message = result ? one_line(PQresultErrorMessage(result)) : "";
    if (message.empty()) {
        message = one_line(PQerrorMessage(m_cx.get()));
    }
    throw Error(fmt::format("{}: {}{}", what, message,
                            lost ? " (the connection to PostgreSQL was lost)" : ""),
                state ? state : (lost ? "08006" : ""), lost);
}

Result Connection::check(PGresult* raw_result, std::string_view sql) {
    Result result(raw_result);
    const ExecStatusType status = raw_result ? PQresultStatus(raw_result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail(fmt::format("statement failed [{}]", shorten(sql)), raw_result);
    }
    return result;
}

Result Connection::exec(std::string_view sql) {
    const std::string text(sql);
    return check(PQexec(m_cx.get(), text.c_str()), sql);
}

Result Connection::exec(const std::string& sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& param : params) {
        values.push_back(param ? param->c_str() : nullptr);
    }
    return check(PQexecParams(m_cx.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, /*resultFormat=*/0),
                 sql);
}

void Connection::copy_in(const std::string& copy_sql, std::string_view data) {
    copy_in(copy_sql, std::span(&data, 1));
}

void Connection::copy_in(const std::string& copy_sql, std::span<const std::string_view> parts) {
    // Small parts are gathered into chunks of this size, large ones sent in pieces of it: one
    // CopyData message per part would mean a send() every few rows.
    constexpr size_t chunk_bytes = size_t{256} << 10;
    PGconn* cx = m_cx.get();
    Result start(PQexec(cx, copy_sql.c_str()));
    if (PQresultStatus(start.raw()) != PGRES_COPY_IN) {
        fail(fmt::format("could not start [{}]", shorten(copy_sql)), start.raw());
    }
    const auto send = [&](std::string_view data) {
        if (PQputCopyData(cx, data.data(), static_cast<int>(data.size())) != 1) {
            fail(fmt::format("could not send COPY data [{}]", shorten(copy_sql)), nullptr);
        }
    };
    std::string gathered;
    for (std::string_view data : parts) {
        if (gathered.size() + data.size() <= chunk_bytes) {
            gathered.append(data);
            continue;
        }
        if (!gathered.empty()) {
            send(gathered);
            gathered.clear();
        }
        for (; data.size() > chunk_bytes; data.remove_prefix(chunk_bytes)) {
            send(data.substr(0, chunk_bytes));
        }
        gathered.append(data);
    }
    if (!gathered.empty()) {
        send(gathered);
    }
    if (PQputCopyEnd(cx, nullptr) != 1) {
        fail(fmt::format("could not end COPY [{}]", shorten(copy_sql)), nullptr);
    }
    Result end(PQgetResult(cx));
    // libpq needs every result read before the connection takes the next statement.
    while (PGresult* extra = PQgetResult(cx)) {
        PQclear(extra);
    }
    if (PQresultStatus(end.raw()) != PGRES_COMMAND_OK) {
        fail(fmt::format("COPY failed [{}]", shorten(copy_sql)), end.raw());
    }
}

Transaction::Transaction(Connection& cx) : m_cx(cx) {
    m_cx.exec("BEGIN");
}

Transaction::~Transaction() {
    if (!m_open || PQstatus(m_cx.raw()) != CONNECTION_OK) {
        return;
    }
    try {
        m_cx.exec("ROLLBACK");
    } catch (const Error& error) {
        obs::log_warning("could not roll back transaction", {{"error", error.what()}});
    }
}

void Transaction::commit() {
    m_cx.exec("COMMIT");
    m_open = false;
}

}  // namespace pinpipe::pg
