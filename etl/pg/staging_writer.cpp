// COPY through pqxx::stream_to, in text: libpqxx 6.4 cannot COPY in binary, and going around it
// to libpq for that was measured and did not pay (docs/design.md, "Layout and libraries"; issue
// #16). StagingRows hold each row as its line of COPY text already, so the lines go as they are.
#include "pg/staging_writer.hpp"

#include <pqxx/except>
#include <pqxx/subtransaction>

#include <vector>

#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "pg/copy_encoding.hpp"
#include "pg/copy_stream.hpp"
#include "pg/row_bisection.hpp"

namespace pinpipe::pg {
namespace {

void copy_lines(pqxx::transaction_base& tx, events::EventKind kind,
                std::span<const std::string_view> lines) {
    copy_text_lines(tx, staging_table(kind), staging_copy_columns(), lines);
}

// An error a row can cause alone: a data exception (SQLSTATE class 22), a CHECK that is false
// (23514) or a NOT NULL it breaks (23502). A unique violation (23505) is not one: it guards
// exactly-once, and the batch must roll back.
bool is_row_rejection(const pqxx::sql_error& error) {
    return dynamic_cast<const pqxx::data_exception*>(&error) != nullptr ||
           dynamic_cast<const pqxx::check_violation*>(&error) != nullptr ||
           dynamic_cast<const pqxx::not_null_violation*>(&error) != nullptr;
}

// One staging table's rows into write.
void write_kind(pqxx::dbtransaction& tx, events::EventKind kind, const StagingRows& rows,
                std::string_view consumer, StagingWrite& write) {
    const std::vector<std::string_view> lines = rows.rows_in_partition_order();
    RowBisection bisection(lines.size());
    std::string first_error;
    while (!bisection.done()) {
        const RowRange range = bisection.next();
        try {
            pqxx::subtransaction attempt(tx, "staging_rows");
            copy_lines(attempt, kind, std::span(lines).subspan(range.begin, range.size()));
            attempt.commit();
            bisection.written();
            write.rows[events::kind_index(kind)] += range.size();
        } catch (const pqxx::sql_error& error) {
            if (!is_row_rejection(error)) {
                throw;
            }
            // The subtransaction rolled back to its savepoint as it went out of scope: the
            // rows written before it stay, and tx goes on.
            const std::string message = error_message(error);
            if (first_error.empty()) {
                first_error = message;
            }
            if (const std::optional<size_t> row = bisection.rejected()) {
                // PostgreSQL refused the payload, so the dead letter keeps it as raw bytes.
                const StagingRow rejected = decode_staging_row(lines[*row]);
                append_dead_letter_row(
                    write.dead_letters, consumer, rejected.origin(), rejected.payload,
                    events::reason_name(events::BadReason::rejected_by_postgres), message);
                ++write.rejected;
            }
        }
    }
    write.copy_statements += bisection.statements();
    if (bisection.statements() > 1 || !bisection.rejected_rows().empty()) {
        obs::log_warning(
            "PostgreSQL rejected a COPY into staging; its rows went again in halves: each it "
            "rejected alone is a dead letter (reason rejected_by_postgres), the others went in",
            {{"table", staging_table(kind)},
             {"rows", std::to_string(lines.size())},
             {"rejected", std::to_string(bisection.rejected_rows().size())},
             {"copy_statements", std::to_string(bisection.statements())},
             {"error", first_error}});
    }
}

}  // namespace

StagingWrite write_staging_rows(pqxx::dbtransaction& tx, const StagingBatch& rows,
                                std::string_view consumer) {
    StagingWrite write;
    for (const events::EventKind kind : events::all_event_kinds) {
        const StagingRows& kind_rows = rows[events::kind_index(kind)];
        if (!kind_rows.empty()) {
            write_kind(tx, kind, kind_rows, consumer, write);
        }
    }
    return write;
}

void copy_staging_rows(pqxx::transaction_base& tx, events::EventKind kind,
                       const StagingRows& rows) {
    copy_lines(tx, kind, rows.rows_in_partition_order());
}

}  // namespace pinpipe::pg
