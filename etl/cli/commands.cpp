#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iostream>

#include "cli/command.hpp"
#include "util/errors.hpp"

namespace pinpipe::cli {
namespace {

constexpr std::array command_table = {
    Command{"migrate", "apply the SQL migrations (migrate status: list applied and pending)",
            migrate_command},
    Command{"broker", "run an embedded mock Kafka cluster for development and tests",
            broker_command},
    Command{"topics", "create or list the pin/geo/user topics on a real Kafka cluster",
            topics_command},
    Command{"emulate", "produce realistic pin/geo/user events", emulate_command},
    Command{"load", "load Kafka topics into the staging tables, exactly once", load_command},
    Command{"stream", "keep the realtime metric tables current, exactly once", stream_command},
    Command{"refresh", "verify (or rebuild) the live analytics answers", refresh_command},
    Command{"serve", "accept events over HTTP (Kafka REST Proxy v2 and Kinesis style)",
            serve_command},
    Command{"status", "show lag, freshness and recent load runs", status_command},
    Command{"dlq", "list, replay or purge dead letters", dlq_command},
    Command{"retention", "drop staging partitions older than --keep; make the next ones",
            retention_command},
    Command{"failpoints", "list the failpoints that PINPIPE_FAILPOINTS can arm",
            failpoints_command},
    Command{"import", "import events from JSON files into staging, once per file content",
            import_command},
    Command{"demo", "run the whole pipeline on a private Postgres and mock Kafka", demo_command},
};

}  // namespace

std::span<const Command> commands() {
    return command_table;
}

const Command* find_command(std::string_view name) {
    const auto found = std::find_if(command_table.begin(), command_table.end(),
                                    [&](const Command& command) { return command.name == name; });
    return found == command_table.end() ? nullptr : &*found;
}

std::string top_level_help() {
    std::string help =
        "pinpipe: Kafka to PostgreSQL ETL for pin, geolocation and user events\n\n"
        "Usage: pinpipe <command> [options]\n"
        "       pinpipe <command> --help     options of one command\n"
        "       pinpipe --version\n\nCommands:\n";
    for (const Command& command : command_table) {
        help += fmt::format("  {:<10} {}\n", command.name, command.summary);
    }
    help +=
        "\nConnections: --dsn or the libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER, "
        "PGSERVICE,\n~/.pgpass) for PostgreSQL; -b/--brokers or PINPIPE_BROKERS, -F FILE and -X "
        "key=value for Kafka.\nExit status: 0 success, 1 runtime failure, 2 bad usage.\n";
    return help;
}

std::optional<cxxopts::ParseResult> parse_options(cxxopts::Options& options, const Args& args,
                                                  size_t allowed_positionals) {
    options.add_options()("h,help", "show this help");
    std::vector<const char*> argv;
    for (const std::string& arg : args) {
        argv.push_back(arg.c_str());
    }
    try {
        cxxopts::ParseResult result = options.parse(static_cast<int>(argv.size()), argv.data());
        if (result.count("help")) {
            std::cout << options.help();
            return std::nullopt;
        }
        if (result.unmatched().size() > allowed_positionals) {
            throw UsageError(fmt::format("unexpected argument \"{}\" (see --help)",
                                         result.unmatched().at(allowed_positionals)));
        }
        return result;
    } catch (const cxxopts::exceptions::exception& error) {
        throw UsageError(fmt::format("{} (see --help)", error.what()));
    }
}

}  // namespace pinpipe::cli
