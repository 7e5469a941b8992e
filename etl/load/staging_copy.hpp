// Writing StagingRows into their staging table: shared by load, dlq replay and the analytics
// seeds, so that all of them store events the same way.
#pragma once

#include <pqxx/dbtransaction>

#include <string_view>

#include "events/validation.hpp"
#include "load/staging_rows.hpp"

namespace pinpipe::load {

// COPY ... FROM STDIN (pqxx::stream_to) into staging.<kind>_events, inside the caller's
// transaction (a pqxx::work or subtransaction): all of rows, in partition order, or one row.
// Throws libpqxx's exception classes, as its own statements do.
void copy_staging_rows(pqxx::dbtransaction& tx, events::EventKind kind, const StagingRows& rows);
void copy_staging_row(pqxx::dbtransaction& tx, events::EventKind kind, std::string_view row);

}  // namespace pinpipe::load
