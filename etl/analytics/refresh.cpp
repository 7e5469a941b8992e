// Refreshing analytics.*_mv: catalog reading, ordering (pure), and the refresh loop.
#include "analytics/refresh.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>

#include "obs/log.hpp"

namespace pinpipe::analytics {
namespace {

// One key for every pinpipe process, derived from a readable name as the offset store does.
constexpr const char* refresh_lock_name = "pinpipe/refresh";

// Materialized views of schema analytics, whether populated, whether CONCURRENTLY can use one of
// their indexes, and the materialized views each one reads: the relations its _RETURN rule
// references, followed through plain views (a view's own rule references the view itself, which
// is skipped), keeping the materialized ones.
constexpr const char* catalog_sql = R"(
WITH RECURSIVE mv AS (
    SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, c.relispopulated
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = 'analytics' AND c.relkind = 'm'
), reads (root, rel) AS (
    SELECT mv.oid, d.refobjid
    FROM mv
    JOIN pg_catalog.pg_rewrite AS r ON r.ev_class = mv.oid
    JOIN pg_catalog.pg_depend AS d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> mv.oid
    UNION
    SELECT reads.root, d.refobjid
    FROM reads
    JOIN pg_catalog.pg_class AS v ON v.oid = reads.rel AND v.relkind = 'v'
    JOIN pg_catalog.pg_rewrite AS r ON r.ev_class = v.oid
    JOIN pg_catalog.pg_depend AS d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> v.oid
)
SELECT mv.name,
       mv.relispopulated,
       EXISTS (SELECT FROM pg_catalog.pg_index AS i
               WHERE i.indrelid = mv.oid AND i.indisunique AND i.indisvalid
                 AND i.indpred IS NULL AND i.indexprs IS NULL) AS has_unique_index,
       coalesce((SELECT string_agg(dep.name, ',' ORDER BY dep.name)
                 FROM reads JOIN mv AS dep ON dep.oid = reads.rel
                 WHERE reads.root = mv.oid AND dep.oid <> mv.oid), '') AS depends_on
FROM mv
ORDER BY mv.name
)";

std::vector<std::string> split_names(std::string_view list) {
    std::vector<std::string> names;
    while (!list.empty()) {
        const size_t comma = list.find(',');
        names.emplace_back(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return names;
}

// Session-level advisory lock held for the lifetime of this object.
class RefreshLock {
  public:
    explicit RefreshLock(pg::Connection& cx) : m_cx(cx) {
        if (m_cx.exec("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", {refresh_lock_name})
                .get(0, 0) != "t") {
            obs::log_info("another pinpipe refresh is running: waiting for it to finish");
            m_cx.exec("SELECT pg_advisory_lock(hashtextextended($1, 0))", {refresh_lock_name});
        }
    }
    ~RefreshLock() {
        try {
            m_cx.exec("SELECT pg_advisory_unlock(hashtextextended($1, 0))", {refresh_lock_name});
        } catch (const pg::Error&) {
            // The session is gone, and its lock with it.
        }
    }
    RefreshLock(const RefreshLock&) = delete;
    RefreshLock& operator=(const RefreshLock&) = delete;

  private:
    pg::Connection& m_cx;
};

}  // namespace

RefreshMode refresh_mode(const MaterializedView& view) {
    return view.populated && view.has_unique_index ? RefreshMode::concurrent : RefreshMode::plain;
}

std::vector<MaterializedView> refresh_order(std::vector<MaterializedView> views) {
    std::set<std::string> known;
    for (const MaterializedView& view : views) {
        known.insert(view.name);
    }
    // Kahn's algorithm, always taking the first ready view in input order: stable and O(n^2),
    // which is nothing for the dozen views there are.
    std::vector<MaterializedView> ordered;
    std::set<std::string> done;
    while (!views.empty()) {
        const auto ready = std::find_if(views.begin(), views.end(), [&](const auto& view) {
            return std::all_of(view.depends_on.begin(), view.depends_on.end(),
                               [&](const std::string& dependency) {
                                   return !known.contains(dependency) ||
                                          done.contains(dependency) || dependency == view.name;
                               });
        });
        if (ready == views.end()) {
            throw std::invalid_argument(
                fmt::format("materialized views depend on each other in a cycle (starting at {})",
                            views.front().name));
        }
        done.insert(ready->name);
        ordered.push_back(std::move(*ready));
        views.erase(ready);
    }
    return ordered;
}

std::vector<MaterializedView> analytics_materialized_views(pg::Connection& cx) {
    const pg::Result rows = cx.exec(catalog_sql);
    std::vector<MaterializedView> views;
    for (int row = 0; row < rows.rows(); ++row) {
        views.push_back({std::string(rows.get(row, 0)), rows.get(row, 1) == "t",
                         rows.get(row, 2) == "t", split_names(rows.get(row, 3))});
    }
    return views;
}

std::vector<RefreshTiming> refresh_materialized_views(
    pg::Connection& cx, const std::function<void(const RefreshTiming&)>& on_refreshed) {
    const RefreshLock lock(cx);
    // Read under the lock: a refresh that ran meanwhile may have populated views.
    const std::vector<MaterializedView> views = refresh_order(analytics_materialized_views(cx));
    std::vector<RefreshTiming> timings;
    for (const MaterializedView& view : views) {
        RefreshTiming timing{view.name, refresh_mode(view), 0};
        const auto started = std::chrono::steady_clock::now();
        try {
            pg::Transaction tx(cx);
            // JIT compiling these plans costs 0.3-0.8 s per view and gains nothing: the work is
            // in index scans, joins and sorts, not in expression evaluation.
            cx.exec("SET LOCAL jit = off");
            cx.exec(fmt::format("REFRESH MATERIALIZED VIEW {}{}",
                                timing.mode == RefreshMode::concurrent ? "CONCURRENTLY " : "",
                                view.name));
            tx.commit();
        } catch (const pg::Error& error) {
            const bool not_owner = error.sqlstate() == "42501";
            throw pg::Error(
                fmt::format("could not refresh materialized view {}: {}{}", view.name, error.what(),
                            not_owner ? " (run pinpipe refresh as the role that ran pinpipe "
                                        "migrate: only the owner may refresh)"
                                      : ""),
                error.sqlstate(), error.connection_lost());
        }
        timing.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (on_refreshed) {
            on_refreshed(timing);
        }
        timings.push_back(std::move(timing));
    }
    return timings;
}

}  // namespace pinpipe::analytics
