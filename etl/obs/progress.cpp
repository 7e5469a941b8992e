#include "obs/progress.hpp"
#include "util/thousands.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <condition_variable>
#include <ostream>

namespace pinpipe::obs {
namespace {

constexpr size_t fallback_width = 80;
// Erase from the cursor to the end of the line (ECMA-48 EL): a shorter line leaves no tail.
constexpr std::string_view erase_to_end = "\x1b[K";

// The enabled line alive now (one per command), for make_way_for_log_line: log lines come from
// any thread and know nothing of the command's line.
std::mutex g_active_mutex;
ProgressLine* g_active = nullptr;

}  // namespace

bool progress_enabled(ProgressMode mode, bool stderr_is_tty, bool json_logs) {
    if (json_logs || mode == ProgressMode::off) {
        return false;
    }
    return mode == ProgressMode::on || stderr_is_tty;
}

std::string format_duration(double seconds) {
    const auto whole = static_cast<uint64_t>(seconds < 0 ? 0 : seconds + 0.5);
    const uint64_t hours = whole / 3600;
    const uint64_t minutes = whole / 60 % 60;
    const uint64_t rest = whole % 60;
    return hours > 0 ? fmt::format("{}:{:02}:{:02}", hours, minutes, rest)
                     : fmt::format("{}:{:02}", minutes, rest);
}

std::string format_progress(const ProgressFigures& figures, size_t width) {
    std::string line = fmt::format("{}: {}", figures.label,
                                   util::group_thousands(static_cast<int64_t>(figures.done)));
    const double rate =
        figures.seconds > 0 ? static_cast<double>(figures.done) / figures.seconds : 0.0;
    if (figures.total) {
        const uint64_t total = *figures.total;
        const double percent =
            total > 0 ? 100.0 * static_cast<double>(figures.done) / static_cast<double>(total)
                      : 100.0;
        line +=
            fmt::format(" of {} {} ({:.1f}%)", util::group_thousands(static_cast<int64_t>(total)),
                        figures.unit, percent);
    } else {
        line += fmt::format(" {}", figures.unit);
    }
    line += fmt::format(", {}/s", util::group_thousands(static_cast<int64_t>(rate + 0.5)));
    // No ETA before anything moved: a rate of zero would promise forever.
    if (figures.total && rate > 0 && figures.done < *figures.total) {
        line +=
            ", ETA " + format_duration(static_cast<double>(*figures.total - figures.done) / rate);
    }
    if (!figures.extra.empty()) {
        line += ", " + figures.extra;
    }
    if (line.size() > width) {
        line.resize(width);
    }
    return line;
}

bool redraw_due(std::optional<std::chrono::steady_clock::time_point> last_drawn,
                std::chrono::steady_clock::time_point now, std::chrono::milliseconds interval) {
    return !last_drawn || now - *last_drawn >= interval;
}

ProgressLine::ProgressLine(bool enabled, std::ostream& out, size_t width)
    : m_enabled(enabled), m_out(out), m_width(width) {
    if (m_enabled) {
        const std::lock_guard lock(g_active_mutex);
        g_active = this;
    }
}

ProgressLine::~ProgressLine() {
    {
        const std::lock_guard lock(g_active_mutex);
        if (g_active == this) {
            g_active = nullptr;
        }
    }
    finish();
}

void make_way_for_log_line() {
    const std::lock_guard lock(g_active_mutex);
    if (g_active != nullptr) {
        g_active->finish();
    }
}

void ProgressLine::show(ProgressFigures figures) {
    if (!m_enabled) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    figures.seconds = std::chrono::duration<double>(now - m_started).count();
    update(format_progress(figures, m_width), now);
}

void ProgressLine::update(std::string_view text, std::chrono::steady_clock::time_point now) {
    const std::lock_guard lock(m_mutex);
    if (!m_enabled || !redraw_due(m_last_drawn, now, progress_redraw_interval)) {
        return;
    }
    m_last_drawn = now;
    m_out << '\r' << text.substr(0, m_width) << erase_to_end << std::flush;
}

void ProgressLine::finish() {
    const std::lock_guard lock(m_mutex);
    erase();
}

void ProgressLine::write_line(std::ostream& out, std::string_view line) {
    const std::lock_guard lock(m_mutex);
    erase();
    out << line << '\n' << std::flush;
}

void ProgressLine::erase() {
    if (m_enabled && m_last_drawn) {
        m_out << '\r' << erase_to_end << std::flush;
    }
    m_last_drawn.reset();
}

ProgressTicker::ProgressTicker(ProgressLine& line, std::function<std::string()> text) {
    if (!line.enabled()) {
        return;
    }
    m_thread = std::jthread([&line, text = std::move(text)](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        std::unique_lock lock(mutex);
        // Once even when stopped before it ran: the step it shows has started.
        do {
            line.update(text());
            wake.wait_for(lock, stop, progress_redraw_interval, [] { return false; });
        } while (!stop.stop_requested());
    });
}

ProgressTicker::~ProgressTicker() = default;  // jthread: asks the thread to stop and joins it

size_t stderr_width() {
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1) {
        // One column short of the edge: some terminals wrap as soon as the last one is written.
        return size.ws_col - 1u;
    }
    return fallback_width - 1;
}

bool stderr_is_tty() {
    return isatty(STDERR_FILENO) != 0;
}

}  // namespace pinpipe::obs
