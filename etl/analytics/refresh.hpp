// Refreshing the materialized twins of the analytics views (analytics.*_mv): in dependency
// order, under one advisory lock so that overlapping runs (cron, `load --refresh`) queue up
// instead of refreshing the same views twice at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace pinpipe::analytics {

// A materialized view as the catalog describes it.
struct MaterializedView {
    std::string
        name;  // schema-qualified and quoted as needed, e.g. analytics.users_joined_per_year_mv
    bool populated = false;
    bool has_unique_index = false;        // a unique index on plain columns, without WHERE
    std::vector<std::string> depends_on;  // other materialized views it reads, through views too
};

enum class RefreshMode { concurrent, plain };

// CONCURRENTLY (readers keep reading the old rows meanwhile) needs a populated view and a unique
// index on plain columns; otherwise a plain refresh, which locks readers out while it runs.
RefreshMode refresh_mode(const MaterializedView& view);

// Views ordered so that each comes after every view it depends on; among independent views the
// catalog order (by name) is kept. Dependencies on views outside the list are ignored. Throws
// std::invalid_argument on a cycle (which PostgreSQL itself cannot create).
std::vector<MaterializedView> refresh_order(std::vector<MaterializedView> views);

struct RefreshTiming {
    std::string view;
    RefreshMode mode = RefreshMode::plain;
    double seconds = 0;
};

// Every materialized view of schema analytics with its dependencies, from the catalog.
std::vector<MaterializedView> analytics_materialized_views(pg::Connection& cx);

// Refreshes every materialized view of schema analytics in dependency order, each in its own
// transaction, holding the session advisory lock "pinpipe/refresh" meanwhile (waits for a refresh
// that holds it). Calls on_refreshed after each view; returns the timings in refresh order.
// Throws pg::Error naming the view when one fails (the views before it stay refreshed).
// cx must not be inside a transaction, and its role must own the views (the migrating role).
std::vector<RefreshTiming> refresh_materialized_views(
    pg::Connection& cx, const std::function<void(const RefreshTiming&)>& on_refreshed = {});

}  // namespace pinpipe::analytics
