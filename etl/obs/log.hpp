// One line per event on stderr, as text or JSON; data goes to stdout, diagnostics never do.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace pinpipe::obs {

enum class LogFormat { text, json };
enum class LogLevel { debug, info, warning, error };

using LogField = std::pair<std::string_view, std::string>;

void set_log_format(LogFormat format);
void set_min_log_level(LogLevel level);
LogFormat parse_log_format(std::string_view name);  // throws UsageError
LogLevel parse_log_level(std::string_view name);    // throws UsageError

// Formats one log line (no trailing newline): pure so that tests can check both formats.
std::string format_log_line(LogFormat format, LogLevel level, std::string_view message,
                            std::initializer_list<LogField> fields, std::string_view timestamp);

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
inline void log_info(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::info, message, fields);
}
inline void log_warning(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::warning, message, fields);
}
inline void log_error(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::error, message, fields);
}

}  // namespace pinpipe::obs
