#include "util/listen_address.hpp"

#include <charconv>

#include <fmt/format.h>

#include "util/errors.hpp"

namespace pinpipe::util {

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return std::nullopt;
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') {
            return std::nullopt;
        }
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return std::nullopt;  // an IPv6 address needs brackets
    }
    int port = -1;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 0 || port > 65535) {
        return std::nullopt;
    }
    return ListenAddress{std::string(host), port};
}

ListenAddress listen_address_option(std::string_view option, std::string_view text) {
    if (auto address = parse_listen_address(text)) {
        return *std::move(address);
    }
    throw UsageError(fmt::format(
        "invalid {} \"{}\" (use ADDR:PORT, e.g. 127.0.0.1:8082, 0.0.0.0:8082 or [::1]:8082)",
        option, text));
}

}  // namespace pinpipe::util
