// The one file that talks to libpq directly, for the one thing libpqxx 6.4 cannot do: COPY in
// binary format (its stream_to writes text). Binary is kept because it was measured faster:
// see README, "Layout and libraries" (issue #16).
//
// How it reaches libpq: libpqxx 6.4 keeps the PGconn of a connection private and hands it only to
// its own classes. pqxx::largeobject exposes it to subclasses, as the protected static
// raw_connection(const dbtransaction&), exported from libpqxx's shared library; RawConnection
// below derives from largeobject for nothing else. The COPY then runs on the very session of
// the caller's pqxx::work, so the rows, the dead letters and the fenced offsets stay one
// transaction.
// The risks of this route: libpqxx does not know the COPY ran, so it must be finished (every
// result read) before libpqxx sends anything else, which copy_in does on every path, errors
// included; libpqxx begins a transaction lazily, so the COPY must follow a statement of
// libpqxx's in it (copy_binary sends an empty one: without it a subtransaction's SAVEPOINT was
// never sent and a rejected row aborted the whole transaction); libpqxx 7 removed largeobject's
// raw_connection (it has its own binary-capable streams and a public raw_connection()), so a move
// to libpqxx 7 must change this file, and only this file.
#include "load/staging_copy.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <pqxx/except>
#include <pqxx/largeobject>
#include <pqxx/stream_to>

#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "load/batch.hpp"

namespace pinpipe::load {
namespace {

struct RawConnection : pqxx::largeobject {
    static PGconn* of(const pqxx::dbtransaction& tx) { return raw_connection(tx); }
};

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// What libpqxx throws for the same failure, so that consume::next_step sorts it as it sorts
// libpqxx's own errors: no SQLSTATE or a closed connection is a lost connection.
[[noreturn]] void fail(PGconn* cx, const PGresult* result, const std::string& sql) {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const char* message = result ? PQresultErrorMessage(result) : "";
    const std::string text = (message && *message) ? message : PQerrorMessage(cx);
    const std::string sqlstate = state ? state : "";
    if (PQstatus(cx) != CONNECTION_OK || sqlstate.empty() || sqlstate.starts_with("08")) {
        throw pqxx::broken_connection(text);
    }
    if (sqlstate.starts_with("22")) {
        throw pqxx::data_exception(text, sql, sqlstate.c_str());
    }
    if (sqlstate == "40001") {
        throw pqxx::serialization_failure(text);
    }
    if (sqlstate == "40P01") {
        throw pqxx::deadlock_detected(text);
    }
    if (sqlstate == "53300") {
        throw pqxx::too_many_connections(text);
    }
    throw pqxx::sql_error(text, sql, sqlstate.c_str());
}

// COPY ... FROM STDIN with data given as consecutive parts (the header, rows, the trailer).
void copy_in(PGconn* cx, const std::string& copy_sql, std::span<const std::string_view> parts) {
    // Small parts are gathered into chunks of this size, large ones sent in pieces of it: one
    // CopyData message per part would mean a send() every few rows.
    constexpr size_t chunk_bytes = size_t{256} << 10;
    const ResultPtr start(PQexec(cx, copy_sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
        fail(cx, start.get(), copy_sql);
    }
    const auto send = [&](std::string_view data) {
        if (PQputCopyData(cx, data.data(), static_cast<int>(data.size())) != 1) {
            fail(cx, nullptr, copy_sql);
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
        fail(cx, nullptr, copy_sql);
    }
    const ResultPtr end(PQgetResult(cx));
    // libpq needs every result read before the connection takes the next statement.
    while (PGresult* extra = PQgetResult(cx)) {
        PQclear(extra);
    }
    if (PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
        fail(cx, end.get(), copy_sql);
    }
}

void copy_binary(pqxx::dbtransaction& tx, events::EventKind kind,
                 const std::vector<std::string_view>& rows) {
    const std::string copy_sql = fmt::format("COPY {} {} FROM STDIN WITH (FORMAT binary)",
                                             staging_table(kind), pg::staging_copy_columns);
    std::vector<std::string_view> parts;
    parts.reserve(rows.size() + 2);
    parts.push_back(binary_copy_header());
    parts.insert(parts.end(), rows.begin(), rows.end());
    parts.push_back(binary_copy_trailer());
    // libpqxx begins a transaction when it sends its first statement (a subtransaction's
    // SAVEPOINT is sent no sooner), and it cannot see this COPY: one empty statement through tx
    // makes sure that the COPY runs inside it.
    tx.exec("");
    copy_in(RawConnection::of(tx), copy_sql, parts);
}

// MEASUREMENT ONLY (issue #16): the same rows through pqxx::stream_to, in text.
void copy_text(pqxx::dbtransaction& tx, events::EventKind kind,
               const std::vector<std::string_view>& rows) {
    static const std::vector<std::string> columns = {"kafka_topic",  "kafka_partition",
                                                     "kafka_offset", "kafka_timestamp",
                                                     "kafka_key",    "payload"};
    pqxx::stream_to stream(tx, staging_table(kind), columns);
    std::string timestamp;
    std::string key;
    for (const std::string_view bytes : rows) {
        const StagingRow row = decode_staging_row(bytes);
        timestamp.clear();
        key.clear();
        if (row.at.timestamp_ms) {
            pg::append_copy_timestamp(timestamp, *row.at.timestamp_ms);
        }
        if (row.at.key) {
            key = "\\x";
            constexpr std::string_view hex = "0123456789abcdef";
            for (const char c : *row.at.key) {
                const auto byte = static_cast<unsigned char>(c);
                key += hex[byte >> 4];
                key += hex[byte & 0xf];
            }
        }
        stream << std::make_tuple(std::string(row.at.topic), row.at.partition, row.at.offset,
                                  row.at.timestamp_ms ? timestamp.c_str() : nullptr,
                                  row.at.key ? key.c_str() : nullptr, std::string(row.payload));
    }
    stream.complete();
}

void copy_rows(pqxx::dbtransaction& tx, events::EventKind kind,
               const std::vector<std::string_view>& rows) {
    static const bool text = std::getenv("PINPIPE_STAGING_COPY_TEXT") != nullptr;
    if (text) {
        copy_text(tx, kind, rows);
    } else {
        copy_binary(tx, kind, rows);
    }
}

}  // namespace

void copy_staging_rows(pqxx::dbtransaction& tx, events::EventKind kind, const StagingRows& rows) {
    copy_rows(tx, kind, rows.rows_in_partition_order());
}

void copy_staging_row(pqxx::dbtransaction& tx, events::EventKind kind, std::string_view row) {
    copy_rows(tx, kind, {row});
}

}  // namespace pinpipe::load
