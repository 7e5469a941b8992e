#include "kafka/config.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/errors.hpp"

namespace pinpipe::kafka {
namespace {

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

}  // namespace

Properties parse_properties(std::string_view text, std::string_view source_name) {
    Properties properties;
    int line_number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = trim(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        ++line_number;
        if (line.empty() || line.front() == '#' || line.front() == '!') {
            continue;
        }
        const auto separator = line.find_first_of("=:");
        const std::string_view key =
            trim(line.substr(0, separator == std::string_view::npos ? line.size() : separator));
        if (separator == std::string_view::npos || key.empty()) {
            // The line is echoed to help find it, but whatever follows its first word is masked:
            // "sasl.password secret" (a space instead of "=") must not print the secret.
            const size_t word_end = line.find_first_of(" \t");
            const std::string shown =
                word_end == std::string_view::npos
                    ? "***"
                    : fmt::format("{} ***", line.substr(0, std::min(word_end, separator)));
            throw UsageError(fmt::format(
                "{}:{}: expected key=value, got \"{}\" (value masked; separate key and value "
                "with =)",
                source_name, line_number, shown));
        }
        properties.emplace_back(key, trim(line.substr(separator + 1)));
    }
    return properties;
}

std::pair<std::string, std::string> parse_override(std::string_view argument) {
    const auto separator = argument.find('=');
    if (separator == std::string_view::npos || separator == 0) {
        // Masked as a properties line is: the argument may be "sasl.password secret".
        const size_t word_end = argument.find_first_of(" \t");
        const std::string shown = separator == 0 ? "=***"
                                  : word_end == std::string_view::npos
                                      ? "***"
                                      : fmt::format("{} ***", argument.substr(0, word_end));
        throw UsageError(fmt::format("-X expects key=value, got \"{}\"", shown));
    }
    return {std::string(argument.substr(0, separator)),
            std::string(argument.substr(separator + 1))};
}

Properties resolve_properties(const Properties& command_defaults, const ClientSettings& settings,
                              std::string_view properties_text) {
    Properties merged = command_defaults;
    const Properties from_file = parse_properties(properties_text, settings.properties_file);
    merged.insert(merged.end(), from_file.begin(), from_file.end());
    if (!settings.brokers.empty()) {
        merged.emplace_back("bootstrap.servers", settings.brokers);
    }
    for (const std::string& argument : settings.overrides) {
        merged.push_back(parse_override(argument));
    }
    const bool has_brokers = std::any_of(merged.begin(), merged.end(), [](const auto& entry) {
        return (entry.first == "bootstrap.servers" || entry.first == "metadata.broker.list") &&
               !entry.second.empty();
    });
    if (!has_brokers) {
        throw UsageError(
            "no Kafka brokers configured (set -b or PINPIPE_BROKERS, bootstrap.servers in the -F "
            "file, or start a local one with pinpipe broker)");
    }
    return merged;
}

std::string printable_value(std::string_view key, std::string_view value) {
    static constexpr std::string_view secret_markers[] = {
        "password", "secret", "token", "sasl.jaas.config", "key.pem", "oauthbearer.config"};
    for (const std::string_view marker : secret_markers) {
        if (key.find(marker) != std::string_view::npos) {
            return "***";
        }
    }
    return std::string(value);
}

}  // namespace pinpipe::kafka
