// The command-line contract of DESIGN §10 as scripts see it: help, exit codes, one-line errors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/command.hpp"
#include "support/harness.hpp"

namespace pinpipe {
namespace {

using testing::run_pinpipe;

TEST(Cli, HelpListsEveryCommand) {
    const auto help = run_pinpipe({"--help"});
    ASSERT_EQ(help.exit_code, 0);
    // The dispatch table is the list: a command added there and missing from --help fails here.
    for (const cli::Command& command : cli::commands()) {
        EXPECT_NE(help.output.find(fmt::format("  {} ", command.name)), std::string::npos)
            << command.name;
    }
    // And DESIGN §10's commands are all in the table.
    for (const char* name :
         {"migrate", "broker", "topics", "emulate", "load", "stream", "refresh", "serve", "status",
          "dlq", "import", "retention", "failpoints", "demo"}) {
        EXPECT_NE(help.output.find(fmt::format("  {} ", name)), std::string::npos) << name;
    }
}

TEST(Cli, EveryCommandHasHelp) {
    for (const cli::Command& command : cli::commands()) {
        const auto run = run_pinpipe({std::string(command.name), "--help"});
        // Commands not built yet exit 2 and say so; built ones print their options.
        if (run.exit_code == 2) {
            EXPECT_NE(run.output.find("not built yet"), std::string::npos) << command.name;
        } else {
            EXPECT_EQ(run.exit_code, 0) << command.name << ": " << run.output;
            EXPECT_NE(run.output.find("--help"), std::string::npos) << command.name;
        }
    }
}

TEST(Cli, EveryCommandTakesTheLoggingOptions) {
    for (const cli::Command& command : cli::commands()) {
        const auto run = run_pinpipe({std::string(command.name), "--log-format", "json",
                                      "--log-level", "warning", "--help"});
        EXPECT_EQ(run.exit_code, 0) << command.name << ": " << run.output;
    }
}

TEST(Cli, VersionPrintsOneLine) {
    const auto run = run_pinpipe({"--version"});
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_TRUE(run.output.starts_with("pinpipe ")) << run.output;
}

TEST(Cli, BadUsageExitsTwoWithOneLine) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"frobnicate"},
                                                 {"migrate", "--no-such-flag"},
                                                 {"topics", "list", "-X", "nonsense"},
                                                 {"migrate", "--log-format", "xml"},
                                                 {"emulate", "--rate", "-1"},
                                                 {"demo", "--seed", "-1"},
                                                 {"demo", "--rate", "1e-9"}}) {
        const auto run = run_pinpipe(args);
        EXPECT_EQ(run.exit_code, 2) << args.at(0) << ": " << run.output;
        EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
    }
}

TEST(Cli, NoArgumentsPrintsHelpAndExitsTwo) {
    const auto run = run_pinpipe({});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.output.find("Commands:"), std::string::npos);
}

TEST(Cli, KafkaCommandWithoutBrokerSaysHowToSetOne) {
    const auto run = run_pinpipe({"topics", "list"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.output.find("PINPIPE_BROKERS"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace pinpipe
