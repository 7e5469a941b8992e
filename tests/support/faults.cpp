#include "support/faults.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace pinpipe::testing {

std::vector<std::string> failpoint_env(const std::string& spec) {
    return spec.empty() ? std::vector<std::string>{}
                        : std::vector<std::string>{"PINPIPE_FAILPOINTS=" + spec};
}

char process_state(pid_t pid) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::stringstream text;
    text << stat.rdbuf();
    const std::string line = text.str();
    // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
    const size_t paren = line.rfind(')');
    return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

bool wait_until_stopped(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (process_state(pid) != 'T') {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace pinpipe::testing
