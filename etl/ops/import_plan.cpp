#include "ops/import_plan.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "pg/copy_encoding.hpp"

namespace pinpipe::ops {
namespace {

struct Record {
    int64_t line;  // 1-based: the offset of its rows
    std::string_view text;
};

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// A file that is one JSON value (pretty-printed or not) is one record; anything else is read
// as one record per non-blank line.
std::vector<Record> split_records(std::string_view content) {
    if (!is_blank(content) && nlohmann::json::accept(content)) {
        return {{1, content}};
    }
    std::vector<Record> records;
    int64_t line = 0;
    for (size_t start = 0; start < content.size();) {
        size_t end = content.find('\n', start);
        if (end == std::string_view::npos) {
            end = content.size();
        }
        ++line;
        const std::string_view text = content.substr(start, end - start);
        if (!is_blank(text)) {
            records.push_back({line, text});
        }
        start = end + 1;
    }
    return records;
}

}  // namespace

std::optional<events::EventKind> detect_kind(std::string_view object_json) {
    const nlohmann::json object = nlohmann::json::parse(object_json, nullptr, false);
    if (!object.is_object()) {
        return std::nullopt;
    }
    if (object.contains("index")) {
        return events::EventKind::pin;
    }
    for (const char* field : {"latitude", "longitude", "country", "timestamp"}) {
        if (object.contains(field)) {
            return events::EventKind::geo;
        }
    }
    for (const char* field : {"first_name", "last_name", "age", "date_joined"}) {
        if (object.contains(field)) {
            return events::EventKind::user;
        }
    }
    return std::nullopt;
}

std::string import_topic(std::string_view content_sha256) {
    return fmt::format("import:{}", content_sha256);
}

ImportPlan plan_import(std::string_view content, std::string_view content_sha256,
                       std::optional<events::EventKind> forced_kind, int64_t timestamp_ms,
                       events::EventValidator& validator) {
    ImportPlan plan;
    const std::string file_topic = import_topic(content_sha256);
    const auto dead_letter = [&](const std::string& topic, int64_t line, std::string_view text,
                                 std::string_view reason, std::string_view error) {
        const events::MessageOrigin at{topic, 0, line, timestamp_ms, std::nullopt};
        pg::append_dead_letter_row(plan.dead_letters, import_consumer, at, text, reason, error);
        ++plan.dead_letter_count;
    };
    const auto add = [&](events::EventKind kind, int64_t line, std::string_view text) {
        ++plan.records;
        const std::string topic = fmt::format("{}.{}", file_topic, events::kind_name(kind));
        const events::Verdict verdict = validator.validate(kind, text.data(), text.size());
        if (!verdict.ok) {
            dead_letter(topic, line, text, events::reason_name(verdict.reason), verdict.error);
            return;
        }
        const std::string key = std::to_string(verdict.ind);
        plan.rows[events::kind_index(kind)].append({topic, 0, line, timestamp_ms, key}, text);
    };

    for (const Record& record : split_records(content)) {
        if (forced_kind) {
            add(*forced_kind, record.line, record.text);
            continue;
        }
        const nlohmann::json parsed = nlohmann::json::parse(record.text, nullptr, false);
        if (!parsed.is_object()) {
            // Not an object at all: the validator names what is wrong, whatever the kind.
            ++plan.records;
            const events::Verdict verdict =
                validator.validate(events::EventKind::pin, record.text.data(), record.text.size());
            dead_letter(file_topic, record.line, record.text, events::reason_name(verdict.reason),
                        verdict.error);
            continue;
        }
        // The seeds' event files: {"pin":{…},"geo":{…},"user":{…}}, one row per kind.
        bool wrapped = false;
        for (const events::EventKind kind : events::all_event_kinds) {
            const auto part = parsed.find(std::string(events::kind_name(kind)));
            if (part != parsed.end() && part->is_object()) {
                wrapped = true;
                add(kind, record.line, part->dump());
            }
        }
        if (wrapped) {
            continue;
        }
        if (const std::optional<events::EventKind> kind = detect_kind(record.text)) {
            add(*kind, record.line, record.text);
            continue;
        }
        ++plan.records;
        dead_letter(file_topic, record.line, record.text, unknown_kind_reason,
                    "neither a pin (index), a geo (latitude, longitude, country, timestamp) nor a "
                    "user (first_name, last_name, age, date_joined) record; pass --kind");
    }
    return plan;
}

}  // namespace pinpipe::ops
