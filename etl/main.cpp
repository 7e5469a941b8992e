// Entry point: dispatches to a subcommand and alone decides the exit status (rule 4).
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/command.hpp"
#include "obs/failpoints.hpp"
#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "util/errors.hpp"
#include "util/version.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

}  // namespace

int main(int argc, char** argv) {
    using namespace std::string_literals;
    if (argc < 2 || argv[1] == "--help"s || argv[1] == "-h"s || argv[1] == "help"s) {
        std::cout << pinpipe::cli::top_level_help();
        return argc < 2 ? exit_usage : exit_ok;
    }
    if (argv[1] == "--version"s) {
        std::cout << "pinpipe " << pinpipe::version() << "\n";
        return exit_ok;
    }
    const pinpipe::cli::Command* command = pinpipe::cli::find_command(argv[1]);
    if (command == nullptr) {
        std::cerr << "pinpipe: unknown command \"" << argv[1] << "\" (see pinpipe --help)\n";
        return exit_usage;
    }
    pinpipe::cli::Args args = {"pinpipe "s + argv[1]};
    args.insert(args.end(), argv + 2, argv + argc);
    try {
        // Before any thread starts: the armed flags are read without synchronisation.
        pinpipe::obs::arm_failpoints_from_environment();
        return command->run(args);
    } catch (const pinpipe::UsageError& error) {
        std::cerr << "pinpipe " << command->name << ": " << error.what() << "\n";
        return exit_usage;
    } catch (const std::exception& error) {
        // PostgreSQL's errors in pinpipe's style: one line, the statement, the SQLSTATE.
        pinpipe::obs::log_error(pinpipe::pg::error_message(error),
                                {{"command", std::string(command->name)}});
        return exit_failure;
    }
}
