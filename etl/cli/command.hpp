// The dispatch table: one entry per subcommand, each defined in its own file (cxxopts has no
// subcommands, so each command parses its own options).
#pragma once

#include <cxxopts.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::cli {

// args[0] is "pinpipe <command>", the rest are the command's own arguments.
using Args = std::vector<std::string>;

struct Command {
    std::string_view name;
    std::string_view summary;
    int (*run)(const Args& args);
};

std::span<const Command> commands();
const Command* find_command(std::string_view name);
std::string top_level_help();

// Parses args with options; prints the help and returns nullopt for --help; throws UsageError
// for anything cxxopts rejects and for positional arguments beyond allowed_positionals.
std::optional<cxxopts::ParseResult> parse_options(cxxopts::Options& options, const Args& args,
                                                  size_t allowed_positionals = 0);

int migrate_command(const Args& args);
int broker_command(const Args& args);
int topics_command(const Args& args);
int demo_command(const Args& args);
int emulate_command(const Args& args);
int load_command(const Args& args);
int serve_command(const Args& args);
int stream_command(const Args& args);
int refresh_command(const Args& args);
int status_command(const Args& args);
int dlq_command(const Args& args);
int retention_command(const Args& args);
int failpoints_command(const Args& args);
int import_command(const Args& args);

}  // namespace pinpipe::cli
