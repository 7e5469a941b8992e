// pinpipe import FILE...: events from files (newline-delimited JSON, or the seeds' one event
// per file) into staging, exactly once per file content, with dead letters for bad records.
#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "obs/progress.hpp"
#include "ops/import_plan.hpp"
#include "ops/import_store.hpp"
#include "pg/connection.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {

int import_command(const Args& args) {
    cxxopts::Options options(
        args.at(0) + " FILE...",
        "Import events from files into staging.pin_events, geo_events and user_events (and so "
        "into clean.* and the analytics): newline-delimited JSON, one event per line, or one "
        "JSON event per file as the seeds write them (events/event-<id>.json). An event is a "
        "pin, geo or user object (told apart by its fields, or all of --kind) or "
        "{\"pin\":{…},\"geo\":{…},\"user\":{…}}. Each file is one transaction and is imported "
        "once per content (etl.imported_files, by SHA-256): importing it again changes nothing. "
        "Bad records go to etl.dead_letters (group pinpipe-import) with their line number as "
        "offset. Rows are stamped with the import's time as their Kafka timestamp.");
    add_connection_options(options);
    add_logging_options(options);
    add_progress_options(options);
    add_lock_timeout_option(options);
    options.add_options()("kind", "every record is of this kind: pin, geo or user",
                          cxxopts::value<std::string>()->default_value(""))(
        "max-message-bytes", "larger records are dead letters (reason too_large)",
        cxxopts::value<size_t>()->default_value(
            std::to_string(events::EventValidator::default_max_message_bytes)));
    const auto result =
        parse_options(options, args, /*allowed_positionals=*/std::numeric_limits<size_t>::max());
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const std::vector<std::string>& files = result->unmatched();
    if (files.empty()) {
        throw UsageError("name the files to import: pinpipe import FILE...");
    }
    const std::string kind_name = (*result)["kind"].as<std::string>();
    std::optional<events::EventKind> kind;
    if (!kind_name.empty()) {
        kind = events::kind_from_name(kind_name);
        if (!kind) {
            throw UsageError(
                fmt::format("invalid --kind \"{}\" (use pin, geo or user)", kind_name));
        }
    }
    const size_t max_message_bytes = (*result)["max-message-bytes"].as<size_t>();
    if (max_message_bytes == 0) {
        throw UsageError("--max-message-bytes must be positive");
    }
    const std::chrono::milliseconds wait_bound = lock_timeout(*result);
    const ConnectionSettings settings = connection_settings(*result);
    pg::Connection cx(settings.dsn, "pinpipe-import");

    uint64_t imported = 0;
    uint64_t skipped = 0;
    std::array<uint64_t, 3> rows{};
    uint64_t dead_letters = 0;
    obs::ProgressLine progress(progress_wanted(*result), std::cerr, obs::stderr_width());
    // Sizes only for the status line: a file that cannot be read counts 0 here and fails in
    // import_file with the reason.
    std::vector<uint64_t> sizes;
    uint64_t total_bytes = 0;
    for (const std::string& file : files) {
        std::error_code error;
        const uintmax_t size = std::filesystem::file_size(file, error);
        sizes.push_back(error ? 0 : static_cast<uint64_t>(size));
        total_bytes += sizes.back();
    }
    uint64_t bytes_done = 0;
    for (size_t index = 0; index < files.size(); ++index) {
        const std::string& file = files[index];
        if (progress.enabled()) {
            obs::ProgressFigures figures;
            figures.label = "import";
            figures.unit = "bytes";
            figures.done = bytes_done;
            figures.total = total_bytes;
            figures.extra = fmt::format("file {} of {}", index + 1, files.size());
            progress.show(figures);
        }
        const ops::ImportOutcome outcome =
            ops::import_file(cx, file, kind, max_message_bytes, wait_bound);
        bytes_done += sizes[index];
        // Each file's line goes to stdout on the same terminal: the status line makes way.
        progress.finish();
        if (outcome.already_imported) {
            ++skipped;
            std::cout << fmt::format("{}: already imported (sha256 {}), skipped", file,
                                     outcome.content_sha256)
                      << std::endl;
            continue;
        }
        ++imported;
        for (size_t i = 0; i < rows.size(); ++i) {
            rows[i] += outcome.rows[i];
        }
        dead_letters += outcome.dead_letters;
        std::cout << fmt::format("{}: {} pin, {} geo, {} user rows, {} dead letters", file,
                                 outcome.rows[0], outcome.rows[1], outcome.rows[2],
                                 outcome.dead_letters)
                  << std::endl;
    }
    std::cout << fmt::format(
                     "import: {} files imported, {} already imported; {} pin, {} geo, {} user "
                     "rows, {} dead letters",
                     imported, skipped, rows[0], rows[1], rows[2], dead_letters)
              << std::endl;
    return 0;
}

}  // namespace pinpipe::cli
