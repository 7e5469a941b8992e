// pinpipe demo: parses its options and runs demo/demo.hpp.
#include <fmt/format.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "demo/demo.hpp"
#include "util/signals.hpp"

namespace pinpipe::cli {

int demo_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "Run the whole pipeline on embedded defaults: a private PostgreSQL cluster under "
        "./.pinpipe and an in-process mock Kafka cluster; emulate events while load --follow "
        "and stream consume them, verify the analytics, print the answers. Each run starts "
        "from an empty `pinpipe` database. PostgreSQL keeps running for ad-hoc queries until "
        "pinpipe demo --stop.");
    add_logging_options(options);
    const demo::DemoOptions defaults;
    options.add_options()(
        "events", "events to emulate (each a pin, a geo and a user message)",
        cxxopts::value<int64_t>()->default_value(std::to_string(defaults.events)))(
        "rate", "events per second (0: as fast as possible)",
        cxxopts::value<double>()->default_value(fmt::format("{}", defaults.rate)))(
        "seed", "seed of the emulated events",
        cxxopts::value<uint64_t>()->default_value(std::to_string(defaults.seed)))(
        "stop", "stop the demo's PostgreSQL cluster and exit")(
        "pg-port", "port of the demo's PostgreSQL socket",
        cxxopts::value<int>()->default_value(std::to_string(defaults.pg_port)));
    const auto result = parse_options(options, args);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    if (result->count("stop")) {
        demo::stop_demo();
        std::cout << "stopped the demo PostgreSQL cluster in " << demo::demo_directory().string()
                  << "\n";
        return 0;
    }
    demo::DemoOptions demo_options;
    demo_options.events = (*result)["events"].as<int64_t>();
    demo_options.rate = (*result)["rate"].as<double>();
    demo_options.seed = (*result)["seed"].as<uint64_t>();
    demo_options.pg_port = (*result)["pg-port"].as<int>();
    demo::check_options(demo_options);
    util::install_stop_signal_handlers();

    const std::string dsn = demo::run_demo(demo_options);
    std::cout << fmt::format(
        "\nPostgreSQL keeps running for ad-hoc queries (try psql -f "
        "sql/top_category_per_year.sql):\n"
        "    psql \"{}\"\nStop it with: pinpipe demo --stop\n",
        dsn);
    return 0;
}

}  // namespace pinpipe::cli
