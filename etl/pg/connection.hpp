// A libpq connection owned once (rule 3), with the few operations pinpipe needs: statements with
// text parameters, COPY FROM STDIN, and transactions that roll back unless committed.
#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::pg {

// A failed statement or connection, with its SQLSTATE; what the caller does next is decided in
// one place, consume::next_step.
class Error : public std::runtime_error {
  public:
    Error(const std::string& message, std::string sqlstate, bool connection_lost)
        : std::runtime_error(message),
          m_sqlstate(std::move(sqlstate)),
          m_connection_lost(connection_lost) {}

    const std::string& sqlstate() const { return m_sqlstate; }
    bool connection_lost() const { return m_connection_lost; }

  private:
    std::string m_sqlstate;
    bool m_connection_lost;
};

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};

class Result {
  public:
    explicit Result(PGresult* result) : m_result(result) {}

    int rows() const { return PQntuples(m_result.get()); }
    int columns() const { return PQnfields(m_result.get()); }
    bool is_null(int row, int column) const { return PQgetisnull(m_result.get(), row, column); }
    std::string_view get(int row, int column) const {
        return {PQgetvalue(m_result.get(), row, column),
                static_cast<size_t>(PQgetlength(m_result.get(), row, column))};
    }
    std::string column_name(int column) const { return PQfname(m_result.get(), column); }
    long long affected_rows() const;
    const PGresult* raw() const { return m_result.get(); }

  private:
    std::unique_ptr<PGresult, ResultDeleter> m_result;
};

using Param = std::optional<std::string>;

struct ConnectionDeleter {
    void operator()(PGconn* cx) const { PQfinish(cx); }
};

class Connection {
  public:
    // dsn: a libpq connection string or URI; empty means libpq's defaults (PGHOST, PGPORT, ...,
    // ~/.pgpass). TCP keepalives are on so that a vanished machine's claims drop within seconds.
    static Connection open(const std::string& dsn, const std::string& application_name);

    Result exec(std::string_view sql);
    Result exec(const std::string& sql, const std::vector<Param>& params);

    // COPY ... FROM STDIN: sends data (in the format copy_sql names) and ends the copy.
    void copy_in(const std::string& copy_sql, std::string_view data);
    // The same, the data given as consecutive parts (a binary COPY's header, rows, trailer).
    void copy_in(const std::string& copy_sql, std::span<const std::string_view> parts);

    // Where the connection goes (host/socket and port, database, user): never the password.
    std::string describe() const;
    PGconn* raw() const { return m_cx.get(); }

  private:
    explicit Connection(PGconn* cx) : m_cx(cx) {}
    [[noreturn]] void fail(std::string_view what, const PGresult* result) const;
    Result check(PGresult* result, std::string_view sql);

    std::unique_ptr<PGconn, ConnectionDeleter> m_cx;
};

// BEGIN on construction, ROLLBACK on destruction unless commit() succeeded.
class Transaction {
  public:
    explicit Transaction(Connection& cx);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

  private:
    Connection& m_cx;
    bool m_open = true;
};

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
