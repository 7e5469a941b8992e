// The status line long commands redraw on a terminal (#28): whether it is on, what it says, and
// how often it is drawn. A cron run, a pipe or JSON logs never see a byte of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace pinpipe::obs {

// --progress (on), --no-progress (off), neither (automatic: when stderr is a terminal).
enum class ProgressMode { automatic, on, off };

// JSON logs are read by machines: a redrawn line would corrupt them, whatever the flags say.
bool progress_enabled(ProgressMode mode, bool stderr_is_tty, bool json_logs);

// What a progress line reports: "<label>: <done>[ of <total>] <unit>[ (<pct>%)], <rate>/s[, ETA
// <m:ss>][, <extra>]".
struct ProgressFigures {
    std::string_view label;  // the command: load, emulate
    std::string_view unit;   // messages, events
    uint64_t done = 0;
    std::optional<uint64_t> total;  // unknown: an open-ended run (--follow, --count 0)
    double seconds = 0;             // since the start, for the rate and the ETA
    std::string extra;              // appended after a comma when not empty: "lag 1,234"
};

// Seconds as m:ss, or h:mm:ss from an hour on: an ETA, an elapsed time.
std::string format_duration(double seconds);
// The line, cut to width characters so that it never wraps (a wrapped line cannot be redrawn
// with \r).
std::string format_progress(const ProgressFigures& figures, size_t width);

// Whether a line is redrawn now: the first one always, then at most once per interval, so that
// a fast loop costs a clock read and a terminal is not flooded.
bool redraw_due(std::optional<std::chrono::steady_clock::time_point> last_drawn,
                std::chrono::steady_clock::time_point now, std::chrono::milliseconds interval);

constexpr std::chrono::milliseconds progress_redraw_interval{200};

// One status line on a stream (stderr), redrawn in place with \r and erase-to-end-of-line.
// Disabled, it writes nothing at all. finish() (or the destructor) erases it, so that the
// summary line that follows starts clean at the left margin.
class ProgressLine {
  public:
    ProgressLine(bool enabled, std::ostream& out, size_t width);
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    bool enabled() const { return m_enabled; }
    size_t width() const { return m_width; }
    // Draws text unless the last redraw was under progress_redraw_interval ago.
    void update(std::string_view text,
                std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
    // Draws figures as format_progress does, their seconds counted from this line's start (when
    // the command began), unless the last redraw was under progress_redraw_interval ago.
    void show(ProgressFigures figures);
    void finish();
    // A line of the command's own output (to out, stdout say, on the same terminal): the status
    // line is erased first, and redrawn by the next update.
    void write_line(std::ostream& out, std::string_view line);

  private:
    void erase();

    // update, finish and write_line may come from a ProgressTicker's thread and the command's.
    std::mutex m_mutex;
    bool m_enabled;
    std::ostream& m_out;
    size_t m_width;
    std::optional<std::chrono::steady_clock::time_point> m_last_drawn;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

// Erases the status line that is drawn now, if any, so that a log line written next on stderr
// starts at the left margin instead of after it; the next update redraws it. obs::log calls it.
void make_way_for_log_line();

// Redraws a line from a thread of its own every redraw interval, with text() as the text, for a
// step that blocks the command (a migration's SQL): the elapsed time moves while nothing else
// does. Draws once at once; stops and joins when destroyed. Nothing at all when line is disabled.
class ProgressTicker {
  public:
    ProgressTicker(ProgressLine& line, std::function<std::string()> text);
    ~ProgressTicker();
    ProgressTicker(const ProgressTicker&) = delete;
    ProgressTicker& operator=(const ProgressTicker&) = delete;

  private:
    std::jthread m_thread;
};

// The columns of the terminal on stderr, or 80 when it has none.
size_t stderr_width();
bool stderr_is_tty();

}  // namespace pinpipe::obs
