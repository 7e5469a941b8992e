// Fault injection helpers for integration tests: arm a child's failpoints and wait, with a
// bound, for the observable state a fault leaves (a stopped process), never for a guessed time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace pinpipe::testing {

// The environment of a child whose failpoints spec arms (empty: none armed).
std::vector<std::string> failpoint_env(const std::string& spec);

// The state letter of /proc/<pid>/stat ('T' once stopped); '?' when there is no such process.
char process_state(pid_t pid);

// True once pid is stopped (a `stop` failpoint fired), false if timeout passes first.
bool wait_until_stopped(pid_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace pinpipe::testing
