// pinpipe dlq list|replay|purge: look at dead letters, move those that pass validation now
// (e.g. after raising the size limit) into staging, or delete them explicitly. Nothing is ever
// deleted without being loaded or explicitly purged.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "events/validation.hpp"
#include "ops/dead_letter_store.hpp"
#include "ops/dead_letters.hpp"
#include "ops/text_table.hpp"
#include "pg/connection.hpp"
#include "util/errors.hpp"
#include "util/thousands.hpp"

namespace pinpipe::cli {
namespace {

constexpr size_t default_list_limit = 50;
constexpr size_t error_excerpt_code_points = 70;
constexpr const char* default_replay_group = "pinpipe-load";

enum class Action { list, replay, purge };

Action parse_action(const cxxopts::ParseResult& result) {
    const std::string action = result.unmatched().empty() ? "" : result.unmatched().front();
    if (action == "list") {
        return Action::list;
    }
    if (action == "replay") {
        return Action::replay;
    }
    if (action == "purge") {
        return Action::purge;
    }
    throw UsageError(action.empty() ? "say what to do: dlq list, dlq replay or dlq purge"
                                    : fmt::format("unknown action \"{}\": use dlq list, dlq "
                                                  "replay or dlq purge",
                                                  action));
}

// Options that would silently do nothing for an action are refused instead.
void reject_inapplicable(const cxxopts::ParseResult& result, Action action) {
    struct Rule {
        const char* option;
        bool list, replay, purge;
        const char* hint;
    };
    constexpr Rule rules[] = {
        {"since", true, true, false, "purge takes --before"},
        {"until", true, true, false, "purge takes --before"},
        {"before", false, false, true, "list and replay take --until"},
        {"limit", true, true, false, "purge deletes every match; narrow it with filters"},
        {"max-message-bytes", false, true, false, "only replay validates"},
        {"lock-timeout-ms", false, true, false, "only replay writes staging"},
        {"dry-run", false, true, true, "list changes nothing anyway"},
    };
    for (const Rule& rule : rules) {
        const bool allowed = action == Action::list     ? rule.list
                             : action == Action::replay ? rule.replay
                                                        : rule.purge;
        if (!allowed && result.count(rule.option)) {
            throw UsageError(fmt::format("--{} does not apply to dlq {} ({})", rule.option,
                                         result.unmatched().front(), rule.hint));
        }
    }
}

std::optional<std::string> optional_string(const cxxopts::ParseResult& result, const char* name) {
    if (!result.count(name)) {
        return std::nullopt;
    }
    return result[name].as<std::string>();
}

ops::DeadLetterFilter read_filter(const cxxopts::ParseResult& result, Action action,
                                  const ConnectionSettings& settings) {
    ops::DeadLetterFilter filter;
    filter.consumer = optional_string(result, "group");
    if (action == Action::replay && !filter.consumer) {
        filter.consumer = default_replay_group;
    }
    filter.topic = optional_string(result, "topic");
    if (filter.topic && events::kind_from_name(*filter.topic)) {
        filter.topic = settings.topic(*filter.topic);  // "pin" means <prefix>.pin
    }
    filter.reason = optional_string(result, "reason");
    if (filter.reason) {
        const std::vector<std::string> reasons = ops::known_reasons();
        if (std::find(reasons.begin(), reasons.end(), *filter.reason) == reasons.end()) {
            throw UsageError(fmt::format("unknown --reason \"{}\" (one of: {})", *filter.reason,
                                         fmt::join(reasons, ", ")));
        }
    }
    if (const auto since = optional_string(result, "since")) {
        filter.failed_since = ops::parse_time_bound("--since", *since);
    }
    if (const auto until = optional_string(result, "until")) {
        filter.failed_before = ops::parse_time_bound("--until", *until);
    }
    if (const auto before = optional_string(result, "before")) {
        filter.failed_before = ops::parse_time_bound("--before", *before);
    }
    if (action == Action::purge && !filter.failed_before) {
        throw UsageError(
            "dlq purge needs --before TIME (e.g. --before 2024-05-01 or --before 30d); nothing "
            "was deleted");
    }
    return filter;
}

std::string dump(const nlohmann::ordered_json& doc) {
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::ordered_json optional_json(const std::optional<std::string>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

void print_list(const std::vector<ops::DeadLetterSummary>& letters, int64_t total, bool json) {
    if (json) {
        nlohmann::ordered_json doc;
        doc["total"] = total;
        doc["dead_letters"] = nlohmann::ordered_json::array();
        for (const ops::DeadLetterSummary& letter : letters) {
            doc["dead_letters"].push_back({
                {"id", letter.id},
                {"failed_at", letter.failed_at},
                {"consumer", letter.consumer},
                {"topic", letter.topic},
                {"partition", letter.partition},
                {"offset", letter.offset},
                {"kafka_timestamp", letter.kafka_timestamp.empty()
                                        ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(letter.kafka_timestamp)},
                {"key", optional_json(letter.key)},
                {"payload_bytes", letter.payload_bytes
                                      ? nlohmann::ordered_json(*letter.payload_bytes)
                                      : nlohmann::ordered_json(nullptr)},
                {"payload_preview", letter.payload_preview},
                {"reason", letter.reason},
                {"error", letter.error},
            });
        }
        std::cout << dump(doc) << std::endl;
        return;
    }
    ops::TextTable table;
    table.columns = {{"id", ops::Align::right},
                     {"failed at"},
                     {"consumer"},
                     {"topic"},
                     {"partition", ops::Align::right},
                     {"offset", ops::Align::right},
                     {"reason"},
                     {"bytes", ops::Align::right},
                     {"error"}};
    for (const ops::DeadLetterSummary& letter : letters) {
        table.rows.push_back(
            {std::to_string(letter.id), letter.failed_at, letter.consumer, letter.topic,
             std::to_string(letter.partition), std::to_string(letter.offset), letter.reason,
             letter.payload_bytes ? util::group_thousands(*letter.payload_bytes) : "null",
             ops::one_line_excerpt(letter.error, error_excerpt_code_points)});
    }
    if (!letters.empty()) {
        std::cout << ops::render_table(table);
    }
    std::cout << fmt::format("dlq list: {} of {} matching dead letters shown{}\n", letters.size(),
                             total,
                             static_cast<int64_t>(letters.size()) < total
                                 ? " (newest first; raise --limit, 0 for all)"
                                 : "")
              << std::flush;
}

void print_replay(const ops::ReplayOutcome& outcome, bool json) {
    if (json) {
        nlohmann::ordered_json doc;
        doc["dry_run"] = outcome.dry_run;
        doc["selected"] = outcome.selected;
        doc["moved"] = {{"pin", outcome.moved[0]},
                        {"geo", outcome.moved[1]},
                        {"user", outcome.moved[2]},
                        {"total", outcome.moved_total()}};
        doc["already_staged"] = outcome.already_staged;
        doc["still_bad"] = outcome.still_bad;
        std::cout << dump(doc) << std::endl;
        return;
    }
    int64_t still_bad = 0;
    std::vector<std::string> reasons;
    for (const auto& [reason, count] : outcome.still_bad) {
        still_bad += count;
        reasons.push_back(fmt::format("{} {}", reason, count));
    }
    std::cout << fmt::format(
                     "dlq replay{}: {} selected, {} {} to staging (pin {}, geo {}, user {}), {} "
                     "still bad{}{}",
                     outcome.dry_run ? " (dry run, nothing changed)" : "", outcome.selected,
                     outcome.moved_total(), outcome.dry_run ? "would move" : "moved",
                     outcome.moved[0], outcome.moved[1], outcome.moved[2], still_bad,
                     reasons.empty() ? "" : fmt::format(" ({})", fmt::join(reasons, ", ")),
                     outcome.already_staged > 0
                         ? fmt::format(", {} already in staging {}", outcome.already_staged,
                                       outcome.dry_run ? "would be removed" : "removed")
                         : "")
              << std::endl;
}

}  // namespace

int dlq_command(const Args& args) {
    cxxopts::Options options(
        args.at(0),
        "dlq list: show dead letters (etl.dead_letters), newest first: coordinates, reason, "
        "error, size.\n"
        "dlq replay: validate the selected dead letters of one group (--group, default "
        "pinpipe-load) again, with --max-message-bytes as the size limit, and in one "
        "transaction move those that pass into staging and delete them from etl.dead_letters; "
        "the others stay.\n"
        "dlq purge --before TIME: delete the dead letters that failed before TIME (and match the "
        "filters); prints how many.\n"
        "TIME is a timestamp (2024-05-01, \"2024-05-01 10:00+02\") or an age (30m, 12h, 7d, "
        "2w).");
    options.custom_help("list|replay|purge [OPTION...]");
    add_connection_options(options);
    add_logging_options(options);
    add_lock_timeout_option(options);
    options.add_options("Filters")("topic",
                                   "only this topic (pin, geo, user mean <prefix>.pin ...)",
                                   cxxopts::value<std::string>())(
        "reason", "only this reason (too_large, invalid_json, ...)", cxxopts::value<std::string>())(
        "group", "only dead letters of this consumer group (replay: default pinpipe-load)",
        cxxopts::value<std::string>())("since", "list/replay: failed at or after TIME",
                                       cxxopts::value<std::string>())(
        "until", "list/replay: failed before TIME", cxxopts::value<std::string>())(
        "before", "purge: failed before TIME (required)", cxxopts::value<std::string>())(
        "limit", "list: at most N (default 50), replay: the oldest N (default all); 0: all",
        cxxopts::value<size_t>());
    options.add_options()("json", "print JSON")(
        "max-message-bytes", "replay: larger messages are still too_large",
        cxxopts::value<size_t>()->default_value(
            std::to_string(events::EventValidator::default_max_message_bytes)))(
        "dry-run", "replay/purge: report what would happen, change nothing");
    const auto result = parse_options(options, args, /*allowed_positionals=*/1);
    if (!result) {
        return 0;
    }
    apply_logging_options(*result);
    const Action action = parse_action(*result);
    reject_inapplicable(*result, action);
    // Dead letters live in Postgres only: no Kafka connection is needed, so brokers are not
    // required here.
    ConnectionSettings settings;
    settings.dsn = (*result)["dsn"].as<std::string>();
    settings.topic_prefix = resolve_topic_prefix((*result)["topic-prefix"].as<std::string>());
    const ops::DeadLetterFilter filter = read_filter(*result, action, settings);
    const bool json = result->count("json") > 0;
    const bool dry_run = result->count("dry-run") > 0;
    const size_t max_message_bytes = (*result)["max-message-bytes"].as<size_t>();
    if (max_message_bytes == 0) {
        throw UsageError("--max-message-bytes must be positive");
    }

    pg::Connection cx(settings.dsn, "pinpipe-dlq");
    if (filter.failed_since) {
        ops::check_time_bound(cx, "--since", *filter.failed_since);
    }
    if (filter.failed_before) {
        ops::check_time_bound(cx, action == Action::purge ? "--before" : "--until",
                              *filter.failed_before);
    }
    switch (action) {
        case Action::list: {
            const size_t limit =
                result->count("limit") ? (*result)["limit"].as<size_t>() : default_list_limit;
            const auto letters = ops::list_dead_letters(cx, filter, limit);
            print_list(letters, ops::count_dead_letters(cx, filter), json);
            break;
        }
        case Action::replay: {
            const size_t limit = result->count("limit") ? (*result)["limit"].as<size_t>() : 0;
            print_replay(ops::replay_dead_letters(cx, filter, limit, max_message_bytes, dry_run,
                                                  lock_timeout(*result)),
                         json);
            break;
        }
        case Action::purge: {
            const int64_t count = ops::purge_dead_letters(cx, filter, dry_run);
            const std::string before = (*result)["before"].as<std::string>();
            if (json) {
                std::cout << dump({{"dry_run", dry_run},
                                   {"purged", dry_run ? 0 : count},
                                   {"matching", count}})
                          << std::endl;
            } else {
                std::cout << fmt::format("dlq purge: {} {} dead letters that failed before {}",
                                         dry_run ? "would delete" : "deleted", count, before)
                          << (dry_run ? " (dry run, nothing changed)" : "") << std::endl;
            }
            break;
        }
    }
    return 0;
}

}  // namespace pinpipe::cli
