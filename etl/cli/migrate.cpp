// pinpipe migrate [status]: applies the embedded (or --dir) migrations, versioned then
// repeatable, or lists their state.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "obs/progress.hpp"
#include "pg/connection.hpp"
#include "pg/migrations.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {
namespace {

pg::Migrations load_migrations(const std::string& directory) {
    return pg::parse_migrations(directory.empty() ? pg::embedded_migrations()
                                                  : pg::read_migration_directory(directory));
}

int print_status(pqxx::connection_base& cx, const pg::Migrations& migrations) {
    const pg::MigrationsStatus statuses = pg::migration_status(cx, migrations);
    std::cout << fmt::format("{:<7} {:<8} {:<19} {}\n", "version", "state", "applied_at", "file");
    bool drift = false;
    // "unknown" (a version only the database has) and a repeatable's "superseded" both say
    // this binary is older than the database: migrate refuses either.
    bool older = false;
    for (const pg::MigrationStatus& status : statuses.versioned) {
        std::cout << fmt::format(
            "{:04d}    {:<8} {:<19} {}\n", status.version, pg::state_name(status.state),
            status.applied_at.empty() ? "-" : status.applied_at, status.file_name);
        drift = drift || status.state == pg::MigrationState::changed;
        older = older || status.state == pg::MigrationState::unknown;
    }
    // Repeatables: "changed" is no drift but the next migrate's work (the file was edited).
    for (const pg::RepeatableStatus& status : statuses.repeatable) {
        std::cout << fmt::format("{:<7} {:<8} {:<19} {}\n", "R", pg::state_name(status.state),
                                 status.applied_at.empty() ? "-" : status.applied_at,
                                 status.file_name);
        older = older || status.state == pg::MigrationState::superseded;
    }
    if (drift) {
        throw std::runtime_error(
            "an applied migration was changed afterwards (see the rows marked changed): restore "
            "the file and add a new migration instead");
    }
    if (older) {
        throw std::runtime_error(
            "the database was migrated by a newer pinpipe (see the rows marked unknown or "
            "superseded): use the newer release");
    }
    return 0;
}

}  // namespace

int migrate_command(const Args& args) {
    cxxopts::Options options(args.at(0),
                             "Apply the SQL migrations, each in its own transaction, under an "
                             "advisory lock: the pending versioned ones (NNNN_name.sql) in "
                             "order, then the repeatable ones (R__name.sql) that are new or "
                             "changed, in name order.\n"
                             "  pinpipe migrate          apply what is pending\n"
                             "  pinpipe migrate status   list applied and pending");
    add_connection_options(options);
    add_logging_options(options);
    add_progress_options(options);
    options.add_options()("dir",
                          "read migrations from this directory instead of the ones built into "
                          "pinpipe",
                          cxxopts::value<std::string>()->default_value(""))(
        "out-of-order",
        "apply pending migrations numbered below one already applied (refused otherwise: they "
        "would run after changes they were not written against)");
    const auto result = parse_options(options, args, /*allowed_positionals=*/1);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const bool status_only = !result->unmatched().empty();
    if (status_only && result->unmatched().front() != "status") {
        throw UsageError(fmt::format("unknown subcommand \"{}\" (use: migrate [status])",
                                     result->unmatched().front()));
    }
    const ConnectionSettings settings = connection_settings(*result);
    const pg::Migrations migrations = load_migrations((*result)["dir"].as<std::string>());
    pg::Connection cx(settings.dsn, "pinpipe-migrate");
    if (status_only) {
        return print_status(cx, migrations);
    }
    obs::ProgressLine progress(progress_wanted(*result), std::cerr, obs::stderr_width());
    // The migration running now, for the ticker's thread: one can take minutes (an index on a
    // big table), with nothing else to show that it moves.
    struct Running {
        std::mutex mutex;
        std::string text;
        std::chrono::steady_clock::time_point started;
    } running;
    const auto running_line = [&running] {
        const std::lock_guard lock(running.mutex);
        return fmt::format(
            "{}, {} elapsed", running.text,
            obs::format_duration(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - running.started)
                    .count()));
    };
    std::optional<obs::ProgressTicker> ticker;
    pg::MigrationProgress report;
    report.applied = [&progress](const std::string& file_name, double seconds) {
        progress.write_line(std::cout, fmt::format("applied {} ({:.2f} s)", file_name, seconds));
    };
    report.started = [&](const std::string& file_name, size_t number, size_t count) {
        {
            const std::lock_guard lock(running.mutex);
            running.text = fmt::format("migrate: {} ({} of {})", file_name, number, count);
            running.started = std::chrono::steady_clock::now();
        }
        // Drawn now (the line made way for the last "applied"), then kept moving.
        progress.update(running_line());
        if (!ticker) {
            ticker.emplace(progress, running_line);
        }
    };
    const pg::AppliedMigrations applied = pg::apply_migrations(
        cx, migrations,
        result->count("out-of-order") > 0 ? pg::PendingOrder::out_of_order_allowed
                                          : pg::PendingOrder::in_order_only,
        report);
    ticker.reset();
    progress.finish();
    std::cout << fmt::format(
        "migrate: {} applied, {} already applied, schema at version {:04d}; {} repeatable "
        "applied, {} unchanged\n",
        applied.versioned.size(), migrations.versioned.size() - applied.versioned.size(),
        migrations.versioned.empty() ? 0 : migrations.versioned.back().version,
        applied.repeatable.size(), migrations.repeatable.size() - applied.repeatable.size());
    return 0;
}

}  // namespace pinpipe::cli
