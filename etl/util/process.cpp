#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

extern char** environ;

namespace pinpipe::util {

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}
namespace {

struct Pipe {
    int read_fd = -1;
    int write_fd = -1;
};

Pipe make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        throw std::runtime_error(fmt::format("could not create a pipe: {}", std::strerror(errno)));
    }
    return {fds[0], fds[1]};
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (std::string& s : strings) {
        pointers.push_back(s.data());
    }
    pointers.push_back(nullptr);
    return pointers;
}

// Starts argv with stdout (and stderr too when merge_stderr) going to the pipe's write end;
// stderr appends to stderr_file when one is given.
pid_t spawn(const std::vector<std::string>& argv, const Pipe& out, bool merge_stderr,
            const std::filesystem::path& stderr_file, const std::vector<std::string>& extra_env,
            const std::filesystem::path& working_directory) {
    if (argv.empty()) {
        throw std::invalid_argument("spawn needs a program");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out.write_fd, STDOUT_FILENO);
    if (merge_stderr) {
        posix_spawn_file_actions_adddup2(&actions, out.write_fd, STDERR_FILENO);
    } else if (!stderr_file.empty()) {
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_file.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    if (!working_directory.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
    }
    std::vector<std::string> args = argv;
    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        env.emplace_back(*entry);
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> arg_pointers = c_strings(args);
    std::vector<char*> env_pointers = c_strings(env);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, arg_pointers.data(),
                                env_pointers.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error(fmt::format("could not start {}: {}", argv[0], std::strerror(rc)));
    }
    return pid;
}

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return 128 + WTERMSIG(status);
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::filesystem::path& working_directory) {
    Pipe out = make_pipe();
    const pid_t pid = spawn(argv, out, /*merge_stderr=*/true, {}, {}, working_directory);
    close(out.write_fd);
    std::string output;
    char buffer[4096];
    ssize_t got = 0;
    while ((got = read(out.read_fd, buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR)) {
        if (got > 0) {
            output.append(buffer, static_cast<size_t>(got));
        }
    }
    close(out.read_fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return {decode_status(status), std::move(output)};
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env,
                           const std::filesystem::path& stderr_file) {
    Pipe out = make_pipe();
    m_pid = spawn(argv, out, /*merge_stderr=*/false, stderr_file, extra_env, {});
    close(out.write_fd);
    m_stdout_fd = out.read_fd;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(other.m_pid),
      m_stdout_fd(other.m_stdout_fd),
      m_buffer(std::move(other.m_buffer)),
      m_exit_code(other.m_exit_code) {
    other.m_pid = -1;
    other.m_stdout_fd = -1;
}

ChildProcess::~ChildProcess() {
    if (m_pid > 0 && !m_exit_code) {
        kill(m_pid, SIGKILL);
        wait();
    }
    if (m_stdout_fd >= 0) {
        close(m_stdout_fd);
    }
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (const size_t newline = m_buffer.find('\n'); newline != std::string::npos) {
            std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || m_stdout_fd < 0) {
            return std::nullopt;
        }
        pollfd pfd{m_stdout_fd, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char buffer[4096];
        const ssize_t got = read(m_stdout_fd, buffer, sizeof buffer);
        if (got == 0) {
            close(m_stdout_fd);
            m_stdout_fd = -1;
            return std::nullopt;
        }
        if (got > 0) {
            m_buffer.append(buffer, static_cast<size_t>(got));
        }
    }
}

std::string ChildProcess::read_all() {
    char buffer[4096];
    ssize_t got = 0;
    while (m_stdout_fd >= 0 &&
           ((got = read(m_stdout_fd, buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR))) {
        if (got > 0) {
            m_buffer.append(buffer, static_cast<size_t>(got));
        }
    }
    return std::exchange(m_buffer, {});
}

void ChildProcess::send_signal(int signal_number) const {
    if (m_pid > 0 && !m_exit_code) {
        kill(m_pid, signal_number);
    }
}

int ChildProcess::wait() {
    if (!m_exit_code) {
        int status = 0;
        while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_exit_code = decode_status(status);
    }
    return *m_exit_code;
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_exit_code) {
        int status = 0;
        const pid_t done = waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid) {
            m_exit_code = decode_status(status);
        } else if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    return m_exit_code;
}

}  // namespace pinpipe::util
