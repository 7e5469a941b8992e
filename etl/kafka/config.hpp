// Kafka client configuration as kcat takes it: a properties file (-F), then -X key=value
// overrides; pure functions here, the librdkafka conf object in client.hpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinpipe::kafka {

// Ordered: a later entry for the same key overrides an earlier one.
using Properties = std::vector<std::pair<std::string, std::string>>;

// Parses Java-style properties text (key=value or key: value, # and ! comments); throws
// UsageError naming source and line for a line without a key.
Properties parse_properties(std::string_view text, std::string_view source_name);
// Parses one -X argument "key=value"; throws UsageError otherwise.
std::pair<std::string, std::string> parse_override(std::string_view argument);

struct ClientSettings {
    std::string brokers;                 // -b; else PINPIPE_BROKERS
    std::string properties_file;         // -F
    std::vector<std::string> overrides;  // -X key=value, in order
};

// Merges, lowest precedence first: the command's defaults, the properties file, the brokers
// (-b or the environment), the -X overrides. Throws UsageError when no broker is configured.
Properties resolve_properties(const Properties& command_defaults, const ClientSettings& settings,
                              std::string_view properties_text);

// "***" for secrets (passwords, keys, tokens), the value otherwise: for printing configuration.
std::string printable_value(std::string_view key, std::string_view value);

}  // namespace pinpipe::kafka
