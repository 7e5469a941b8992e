// Child processes without a shell: run one to completion, or keep one running in the background
// (the throwaway Postgres of tests and demo, loaders that tests kill with SIGKILL).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pinpipe::util {

// This machine's host name, for registry rows and load runs (which machine ran what).
std::string host_name();

struct ProcessResult {
    int exit_code;       // 128 + signal number when killed by a signal
    std::string output;  // stdout and stderr together
};

// Runs argv[0] (looked up on PATH) with argv in working_directory (empty: ours); throws when it
// cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::filesystem::path& working_directory = {});

// A background child whose stdout is a pipe we can read lines from; stderr is inherited, or
// appended to stderr_file.
// The destructor kills (SIGKILL) and reaps a child that is still running.
class ChildProcess {
  public:
    explicit ChildProcess(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {},
                          const std::filesystem::path& stderr_file = {});
    ~ChildProcess();
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;

    pid_t pid() const { return m_pid; }
    // One line of the child's stdout (without the newline); nullopt at EOF or timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // Everything the child writes to stdout until it closes it.
    std::string read_all();
    void send_signal(int signal_number) const;
    // Waits for the child to exit; returns its exit code (128 + signal when killed by one).
    int wait();
    std::optional<int> wait_for(std::chrono::milliseconds timeout);

  private:
    pid_t m_pid = -1;
    int m_stdout_fd = -1;
    std::string m_buffer;
    std::optional<int> m_exit_code;
};

}  // namespace pinpipe::util
