// pinpipe refresh: refreshes the materialized analytics views (analytics.*_mv), DESIGN §5.
#include <fmt/format.h>

#include <iostream>

#include "analytics/refresh.hpp"
#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "pg/connection.hpp"

namespace pinpipe::cli {

void refresh_analytics(const std::string& dsn) {
    pg::Connection cx = pg::Connection::open(dsn, "pinpipe-refresh");
    double total_seconds = 0;
    const auto timings =
        analytics::refresh_materialized_views(cx, [&](const analytics::RefreshTiming& timing) {
            total_seconds += timing.seconds;
            std::cout << fmt::format("refreshed {} {}in {:.3f} s\n", timing.view,
                                     timing.mode == analytics::RefreshMode::concurrent
                                         ? "concurrently "
                                         : "",
                                     timing.seconds)
                      << std::flush;
        });
    std::cout << fmt::format("refresh: {} materialized views in {:.3f} s\n", timings.size(),
                             total_seconds);
}

int refresh_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Refresh every materialized view of schema analytics (the *_mv twins of the analytics "
        "views) in dependency order, under an advisory lock (a second refresh waits for the "
        "first). Populated views are refreshed CONCURRENTLY, so readers are never blocked; a "
        "view never populated gets a plain refresh. Prints one line per view with its time. "
        "Run it as the role that ran pinpipe migrate: only a view's owner may refresh it.");
    add_connection_options(options);
    add_logging_options(options);
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const ConnectionSettings settings = connection_settings(*result);

    refresh_analytics(settings.dsn);
    return 0;
}

}  // namespace pinpipe::cli
