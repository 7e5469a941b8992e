#include "ops/dead_letters.hpp"

#include <fmt/format.h>

#include <cctype>

#include "pg/copy_encoding.hpp"
#include "util/errors.hpp"

namespace pinpipe::ops {
namespace {

constexpr std::string_view unknown_topic_reason = "unknown_topic";

std::optional<std::string> age_interval(std::string_view text) {
    if (text.size() < 2) {
        return std::nullopt;
    }
    const std::string_view number = text.substr(0, text.size() - 1);
    for (const char c : number) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            return std::nullopt;
        }
    }
    const char* unit = nullptr;
    switch (text.back()) {
        case 's':
            unit = "seconds";
            break;
        case 'm':
            unit = "minutes";
            break;
        case 'h':
            unit = "hours";
            break;
        case 'd':
            unit = "days";
            break;
        case 'w':
            unit = "weeks";
            break;
        default:
            return std::nullopt;
    }
    return fmt::format("{} {}", number, unit);
}

}  // namespace

TimeBound parse_time_bound(std::string_view option, std::string_view text) {
    if (text.empty()) {
        throw UsageError(fmt::format(
            "{} needs a time: a timestamp such as 2024-05-01 or an age such as 30m, 12h, 7d",
            option));
    }
    if (const auto interval = age_interval(text)) {
        return {TimeBound::Kind::age, *interval};
    }
    return {TimeBound::Kind::absolute, std::string(text)};
}

std::vector<std::string> known_reasons() {
    std::vector<std::string> reasons;
    for (auto reason = static_cast<int>(events::BadReason::empty);
         reason <= static_cast<int>(events::BadReason::rejected_by_postgres); ++reason) {
        reasons.emplace_back(events::reason_name(static_cast<events::BadReason>(reason)));
    }
    return reasons;
}

std::string time_bound_sql(const TimeBound& bound, size_t param_number) {
    return bound.kind == TimeBound::Kind::age ? fmt::format("(now() - ${}::interval)", param_number)
                                              : fmt::format("${}::timestamptz", param_number);
}

SqlCondition filter_condition(const DeadLetterFilter& filter) {
    SqlCondition condition;
    std::vector<std::string> terms;
    auto add = [&](std::string_view column, const std::optional<std::string>& value) {
        if (value) {
            condition.params.push_back(*value);
            terms.push_back(fmt::format("d.{} = ${}", column, condition.params.size()));
        }
    };
    add("consumer", filter.consumer);
    add("topic", filter.topic);
    add("reason", filter.reason);
    if (filter.failed_since) {
        condition.params.push_back(filter.failed_since->value);
        terms.push_back("d.failed_at >= " +
                        time_bound_sql(*filter.failed_since, condition.params.size()));
    }
    if (filter.failed_before) {
        condition.params.push_back(filter.failed_before->value);
        terms.push_back("d.failed_at < " +
                        time_bound_sql(*filter.failed_before, condition.params.size()));
    }
    condition.sql = terms.empty() ? "TRUE" : fmt::format("{}", fmt::join(terms, " AND "));
    return condition;
}

std::optional<events::EventKind> kind_of_topic(std::string_view topic) {
    const size_t dot = topic.rfind('.');
    if (dot == std::string_view::npos) {
        return std::nullopt;
    }
    return events::kind_from_name(topic.substr(dot + 1));
}

ReplayPlan plan_replay(const std::vector<DeadLetter>& letters, events::EventValidator& validator) {
    ReplayPlan plan;
    for (const DeadLetter& letter : letters) {
        if (letter.already_staged) {
            plan.already_staged.push_back(letter.id);
            continue;
        }
        const std::optional<events::EventKind> kind = kind_of_topic(letter.topic);
        if (!kind) {
            ++plan.still_bad[std::string(unknown_topic_reason)];
            continue;
        }
        const events::Verdict verdict =
            letter.payload
                ? validator.validate(*kind, letter.payload->data(), letter.payload->size())
                : validator.validate(*kind, nullptr, 0);
        if (!verdict.ok) {
            ++plan.still_bad[std::string(events::reason_name(verdict.reason))];
            continue;
        }
        const events::MessageOrigin at{
            letter.topic, letter.partition, letter.offset, letter.timestamp_ms,
            letter.key ? std::optional<std::string_view>(*letter.key) : std::nullopt};
        plan.rows[events::kind_index(*kind)].append(at, *letter.payload);
        plan.moved_ids.push_back(letter.id);
    }
    return plan;
}

}  // namespace pinpipe::ops
