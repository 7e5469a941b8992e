#include "ops/status_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

#include "ops/text_table.hpp"
#include "util/thousands.hpp"

namespace pinpipe::ops {
namespace {

constexpr const char* not_deployed = "-";

bool group_deployed(const std::vector<PartitionStatus>& partitions, bool stream_group) {
    return std::any_of(partitions.begin(), partitions.end(), [&](const PartitionStatus& p) {
        return (stream_group ? p.stream : p.load).next_offset.has_value();
    });
}

std::vector<std::string> topics_in_order(const StatusReport& report) {
    std::vector<std::string> topics;
    for (const PartitionStatus& p : report.partitions) {
        if (std::find(topics.begin(), topics.end(), p.topic) == topics.end()) {
            topics.push_back(p.topic);
        }
    }
    return topics;
}

int64_t messages_held(const StatusReport& report, const std::string& topic) {
    int64_t held = 0;
    for (const PartitionStatus& p : report.partitions) {
        if (p.topic == topic) {
            held += p.high - p.low;
        }
    }
    return held;
}

std::string optional_number(const std::optional<int64_t>& value) {
    return value ? util::group_thousands(*value) : not_deployed;
}

constexpr const char* beyond_end_cell = "beyond end!";

std::string lag_cell(const PartitionStatus& p, const GroupPosition& position) {
    return offset_beyond_end(p.high, position.next_offset) ? beyond_end_cell
                                                           : optional_number(position.lag);
}

nlohmann::ordered_json optional_json(const std::optional<int64_t>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json optional_json(const std::optional<double>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json empty_as_null(const std::string& value) {
    return value.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(value);
}

std::string table_rows_cell(const TableRows& table) {
    return (table.exact ? "" : "~") + util::group_thousands(table.rows);
}

std::string human_bytes(int64_t bytes) {
    constexpr std::array units = {"B", "kB", "MB", "GB", "TB"};
    auto value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < units.size()) {
        value /= 1024;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

void append_partitions(std::string& out, const StatusReport& report) {
    out += "Kafka partitions (lag = messages the group has still to read)\n";
    TextTable table;
    table.columns = {
        {"topic"}, {"partition", Align::right}, {"low", Align::right}, {"high", Align::right}};
    const bool show_load = !report.load_group.empty();
    const bool show_stream = !report.stream_group.empty();
    if (show_load) {
        table.columns.push_back({report.load_group, Align::right});
        table.columns.push_back({"lag", Align::right});
    }
    if (show_stream) {
        table.columns.push_back({report.stream_group, Align::right});
        table.columns.push_back({"lag", Align::right});
    }
    for (const PartitionStatus& p : report.partitions) {
        std::vector<std::string> row = {p.topic, std::to_string(p.partition),
                                        util::group_thousands(p.low),
                                        util::group_thousands(p.high)};
        if (show_load) {
            row.push_back(optional_number(p.load.next_offset));
            row.push_back(lag_cell(p, p.load));
        }
        if (show_stream) {
            row.push_back(optional_number(p.stream.next_offset));
            row.push_back(lag_cell(p, p.stream));
        }
        table.rows.push_back(std::move(row));
    }
    out += render_table(table);
    for (const auto& [group, is_stream] :
         {std::pair{report.load_group, false}, std::pair{report.stream_group, true}}) {
        if (group.empty()) {
            continue;
        }
        if (!group_deployed(report.partitions, is_stream)) {
            out += fmt::format("{}: no stored offsets (not deployed, or never ran)\n", group);
            continue;
        }
        std::vector<std::string> per_topic;
        for (const std::string& topic : topics_in_order(report)) {
            per_topic.push_back(fmt::format(
                "{} {}", topic,
                util::group_thousands(topic_lag(report, topic, is_stream).value_or(0))));
        }
        out += fmt::format("{} lag: {}\n", group, fmt::join(per_topic, ", "));
    }
}

std::string load_progress_text(const TopicLoadProgress& progress) {
    switch (progress.state) {
        case LoadProgress::caught_up:
            return "caught up (no newer events in Kafka)";
        case LoadProgress::behind:
            return fmt::format("behind: {} messages to load",
                               util::group_thousands(progress.messages_to_load));
        case LoadProgress::offset_beyond_end:
            return "stuck: a stored offset is beyond Kafka's end (see the partitions)";
        case LoadProgress::unknown:
            break;
    }
    return not_deployed;
}

const char* load_progress_name(LoadProgress state) {
    switch (state) {
        case LoadProgress::caught_up:
            return "caught_up";
        case LoadProgress::behind:
            return "behind";
        case LoadProgress::offset_beyond_end:
            return "offset_beyond_end";
        case LoadProgress::unknown:
            break;
    }
    return "unknown";
}

void append_freshness(std::string& out, const StatusReport& report) {
    out += "\nFreshness (now - newest Kafka timestamp loaded into staging)\n";
    TextTable table;
    table.columns = {{"topic"}, {"newest loaded"}, {"age", Align::right}, {"load"}};
    for (const TopicFreshness& topic : report.freshness) {
        table.rows.push_back(
            {topic.topic,
             topic.newest_kafka_timestamp.empty() ? "nothing loaded" : topic.newest_kafka_timestamp,
             topic.age_seconds ? human_duration(*topic.age_seconds) : not_deployed,
             load_progress_text(load_progress(report, topic.topic))});
    }
    out += render_table(table);
}

void append_last_run(std::string& out, const StatusReport& report) {
    out += fmt::format("\nLast load run ({})\n", report.load_group);
    if (!report.last_load_run) {
        out += "none recorded in etl.load_runs\n";
        return;
    }
    const LoadRunStatus& run = *report.last_load_run;
    out +=
        fmt::format("run {} {}: started {}{}, {} pin, {} geo, {} user rows, {} dead letters",
                    run.id, run.outcome, run.started_at,
                    run.seconds ? fmt::format(", took {}", human_duration(*run.seconds)) : "",
                    util::group_thousands(run.pin_rows), util::group_thousands(run.geo_rows),
                    util::group_thousands(run.user_rows), util::group_thousands(run.dead_letters));
    if (!run.host.empty()) {
        out += fmt::format(", on {}", run.host);
    }
    out += '\n';
    if (!run.detail.empty()) {
        out += fmt::format("detail: {}\n", one_line_excerpt(run.detail, 200));
    }
    if (run.outcome != "ok") {
        out += fmt::format("last ok run finished: {}\n",
                           run.last_ok_finished_at.empty() ? "never" : run.last_ok_finished_at);
    }
}

void append_tables(std::string& out, const StatusReport& report) {
    out += "\nTables (~ estimated from statistics; --exact-counts counts)\n";
    TextTable table;
    table.columns = {{"table"}, {"rows", Align::right}, {"size", Align::right}};
    for (const TableRows& rows : report.staging) {
        table.rows.push_back({rows.table, table_rows_cell(rows), human_bytes(rows.bytes)});
    }
    for (const TableRows& rows : report.realtime) {
        table.rows.push_back({rows.table, table_rows_cell(rows), human_bytes(rows.bytes)});
    }
    out += render_table(table);
    if (report.realtime.empty()) {
        out += "no tables in schema realtime yet (created by the stream migrations)\n";
    }
}

void append_staging_partitions(std::string& out, const StatusReport& report) {
    out += "\nStaging partitions (one per UTC day; pinpipe retention drops the old ones)\n";
    TextTable table;
    table.columns = {{"table"},
                     {"days", Align::right},
                     {"oldest"},
                     {"newest"},
                     {"waiting in default (~)", Align::right}};
    for (const StagingPartitions& staging : report.staging_partitions) {
        table.rows.push_back({staging.table, util::group_thousands(staging.day_partitions),
                              staging.oldest_day.empty() ? not_deployed : staging.oldest_day,
                              staging.newest_day.empty() ? not_deployed : staging.newest_day,
                              util::group_thousands(staging.default_rows)});
    }
    out += render_table(table);
}

void append_replica(std::string& out, const ReplicaStatus& replica) {
    out += fmt::format("\nReplica {}\n", replica.server);
    if (!replica.in_recovery) {
        out += "not a standby (pg_is_in_recovery() is false)\n";
        return;
    }
    out += fmt::format("replay lag: {} of WAL, {}\n",
                       replica.lag_bytes ? human_bytes(*replica.lag_bytes) : not_deployed,
                       replica.lag_seconds ? human_duration(*replica.lag_seconds) : not_deployed);
}

void append_dead_letters(std::string& out, const StatusReport& report) {
    out += "\nDead letters (pinpipe dlq list shows them)\n";
    if (report.dead_letters.empty()) {
        out += "none\n";
        return;
    }
    TextTable table;
    table.columns = {{"consumer"}, {"topic"}, {"reason"}, {"count", Align::right}, {"newest"}};
    for (const DeadLetterGroup& group : report.dead_letters) {
        table.rows.push_back({group.consumer, group.topic, group.reason,
                              util::group_thousands(group.count), group.newest_failed_at});
    }
    out += render_table(table);
}

nlohmann::ordered_json position_json(const PartitionStatus& p, const GroupPosition& position) {
    return {{"next_offset", optional_json(position.next_offset)},
            {"lag", optional_json(position.lag)},
            {"beyond_end", offset_beyond_end(p.high, position.next_offset)}};
}

nlohmann::ordered_json tables_json(const std::vector<TableRows>& tables) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const TableRows& rows : tables) {
        out.push_back({{"table", rows.table},
                       {"rows", rows.rows},
                       {"exact", rows.exact},
                       {"bytes", rows.bytes}});
    }
    return out;
}

}  // namespace

bool offset_beyond_end(int64_t high, std::optional<int64_t> next_offset) {
    return next_offset && *next_offset > high;
}

int64_t partition_lag(int64_t low, int64_t high, std::optional<int64_t> next_offset) {
    const int64_t start = std::max(next_offset.value_or(low), low);
    return std::max<int64_t>(high - start, 0);
}

void compute_lags(std::vector<PartitionStatus>& partitions) {
    const bool load_deployed = group_deployed(partitions, /*stream_group=*/false);
    const bool stream_deployed = group_deployed(partitions, /*stream_group=*/true);
    for (PartitionStatus& p : partitions) {
        p.load.lag = load_deployed ? std::optional(partition_lag(p.low, p.high, p.load.next_offset))
                                   : std::nullopt;
        p.stream.lag = stream_deployed
                           ? std::optional(partition_lag(p.low, p.high, p.stream.next_offset))
                           : std::nullopt;
    }
}

std::optional<int64_t> topic_lag(const StatusReport& report, const std::string& topic,
                                 bool stream_group) {
    std::optional<int64_t> total;
    for (const PartitionStatus& p : report.partitions) {
        const GroupPosition& position = stream_group ? p.stream : p.load;
        if (p.topic == topic && position.lag) {
            total = total.value_or(0) + *position.lag;
        }
    }
    return total;
}

TopicLoadProgress load_progress(const StatusReport& report, const std::string& topic) {
    if (report.load_group.empty()) {
        return {};
    }
    const std::optional<int64_t> lag = topic_lag(report, topic, /*stream_group=*/false);
    if (!lag) {
        return {};
    }
    const bool stuck =
        std::any_of(report.partitions.begin(), report.partitions.end(), [&](const auto& p) {
            return p.topic == topic && offset_beyond_end(p.high, p.load.next_offset);
        });
    if (stuck) {
        return {LoadProgress::offset_beyond_end, *lag};
    }
    return {*lag > 0 ? LoadProgress::behind : LoadProgress::caught_up, *lag};
}

std::vector<std::string> threshold_violations(const StatusReport& report,
                                              const Thresholds& thresholds) {
    std::vector<std::string> violations;
    // Not a threshold: such a group reads nothing of the partition until the offset is reset.
    for (const PartitionStatus& p : report.partitions) {
        for (const auto& [group, position] :
             {std::pair{report.load_group, p.load}, std::pair{report.stream_group, p.stream}}) {
            if (!group.empty() && offset_beyond_end(p.high, position.next_offset)) {
                violations.push_back(fmt::format(
                    "{}'s stored offset {} on {} partition {} is beyond its high watermark {} "
                    "(the topic was recreated or its log truncated: reset the offset as "
                    "docs/operations.md shows)",
                    group, *position.next_offset, p.topic, p.partition, p.high));
            }
        }
    }
    if (thresholds.max_lag) {
        for (const auto& [group, is_stream] :
             {std::pair{report.load_group, false}, std::pair{report.stream_group, true}}) {
            if (group.empty()) {
                continue;
            }
            for (const std::string& topic : topics_in_order(report)) {
                const std::optional<int64_t> lag = topic_lag(report, topic, is_stream);
                if (lag && *lag > *thresholds.max_lag) {
                    violations.push_back(
                        fmt::format("{} is {} messages behind on {} (--max-lag {})", group, *lag,
                                    topic, *thresholds.max_lag));
                }
            }
        }
    }
    if (thresholds.max_replica_lag_s && report.replica) {
        const ReplicaStatus& replica = *report.replica;
        if (!replica.in_recovery) {
            violations.push_back(fmt::format("{} is not a standby (--max-replica-lag-s {:g})",
                                             replica.server, *thresholds.max_replica_lag_s));
        } else if (replica.lag_seconds && *replica.lag_seconds > *thresholds.max_replica_lag_s) {
            violations.push_back(
                fmt::format("replica {} is {:.0f} s behind (--max-replica-lag-s {:g})",
                            replica.server, *replica.lag_seconds, *thresholds.max_replica_lag_s));
        }
    }
    if (thresholds.max_freshness_s) {
        for (const TopicFreshness& topic : report.freshness) {
            const TopicLoadProgress progress = load_progress(report, topic.topic);
            if (topic.age_seconds && *topic.age_seconds > *thresholds.max_freshness_s) {
                // Caught up: no events arrived since, which is not a failure of the pipeline.
                if (progress.state == LoadProgress::behind) {
                    violations.push_back(fmt::format(
                        "newest row loaded from {} is {:.0f} s old while {} messages wait to be "
                        "loaded (--max-freshness-s {:g})",
                        topic.topic, *topic.age_seconds, progress.messages_to_load,
                        *thresholds.max_freshness_s));
                } else if (progress.state == LoadProgress::unknown) {
                    violations.push_back(fmt::format(
                        "newest row loaded from {} is {:.0f} s old (--max-freshness-s {:g})",
                        topic.topic, *topic.age_seconds, *thresholds.max_freshness_s));
                }
            } else if (!topic.age_seconds && messages_held(report, topic.topic) > 0 &&
                       progress.state != LoadProgress::caught_up) {
                violations.push_back(fmt::format(
                    "nothing loaded from {} yet while Kafka holds {} messages "
                    "(--max-freshness-s {:g})",
                    topic.topic, messages_held(report, topic.topic), *thresholds.max_freshness_s));
            }
        }
    }
    return violations;
}

std::string render_status_text(const StatusReport& report) {
    std::string out = fmt::format("pinpipe status at {}\n\n", report.generated_at);
    append_partitions(out, report);
    append_freshness(out, report);
    if (!report.load_group.empty()) {
        append_last_run(out, report);
    }
    append_tables(out, report);
    append_staging_partitions(out, report);
    append_dead_letters(out, report);
    if (report.replica) {
        append_replica(out, *report.replica);
    }
    return out;
}

nlohmann::ordered_json status_json(const StatusReport& report, const Thresholds& thresholds,
                                   const std::vector<std::string>& violations) {
    nlohmann::ordered_json out;
    out["generated_at"] = report.generated_at;
    out["groups"] = {{"load", empty_as_null(report.load_group)},
                     {"stream", empty_as_null(report.stream_group)}};
    nlohmann::ordered_json partitions = nlohmann::ordered_json::array();
    for (const PartitionStatus& p : report.partitions) {
        nlohmann::ordered_json entry = {
            {"topic", p.topic}, {"partition", p.partition}, {"low", p.low}, {"high", p.high}};
        if (!report.load_group.empty()) {
            entry["load"] = position_json(p, p.load);
        }
        if (!report.stream_group.empty()) {
            entry["stream"] = position_json(p, p.stream);
        }
        partitions.push_back(std::move(entry));
    }
    out["partitions"] = std::move(partitions);
    nlohmann::ordered_json lag = nlohmann::ordered_json::object();
    for (const auto& [group, is_stream] :
         {std::pair{report.load_group, false}, std::pair{report.stream_group, true}}) {
        if (group.empty()) {
            continue;
        }
        nlohmann::ordered_json per_topic = nlohmann::ordered_json::object();
        for (const std::string& topic : topics_in_order(report)) {
            per_topic[topic] = optional_json(topic_lag(report, topic, is_stream));
        }
        lag[group] = std::move(per_topic);
    }
    out["lag"] = std::move(lag);
    nlohmann::ordered_json freshness = nlohmann::ordered_json::array();
    for (const TopicFreshness& topic : report.freshness) {
        const TopicLoadProgress progress = load_progress(report, topic.topic);
        freshness.push_back(
            {{"topic", topic.topic},
             {"newest_kafka_timestamp", empty_as_null(topic.newest_kafka_timestamp)},
             {"age_seconds", optional_json(topic.age_seconds)},
             {"load", load_progress_name(progress.state)},
             {"messages_to_load", progress.state == LoadProgress::unknown
                                      ? nlohmann::ordered_json(nullptr)
                                      : nlohmann::ordered_json(progress.messages_to_load)}});
    }
    out["freshness"] = std::move(freshness);
    if (report.last_load_run) {
        const LoadRunStatus& run = *report.last_load_run;
        out["last_load_run"] = {
            {"id", run.id},
            {"started_at", run.started_at},
            {"finished_at", empty_as_null(run.finished_at)},
            {"seconds", optional_json(run.seconds)},
            {"rows", {{"pin", run.pin_rows}, {"geo", run.geo_rows}, {"user", run.user_rows}}},
            {"dead_letters", run.dead_letters},
            {"outcome", run.outcome},
            {"detail", empty_as_null(run.detail)},
            {"host", empty_as_null(run.host)},
            {"last_ok_finished_at", empty_as_null(run.last_ok_finished_at)}};
    } else {
        out["last_load_run"] = nullptr;
    }
    out["staging"] = tables_json(report.staging);
    nlohmann::ordered_json staging_partitions = nlohmann::ordered_json::array();
    for (const StagingPartitions& staging : report.staging_partitions) {
        staging_partitions.push_back({{"table", staging.table},
                                      {"day_partitions", staging.day_partitions},
                                      {"oldest_day", empty_as_null(staging.oldest_day)},
                                      {"newest_day", empty_as_null(staging.newest_day)},
                                      {"default_rows", staging.default_rows}});
    }
    out["staging_partitions"] = std::move(staging_partitions);
    out["realtime"] = tables_json(report.realtime);
    nlohmann::ordered_json dead_letters = nlohmann::ordered_json::array();
    for (const DeadLetterGroup& group : report.dead_letters) {
        dead_letters.push_back({{"consumer", group.consumer},
                                {"topic", group.topic},
                                {"reason", group.reason},
                                {"count", group.count},
                                {"newest_failed_at", group.newest_failed_at}});
    }
    out["dead_letters"] = std::move(dead_letters);
    if (report.replica) {
        out["replica"] = {{"server", report.replica->server},
                          {"in_recovery", report.replica->in_recovery},
                          {"lag_bytes", optional_json(report.replica->lag_bytes)},
                          {"lag_seconds", optional_json(report.replica->lag_seconds)}};
    }
    out["thresholds"] = {{"max_lag", optional_json(thresholds.max_lag)},
                         {"max_freshness_s", optional_json(thresholds.max_freshness_s)},
                         {"max_replica_lag_s", optional_json(thresholds.max_replica_lag_s)}};
    out["violations"] = violations;
    out["ok"] = violations.empty();
    return out;
}

}  // namespace pinpipe::ops
