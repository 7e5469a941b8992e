// Writing StagingRows into their staging table: shared by load, dlq replay and the analytics
// seeds, so that all of them store events the same way.
#pragma once

#include <string_view>

#include "events/validation.hpp"
#include "load/staging_rows.hpp"
#include "pg/connection.hpp"

namespace pinpipe::load {

// COPY ... (FORMAT binary) into staging.<kind>_events, inside the caller's transaction: all of
// rows, in partition order, or a single row of them.
void copy_staging_rows(pg::Connection& cx, events::EventKind kind, const StagingRows& rows);
void copy_staging_row(pg::Connection& cx, events::EventKind kind, std::string_view row);

}  // namespace pinpipe::load
