// The one reading of a listen address, for serve's --listen and stream's --metrics-listen: pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pinpipe::util {

struct ListenAddress {
    std::string host;  // "127.0.0.1", "0.0.0.0", "::1" (brackets removed)
    int port = 0;      // 0: the system picks a free port
};

// "HOST:PORT" or "[IPV6]:PORT", PORT 0-65535; nullopt when malformed.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

// The same for a command-line option: throws UsageError naming the option and the value.
ListenAddress listen_address_option(std::string_view option, std::string_view text);

}  // namespace pinpipe::util
