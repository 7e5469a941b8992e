#include "obs/log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "obs/progress.hpp"
#include "util/errors.hpp"

namespace pinpipe::obs {
namespace {

std::atomic<LogFormat> g_format{LogFormat::text};
std::atomic<LogLevel> g_min_level{LogLevel::info};
std::mutex g_write_mutex;  // keeps lines from concurrent threads whole

std::string_view level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warning:
            return "warning";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

std::string utc_timestamp_now() {
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    return fmt::format("{:%FT%T}Z", now);
}

// Text values with spaces or quotes are quoted so that a line stays machine-splittable.
std::string quote_if_needed(const std::string& value) {
    if (!value.empty() && value.find_first_of(" \"=\t\n") == std::string::npos) {
        return value;
    }
    return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void set_log_format(LogFormat format) {
    g_format = format;
}
void set_min_log_level(LogLevel level) {
    g_min_level = level;
}

LogFormat parse_log_format(std::string_view name) {
    if (name == "text") {
        return LogFormat::text;
    }
    if (name == "json") {
        return LogFormat::json;
    }
    throw UsageError(fmt::format("invalid --log-format \"{}\" (use text or json)", name));
}

LogLevel parse_log_level(std::string_view name) {
    constexpr std::pair<std::string_view, LogLevel> levels[] = {{"debug", LogLevel::debug},
                                                                {"info", LogLevel::info},
                                                                {"warning", LogLevel::warning},
                                                                {"error", LogLevel::error}};
    for (const auto& [level_name, level] : levels) {
        if (level_name == name) {
            return level;
        }
    }
    throw UsageError(
        fmt::format("invalid --log-level \"{}\" (use debug, info, warning or error)", name));
}

std::string format_log_line(LogFormat format, LogLevel level, std::string_view message,
                            std::initializer_list<LogField> fields, std::string_view timestamp) {
    if (format == LogFormat::json) {
        nlohmann::ordered_json line;
        line["ts"] = timestamp;
        line["level"] = level_name(level);
        line["msg"] = message;
        for (const auto& [key, value] : fields) {
            line[std::string(key)] = value;
        }
        return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::string line = fmt::format("{} {}: {}", timestamp, level_name(level), message);
    for (const auto& [key, value] : fields) {
        line += fmt::format(" {}={}", key, quote_if_needed(value));
    }
    return line;
}

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    if (level < g_min_level.load()) {
        return;
    }
    std::string line =
        format_log_line(g_format.load(), level, message, fields, utc_timestamp_now());
    line += '\n';
    make_way_for_log_line();
    const std::lock_guard lock(g_write_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace pinpipe::obs
