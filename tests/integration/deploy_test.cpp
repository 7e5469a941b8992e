// Static checks of the deployment files, since no Docker engine runs here (issue #7): the
// compose file parses, every pinpipe command line in it (and in the crontab, systemd units and
// Airflow DAG) is accepted by this binary's --help, the Dockerfile installs .ci/packages.txt,
// Prometheus scrapes the ports the services listen on, and the Grafana dashboard's SQL runs on
// the migrated schema. deploy_commands.py reads the YAML, shell and Python files.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "kafka/mock_cluster.hpp"
#include "pg/connection.hpp"
#include "pg/local_cluster.hpp"
#include "support/harness.hpp"
#include "util/process.hpp"

namespace pinpipe {
namespace {

namespace fs = std::filesystem;
using testing::run_pinpipe;

const fs::path source_dir = PINPIPE_SOURCE_DIR;

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The document deploy_commands.py writes, read once per test executable.
const nlohmann::json& deployment() {
    static const nlohmann::json document = [] {
        const fs::path output = pg::make_temp_directory("pinpipe-deploy-") / "deploy.json";
        const util::ProcessResult run = util::run_process(
            {"python3", (source_dir / "tests/integration/deploy_commands.py").string(),
             source_dir.string(), output.string()});
        if (run.exit_code != 0) {
            throw std::runtime_error("deploy_commands.py failed: " + run.output);
        }
        nlohmann::json parsed = nlohmann::json::parse(read_text(output));
        fs::remove_all(output.parent_path());
        return parsed;
    }();
    return document;
}

// The options a command's --help lists: long names, short letters, and which take a value.
struct HelpOptions {
    std::map<std::string, bool> takes_value;  // "--dsn" -> true, "-b" -> true, "--json" -> false
    std::string text;
};

HelpOptions parse_help(const std::string& help) {
    HelpOptions options;
    options.text = help;
    std::istringstream lines(help);
    std::string line;
    while (std::getline(lines, line)) {
        const size_t start = line.find_first_not_of(' ');
        if (start == std::string::npos || line[start] != '-') {
            continue;
        }
        // "  -b, --brokers arg       Kafka ..." : the option part ends at two spaces.
        const size_t end = line.find("  ", start);
        std::istringstream words(line.substr(start, end - start));
        std::vector<std::string> names;
        bool takes_value = false;
        std::string word;
        while (words >> word) {
            if (word.back() == ',') {
                word.pop_back();
            }
            if (word == "arg" || word.starts_with("[=arg")) {
                takes_value = true;
            } else if (word.starts_with("-")) {
                names.push_back(word);
            }
        }
        for (const std::string& name : names) {
            options.takes_value[name] = takes_value;
        }
    }
    return options;
}

bool contains_word(const std::string& text, const std::string& word) {
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
        const auto boundary = [](char c) {
            return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
        };
        const bool before = at == 0 || boundary(text[at - 1]);
        const bool after = at + word.size() == text.size() || boundary(text[at + word.size()]);
        if (before && after) {
            return true;
        }
    }
    return false;
}

// What is wrong with one pinpipe command line, judged by `pinpipe <command> --help`; empty
// when every option is listed there and every value is in place.
std::vector<std::string> command_line_problems(const std::vector<std::string>& argv,
                                               std::map<std::string, testing::PinpipeRun>& helps) {
    if (argv.empty()) {
        return {"pinpipe without a command"};
    }
    const std::string& command = argv[0];
    if (command == "--help" || command == "--version") {
        return {};
    }
    if (!helps.contains(command)) {
        helps.emplace(command, run_pinpipe({command, "--help"}));
    }
    const testing::PinpipeRun& help = helps.at(command);
    if (help.exit_code != 0) {
        return {fmt::format("pinpipe {} --help exits {}: {}", command, help.exit_code,
                            help.output.substr(0, help.output.find('\n')))};
    }
    const HelpOptions options = parse_help(help.output);
    std::vector<std::string> problems;
    for (size_t i = 1; i < argv.size(); ++i) {
        const std::string& arg = argv[i];
        if (arg.starts_with("--")) {
            const size_t equals = arg.find('=');
            const std::string name = arg.substr(0, equals);
            const auto found = options.takes_value.find(name);
            if (found == options.takes_value.end()) {
                problems.push_back(
                    fmt::format("pinpipe {} has no option {} (not in its --help)", command, name));
            } else if (found->second && equals == std::string::npos && ++i >= argv.size()) {
                problems.push_back(fmt::format("pinpipe {}: {} needs a value", command, name));
            } else if (!found->second && equals != std::string::npos) {
                problems.push_back(fmt::format("pinpipe {}: {} takes no value", command, name));
            }
        } else if (arg.starts_with("-") && arg.size() >= 2) {
            const std::string name = arg.substr(0, 2);
            const auto found = options.takes_value.find(name);
            if (found == options.takes_value.end()) {
                problems.push_back(
                    fmt::format("pinpipe {} has no option {} (not in its --help)", command, name));
            } else if (found->second && arg.size() == 2 && ++i >= argv.size()) {
                problems.push_back(fmt::format("pinpipe {}: {} needs a value", command, name));
            }
        } else if (!contains_word(help.output, arg)) {
            problems.push_back(fmt::format(
                "pinpipe {}: argument \"{}\" is not mentioned in its --help", command, arg));
        }
    }
    return problems;
}

std::string port_of(const std::string& address) {
    return address.substr(address.rfind(':') + 1);
}

// The value following option in a command's argv.
std::string option_value(const nlohmann::json& argv, const std::string& option) {
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == option) {
            return argv[i + 1];
        }
    }
    return {};
}

const nlohmann::json& command_from(const std::string& source) {
    for (const nlohmann::json& command : deployment().at("commands")) {
        if (command.at("source") == source) {
            return command.at("argv");
        }
    }
    throw std::runtime_error("no pinpipe command at " + source);
}

TEST(Deploy, FilesParseAndTheDockerfileInstallsTheCiPackages) {
    for (const nlohmann::json& problem : deployment().at("problems")) {
        ADD_FAILURE() << problem.get<std::string>();
    }
    const nlohmann::json& facts = deployment().at("facts");
    EXPECT_EQ(facts.at("dockerfile_from").at(0), "debian:bookworm");
}

TEST(HelpParsing, FindsLongShortAndValueTakingOptions) {
    const HelpOptions options = parse_help(
        "Usage:\n  pinpipe x [OPTION...]\n\n      --json          print JSON\n"
        "  -b, --brokers arg   Kafka\n  -X arg              override\n"
        "      --max-lag arg   exit 1 when\n                      more than this\n");
    EXPECT_EQ(options.takes_value.at("--json"), false);
    EXPECT_EQ(options.takes_value.at("--brokers"), true);
    EXPECT_EQ(options.takes_value.at("-b"), true);
    EXPECT_EQ(options.takes_value.at("-X"), true);
    EXPECT_EQ(options.takes_value.at("--max-lag"), true);
    EXPECT_FALSE(options.takes_value.contains("more"));
}

TEST(HelpParsing, NamesAnUnknownOptionAndAMissingValue) {
    std::map<std::string, testing::PinpipeRun> helps;
    EXPECT_TRUE(
        command_line_problems({"migrate", "--dsn", "x", "--log-format=json"}, helps).empty());
    const auto unknown = command_line_problems({"migrate", "--no-such-option"}, helps);
    ASSERT_EQ(unknown.size(), 1u);
    EXPECT_EQ(unknown[0], "pinpipe migrate has no option --no-such-option (not in its --help)");
    const auto missing = command_line_problems({"migrate", "--dsn"}, helps);
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0], "pinpipe migrate: --dsn needs a value");
    EXPECT_FALSE(command_line_problems({"topics", "frobnicate"}, helps).empty());
    EXPECT_TRUE(command_line_problems({"topics", "create", "--partitions", "3"}, helps).empty());
}

// Fails, naming file, command and option, until every command the deployment uses is built with
// the options the deployment passes (stream, serve, refresh and load --refresh land in other
// issues).
TEST(Deploy, EveryPinpipeCommandLineIsAcceptedByTheBinary) {
    std::map<std::string, testing::PinpipeRun> helps;
    const nlohmann::json& commands = deployment().at("commands");
    EXPECT_GE(commands.size(), 10u) << "the extraction found too few command lines";
    std::set<std::string> sources;
    for (const nlohmann::json& command : commands) {
        const std::string source = command.at("source");
        sources.insert(source.substr(0, source.find_first_of(":")));
        for (const std::string& problem :
             command_line_problems(command.at("argv").get<std::vector<std::string>>(), helps)) {
            ADD_FAILURE() << source << ": " << problem;
        }
    }
    for (const char* file :
         {"docker-compose.yml", "deploy/crontab.example", "deploy/systemd/pinpipe-stream.service",
          "deploy/systemd/pinpipe-serve.service", "deploy/systemd/pinpipe-retention.service",
          "deploy/airflow/pinpipe_dag.py"}) {
        EXPECT_TRUE(sources.contains(file)) << "no pinpipe command line found in " << file;
    }
}

TEST(Deploy, ComposeRunsTheWholePipeline) {
    const nlohmann::json& compose = deployment().at("facts").at("compose");
    const nlohmann::json& services = compose.at("services");
    for (const char* name : {"kafka", "postgres", "migrate", "topics", "serve", "stream", "loader",
                             "emulate", "prometheus", "grafana"}) {
        EXPECT_TRUE(services.contains(name)) << name;
    }
    EXPECT_TRUE(services.at("kafka").at("image").get<std::string>().starts_with("apache/kafka:"));
    EXPECT_NE(services.at("kafka")
                  .at("environment")
                  .at("KAFKA_PROCESS_ROLES")
                  .get<std::string>()
                  .find("controller"),
              std::string::npos)
        << "Kafka must run in KRaft mode";
    EXPECT_TRUE(services.at("postgres").at("image").get<std::string>().starts_with("postgres:15"));
    EXPECT_EQ(services.at("migrate").at("restart"), "no") << "migrate is one-shot";
    EXPECT_EQ(services.at("emulate").at("profiles"), nlohmann::json::array({"emulate"}));
    // Everything that reads or writes waits for the schema.
    for (const char* name : {"serve", "stream", "loader"}) {
        EXPECT_EQ(services.at(name).at("depends_on").at("migrate").at("condition"),
                  "service_completed_successfully")
            << name;
    }
    EXPECT_EQ(command_from("docker-compose.yml: services.loader.command").at(0), "load");
    EXPECT_EQ(command_from("docker-compose.yml: services.loader.command").at(1), "--refresh");
}

TEST(Deploy, PrometheusScrapesThePortsStreamAndServeListenOn) {
    const std::string metrics_port = port_of(option_value(
        command_from("docker-compose.yml: services.stream.command"), "--metrics-listen"));
    const std::string serve_port = port_of(
        option_value(command_from("docker-compose.yml: services.serve.command"), "--listen"));
    std::set<std::string> targets;
    for (const nlohmann::json& job :
         deployment().at("facts").at("prometheus").at("scrape_configs")) {
        for (const nlohmann::json& config : job.at("static_configs")) {
            for (const nlohmann::json& target : config.at("targets")) {
                targets.insert(target.get<std::string>());
            }
        }
    }
    EXPECT_TRUE(targets.contains("stream:" + metrics_port)) << metrics_port;
    EXPECT_TRUE(targets.contains("serve:" + serve_port)) << serve_port;
    EXPECT_TRUE(targets.contains("postgres-exporter:9187"));
}

// promtool lints the configuration with its rule files, then runs the alerts' unit tests
// (deploy/prometheus-alerts.test.yml: stale staging alerts only while events keep arriving).
TEST(Deploy, PromtoolAcceptsTheConfigurationAndTheAlertRules) {
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{"promtool", "check", "config", "deploy/prometheus.yml"},
          std::vector<std::string>{"promtool", "check", "rules", "deploy/prometheus-alerts.yml"},
          std::vector<std::string>{"promtool", "test", "rules",
                                   "deploy/prometheus-alerts.test.yml"}}) {
        const util::ProcessResult run = util::run_process(argv, source_dir);
        EXPECT_EQ(run.exit_code, 0) << fmt::format("{}", fmt::join(argv, " ")) << "\n"
                                    << run.output;
    }
    const std::string rules = read_text(source_dir / "deploy/prometheus-alerts.yml");
    for (const char* alert : {"PinpipeStreamLagHigh", "PinpipeBatchBehind", "PinpipeDeadLetters",
                              "PinpipeLoadFailed", "PostgresReplicationLag", "ExporterDown"}) {
        EXPECT_NE(rules.find(fmt::format("alert: {}\n", alert)), std::string::npos) << alert;
    }
}

// The exporter logs in as a reader (plus pg_monitor): its pinpipe queries must run as one.
TEST(Deploy, ExporterQueriesRunAsAReaderLogin) {
    // The roles exist once the first database of the cluster is migrated.
    const std::string owner_dsn = testing::migrated_database();
    pg::Connection cx(testing::dsn_as(owner_dsn, testing::create_reader_login()), "deploy");
    const nlohmann::json& queries = deployment().at("facts").at("exporter_queries");
    EXPECT_GE(queries.size(), 3u);
    for (const auto& [name, query] : queries.items()) {
        try {
            const pqxx::result result = testing::exec(cx, query.at("query").get<std::string>());
            EXPECT_EQ(static_cast<size_t>(result.columns()), query.at("metrics").size()) << name;
        } catch (const pqxx::sql_error& error) {
            ADD_FAILURE() << name << ": " << pg::error_message(error);
        }
    }
    const nlohmann::json& exporter =
        deployment().at("facts").at("compose").at("services").at("postgres-exporter");
    EXPECT_EQ(exporter.at("environment").at("DATA_SOURCE_USER"), "postgres_exporter");
}

// Issue #25: `docker compose up` on a machine with a public address publishes nothing a
// stranger can use.
TEST(Deploy, ComposePublishesEveryPortOnTheLoopbackOnly) {
    const nlohmann::json& services = deployment().at("facts").at("compose").at("services");
    size_t published = 0;
    for (const auto& [name, service] : services.items()) {
        if (!service.contains("ports")) {
            continue;
        }
        for (const nlohmann::json& port : service.at("ports")) {
            ++published;
            EXPECT_TRUE(port.is_string() && port.get<std::string>().starts_with("127.0.0.1:"))
                << name << ": " << port;
        }
    }
    EXPECT_GE(published, 4U) << "serve, PostgreSQL, Prometheus and Grafana on the loopback";
    EXPECT_FALSE(services.at("kafka").contains("ports"))
        << "Kafka's listeners have no authentication: inside the compose network only";
}

TEST(Deploy, ComposeGivesNoSecretADefault) {
    const std::string text = read_text(source_dir / "docker-compose.yml");
    // Any ${VAR:-default} or ${VAR-default} of a secret, wherever it is written.
    const std::regex defaulted(R"(\$\{[A-Z_]*(PASSWORD|PASS|API_KEY|SECRET)[A-Z_]*:?-)");
    for (std::sregex_iterator match(text.begin(), text.end(), defaulted), end; match != end;
         ++match) {
        ADD_FAILURE() << "a secret with a default value: " << match->str();
    }
    const nlohmann::json& services = deployment().at("facts").at("compose").at("services");
    const std::regex secret_name("PASSWORD|PASS$|API_KEY|SECRET");
    size_t secrets = 0;
    for (const auto& [name, service] : services.items()) {
        if (!service.contains("environment") || !service.at("environment").is_object()) {
            continue;
        }
        for (const auto& [variable, value] : service.at("environment").items()) {
            if (!std::regex_search(variable, secret_name)) {
                continue;
            }
            ++secrets;
            const std::string text_value = value.is_string() ? value.get<std::string>() : "";
            // Required from the environment (${VAR:?message}), or Grafana's $VAR reference.
            EXPECT_TRUE(text_value.starts_with("${") && text_value.find(":?") != std::string::npos)
                << name << "." << variable << " = " << value;
        }
    }
    EXPECT_GE(secrets, 8U);
}

TEST(Deploy, ComposeLogsInAsTheOwnerOnlyInItsOneShots) {
    const nlohmann::json& services = deployment().at("facts").at("compose").at("services");
    // The superuser owns the schema: only the one-shots that change it (and make logins) log in
    // as it; pinpipe-owner is the tool for retention and refresh --rebuild.
    const std::set<std::string> owner_services = {"migrate", "loader-login", "reader-logins",
                                                  "pinpipe-owner", "postgres"};
    for (const auto& [name, service] : services.items()) {
        if (!service.contains("environment") || !service.at("environment").is_object()) {
            continue;
        }
        const nlohmann::json& environment = service.at("environment");
        for (const char* variable : {"PGUSER", "POSTGRES_USER", "DATA_SOURCE_USER"}) {
            if (environment.contains(variable) && environment.at(variable) == "pinpipe") {
                EXPECT_TRUE(owner_services.contains(name)) << name << " logs in as the owner";
            }
        }
    }
    for (const char* name : {"loader", "stream", "status", "pinpipe", "emulate"}) {
        EXPECT_EQ(services.at(name).at("environment").at("PGUSER"), "pinpipe_load") << name;
    }
    const nlohmann::json& login = services.at("loader-login");
    EXPECT_NE(login.at("command").dump().find("create_loader_login.sql"), std::string::npos);
    EXPECT_EQ(services.at("loader").at("depends_on").at("loader-login").at("condition"),
              "service_completed_successfully");
}

// The login compose's loader-login one-shot makes (sql/create_loader_login.sql, as a DBA would
// run it) loads, refreshes and reports: what the loader service and its healthcheck run.
TEST(Deploy, TheLoaderLoginLoadsRefreshesAndReports) {
    const std::string owner_dsn = testing::migrated_database();
    const std::string login = testing::unique_name("loader_login");
    pg::LocalCluster& cluster = testing::test_cluster();
    const util::ProcessResult made = util::run_process(
        {"sh", "-c",
         "PINPIPE_LOGIN_PASSWORD=loader-secret psql -X -q -h \"$1\" -p \"$2\" -U postgres "
         "-d postgres -v login=\"$3\" -f \"$4\"",
         "psql", cluster.socket_directory().string(), std::to_string(cluster.port()), login,
         (source_dir / "sql/create_loader_login.sql").string()});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    const std::string dsn = testing::dsn_as(owner_dsn, login);
    kafka::MockCluster kafka_cluster;
    const std::string prefix = testing::unique_name("loaderlogin");
    for (const char* kind : {"pin", "geo", "user"}) {
        kafka_cluster.create_topic(prefix + "." + kind, 2);
    }
    const auto emulated = run_pinpipe({"emulate", "-b", kafka_cluster.bootstrap_servers(),
                                       "--topic-prefix", prefix, "--count", "20"});
    ASSERT_EQ(emulated.exit_code, 0) << emulated.output;
    const auto loaded =
        run_pinpipe({"load", "--refresh", "--dsn", dsn, "-b", kafka_cluster.bootstrap_servers(),
                     "--topic-prefix", prefix, "--group", "pinpipe-load"});
    EXPECT_EQ(loaded.exit_code, 0) << loaded.output;
    const auto status =
        run_pinpipe({"status", "--dsn", dsn, "-b", kafka_cluster.bootstrap_servers(),
                     "--topic-prefix", prefix, "--stream-group=", "--max-freshness-s", "900"});
    EXPECT_EQ(status.exit_code, 0) << status.output;
    // And it cannot change the schema.
    pg::Connection cx(dsn, "deploy");
    EXPECT_THROW(testing::exec(cx, "CREATE TABLE staging.not_mine (x int)"), pqxx::sql_error);
}

TEST(Deploy, ServeHasAKeyAndNoPostgresCredentials) {
    const nlohmann::json& serve = deployment().at("facts").at("compose").at("services").at("serve");
    for (const auto& [variable, value] : serve.at("environment").items()) {
        EXPECT_FALSE(variable.starts_with("PG")) << "serve gets " << variable;
    }
    EXPECT_NE(serve.at("environment").at("PINPIPE_API_KEY").get<std::string>().find(":?"),
              std::string::npos);
    // The systemd unit: its own environment file, with the key and without PostgreSQL.
    const std::string unit = read_text(source_dir / "deploy/systemd/pinpipe-serve.service");
    EXPECT_NE(unit.find("EnvironmentFile=/etc/pinpipe/serve.env\n"), std::string::npos);
    EXPECT_EQ(unit.find("pinpipe.env"), std::string::npos);
    EXPECT_NE(unit.find("RestartPreventExitStatus=2"), std::string::npos);
    const std::string serve_env = read_text(source_dir / "deploy/serve.env.example");
    EXPECT_NE(serve_env.find("\nPINPIPE_API_KEY="), std::string::npos);
    EXPECT_EQ(serve_env.find("\nPG"), std::string::npos);
    const std::string shared_env = read_text(source_dir / "deploy/pinpipe.env.example");
    EXPECT_EQ(shared_env.find("PINPIPE_API_KEY"), std::string::npos);
    EXPECT_EQ(shared_env.find("\nPGUSER=pinpipe\n"), std::string::npos);
    EXPECT_EQ(shared_env.find("PASSWORD"), std::string::npos);
}

TEST(Deploy, NoSecretIsOnACommandLine) {
    for (const nlohmann::json& command : deployment().at("commands")) {
        for (const nlohmann::json& word : command.at("argv")) {
            const std::string text = word.get<std::string>();
            EXPECT_FALSE(text.starts_with("--api-key") ||
                         text.find("password=") != std::string::npos ||
                         text.find("sasl.password") != std::string::npos)
                << command.at("source") << ": " << text;
        }
    }
}

nlohmann::json dashboard() {
    return nlohmann::json::parse(read_text(source_dir / "deploy/grafana/dashboards/pinpipe.json"));
}

TEST(Deploy, DashboardUsesTheProvisionedDatasourcesAndCoversTheIssue) {
    std::set<std::string> provisioned;
    for (const nlohmann::json& source : deployment().at("facts").at("grafana_datasources")) {
        provisioned.insert(source.at("uid").get<std::string>());
    }
    std::string titles;
    const nlohmann::json board = dashboard();
    for (const nlohmann::json& panel : board.at("panels")) {
        titles += panel.at("title").get<std::string>() + "\n";
        for (const nlohmann::json& target : panel.value("targets", nlohmann::json::array())) {
            EXPECT_TRUE(provisioned.contains(target.at("datasource").at("uid")))
                << panel.at("title") << " uses an unprovisioned datasource";
        }
    }
    for (const char* topic : {"Posts per minute", "lag", "Freshness", "Dead letters"}) {
        EXPECT_NE(titles.find(topic), std::string::npos) << topic << " missing from\n" << titles;
    }
}

// Grafana's macros as Grafana expands them, for a 6-hour range.
std::string expand_grafana_macros(std::string sql) {
    const auto replace_call = [&](const std::string& macro, auto expansion) {
        for (size_t at = sql.find(macro + "("); at != std::string::npos;
             at = sql.find(macro + "(")) {
            const size_t close = sql.find(')', at);
            const std::string inside =
                sql.substr(at + macro.size() + 1, close - at - macro.size() - 1);
            sql.replace(at, close - at + 1, expansion(inside.substr(0, inside.find(','))));
        }
    };
    replace_call("$__timeFilter", [](const std::string& column) {
        return column + " BETWEEN now() - interval '6 hours' AND now()";
    });
    replace_call("$__timeGroupAlias", [](const std::string& column) {
        return "date_trunc('hour', " + column + ") AS time";
    });
    return sql;
}

// As the reader login Grafana's datasource uses: a panel that reads staging or etl fails here.
TEST(Deploy, DashboardQueriesRunAsAReaderLoginOnTheMigratedSchema) {
    const std::string owner_dsn = testing::migrated_database();
    pg::Connection cx(testing::dsn_as(owner_dsn, testing::create_reader_login()), "deploy");
    int postgres_targets = 0;
    std::set<std::string> read;
    const nlohmann::json board = dashboard();
    for (const nlohmann::json& panel : board.at("panels")) {
        for (const nlohmann::json& target : panel.value("targets", nlohmann::json::array())) {
            if (target.at("datasource").at("type") != "postgres") {
                continue;
            }
            ++postgres_targets;
            const std::string sql = expand_grafana_macros(target.at("rawSql"));
            try {
                testing::exec(cx, sql);
            } catch (const pqxx::sql_error& error) {
                ADD_FAILURE() << panel.at("title") << ": " << pg::error_message(error) << "\n"
                              << sql;
            }
            for (size_t at = sql.find("FROM "); at != std::string::npos;
                 at = sql.find("FROM ", at + 1)) {
                read.insert(sql.substr(at + 5, sql.find_first_of(" \n", at + 5) - at - 5));
            }
        }
    }
    EXPECT_GE(postgres_targets, 15);
    for (const char* relation :
         {"analytics.top_category_per_country", "analytics.top_category_per_year",
          "analytics.most_followed_user_per_country", "analytics.country_with_most_followed_user",
          "analytics.top_category_per_age_group", "analytics.median_followers_per_age_group",
          "analytics.users_joined_per_year", "analytics.median_followers_per_join_year",
          "analytics.median_followers_per_join_year_and_age_group", "realtime.poster_popularity",
          "monitoring.freshness", "monitoring.consumer_progress", "monitoring.load_runs",
          "monitoring.dead_letters_per_reason"}) {
        EXPECT_TRUE(read.contains(relation)) << "no panel reads " << relation;
    }
}

TEST(Deploy, GrafanaLogsInAsAReaderLoginMadeByTheLoginScript) {
    std::string user;
    for (const nlohmann::json& source : deployment().at("facts").at("grafana_datasources")) {
        if (source.at("type") == "postgres") {
            user = source.at("user");
        }
    }
    EXPECT_NE(user, "pinpipe") << "Grafana must not log in as the owner of the schema";
    const nlohmann::json& services = deployment().at("facts").at("compose").at("services");
    const nlohmann::json& login = services.at("reader-logins");
    const std::string command = login.at("command").dump();
    EXPECT_NE(command.find("create_reader_login.sql"), std::string::npos) << command;
    EXPECT_NE(command.find("login=" + user), std::string::npos) << command;
    EXPECT_EQ(login.at("depends_on").at("migrate").at("condition"),
              "service_completed_successfully");
    EXPECT_EQ(services.at("grafana").at("depends_on").at("reader-logins").at("condition"),
              "service_completed_successfully");
}

TEST(Deploy, RuntimePackagesScriptFindsTheLibrariesTheBinaryLinks) {
    const util::ProcessResult run = util::run_process(
        {"bash", (source_dir / "deploy/runtime-packages.sh").string(), PINPIPE_BINARY});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    for (const char* package : {"libpq5", "librdkafka1", "libc6"}) {
        EXPECT_TRUE(contains_word(run.output, package)) << package << " missing:\n" << run.output;
    }
}

TEST(Deploy, SystemdUnitsVerify) {
    // .ci/packages.txt installs it: a missing one is a failure, never a quiet skip.
    ASSERT_EQ(util::run_process({"sh", "-c", "command -v systemd-analyze"}).exit_code, 0)
        << "systemd-analyze is not installed, so the units were NOT verified (Debian package "
           "systemd, listed in .ci/packages.txt: run .ci/install-deps)";
    // verify wants ExecStart's binary to exist: point the copies at the one just built.
    const fs::path directory = pg::make_temp_directory("pinpipe-units-");
    std::vector<std::string> argv = {"systemd-analyze", "verify", "--man=no"};
    for (const auto& entry : fs::directory_iterator(source_dir / "deploy/systemd")) {
        std::string unit = read_text(entry.path());
        for (size_t at = unit.find("/usr/local/bin/pinpipe"); at != std::string::npos;
             at = unit.find("/usr/local/bin/pinpipe", at + 1)) {
            unit.replace(at, std::string("/usr/local/bin/pinpipe").size(), PINPIPE_BINARY);
        }
        std::ofstream(directory / entry.path().filename()) << unit;
        argv.push_back((directory / entry.path().filename()).string());
    }
    const util::ProcessResult run = util::run_process(argv, directory);
    fs::remove_all(directory);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.output, "") << "systemd-analyze verify complained";
}

}  // namespace
}  // namespace pinpipe
