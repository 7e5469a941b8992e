#include "obs/failpoints.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "util/errors.hpp"

namespace pinpipe::obs {
namespace detail {
std::array<bool, failpoint_count> failpoint_armed{};
}  // namespace detail

namespace {

// PostgreSQL write paths: an `error` there is a lost connection (SQLSTATE 08006), as a server
// crash or a network cut would cause.
constexpr std::array<FailpointInfo, failpoint_count> catalog = {{
    {Failpoint::load_after_claim, "load.after_claim",
     "a partition is claimed and its stored offset read; nothing of it is read from Kafka yet"},
    {Failpoint::load_mid_batch, "load.mid_batch",
     "a message was added to the batch being built; the batch is not sent to PostgreSQL yet"},
    {Failpoint::load_after_copy, "load.after_copy",
     "the batch's staging rows are copied in its transaction; dead letters, offsets and "
     "COMMIT not sent yet"},
    {Failpoint::load_after_dead_letters, "load.after_dead_letters",
     "a batch with dead letters has copied them into etl.dead_letters; offsets and COMMIT not "
     "sent yet"},
    {Failpoint::load_before_commit, "load.before_commit",
     "the batch's fenced offsets are updated; COMMIT not sent yet"},
    {Failpoint::load_after_commit, "load.after_commit",
     "the batch is committed; claims of finished partitions not released and Kafka group "
     "offsets not committed yet"},
    {Failpoint::stream_after_claim, "stream.after_claim",
     "a partition is claimed and its stored offset read; nothing of it is read from Kafka yet"},
    {Failpoint::stream_mid_batch, "stream.mid_batch",
     "a message was counted into the batch being built; the batch is not sent to PostgreSQL "
     "yet"},
    {Failpoint::stream_after_upserts, "stream.after_upserts",
     "the batch's metric upserts ran in its transaction; dead letters, offsets and COMMIT not "
     "sent yet"},
    {Failpoint::stream_after_dead_letters, "stream.after_dead_letters",
     "a batch with dead letters has copied them into etl.dead_letters; offsets and COMMIT not "
     "sent yet"},
    {Failpoint::stream_before_commit, "stream.before_commit",
     "the batch's fenced offsets are updated; COMMIT not sent yet"},
    {Failpoint::stream_after_commit, "stream.after_commit",
     "the batch is committed; Kafka group offsets not committed yet"},
    {Failpoint::serve_after_produce_before_answer, "serve.after_produce_before_answer",
     "Kafka acknowledged a request's records; the HTTP answer is not sent yet"},
    {Failpoint::retention_after_detach, "retention.after_detach",
     "a staging table's expired partitions are detached and that is committed; the detached "
     "tables are not dropped yet"},
    {Failpoint::serve_after_accept, "serve.after_accept",
     "serve accepted a connection and has read nothing from it; an error here ends the HTTP "
     "event loop (serve exits 1)"},
}};

struct ArmedPoint {
    FailpointAction action = FailpointAction::crash;
    std::chrono::milliseconds delay{0};
    uint64_t on_hit = 0;
    std::atomic<uint64_t> hits{0};
};

std::array<ArmedPoint, failpoint_count> armed_points;

std::optional<Failpoint> find_failpoint(std::string_view name) {
    const auto found = std::find_if(catalog.begin(), catalog.end(),
                                    [&](const FailpointInfo& info) { return info.name == name; });
    return found == catalog.end() ? std::nullopt : std::optional(found->point);
}

std::optional<uint64_t> parse_positive(std::string_view text) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value == 0) {
        return std::nullopt;
    }
    return value;
}

FailpointArming parse_one(std::string_view item) {
    const auto bad = [&](std::string_view why) {
        return UsageError(fmt::format(
            "invalid failpoint \"{}\" in PINPIPE_FAILPOINTS: {} (expected name=action[@N] with "
            "action crash, error, delay:MS or stop; pinpipe failpoints lists the names)",
            item, why));
    };
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
        throw bad("no \"=\"");
    }
    const std::string_view name = item.substr(0, equals);
    std::string_view action = item.substr(equals + 1);
    const std::optional<Failpoint> point = find_failpoint(name);
    if (!point) {
        throw bad(fmt::format("unknown failpoint \"{}\"", name));
    }
    FailpointArming arming{*point, FailpointAction::crash};
    if (const size_t at = action.find('@'); at != std::string_view::npos) {
        const std::optional<uint64_t> hit = parse_positive(action.substr(at + 1));
        if (!hit) {
            throw bad("the hit after @ must be a positive integer");
        }
        arming.on_hit = *hit;
        action = action.substr(0, at);
    }
    if (action == "crash") {
        arming.action = FailpointAction::crash;
    } else if (action == "error") {
        arming.action = FailpointAction::error;
    } else if (action == "stop") {
        arming.action = FailpointAction::stop;
    } else if (action.starts_with("delay:")) {
        const std::optional<uint64_t> ms = parse_positive(action.substr(6));
        if (!ms) {
            throw bad("the delay must be a positive number of milliseconds");
        }
        arming.action = FailpointAction::delay;
        arming.delay = std::chrono::milliseconds(*ms);
    } else {
        throw bad(fmt::format("unknown action \"{}\"", action));
    }
    return arming;
}

// Straight to the file descriptor: a crash that follows flushes no stream.
void say(Failpoint point, std::string_view what) {
    const std::string line =
        fmt::format("pinpipe: failpoint {}: {}\n", catalog[static_cast<size_t>(point)].name, what);
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

const std::array<FailpointInfo, failpoint_count>& failpoint_catalog() {
    return catalog;
}

std::string_view failpoint_name(Failpoint point) {
    return catalog[static_cast<size_t>(point)].name;
}

std::string failpoint_error_message(Failpoint point) {
    return fmt::format("failpoint {}: injected error", failpoint_name(point));
}

std::vector<FailpointArming> parse_failpoints(std::string_view spec) {
    std::vector<FailpointArming> armings;
    while (!spec.empty()) {
        const size_t comma = spec.find(',');
        const std::string_view item = spec.substr(0, comma);
        if (!item.empty()) {
            armings.push_back(parse_one(item));
        }
        spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    }
    return armings;
}

void arm_failpoints(std::string_view spec) {
    const std::vector<FailpointArming> armings = parse_failpoints(spec);  // all or nothing
    disarm_failpoints();
    for (const FailpointArming& arming : armings) {
        const auto index = static_cast<size_t>(arming.point);
        ArmedPoint& armed = armed_points[index];
        armed.action = arming.action;
        armed.delay = arming.delay;
        armed.on_hit = arming.on_hit;
        detail::failpoint_armed[index] = true;
    }
}

void arm_failpoints_from_environment() {
    if (const char* spec = std::getenv("PINPIPE_FAILPOINTS")) {
        arm_failpoints(spec);
    }
}

void disarm_failpoints() {
    for (size_t index = 0; index < failpoint_count; ++index) {
        detail::failpoint_armed[index] = false;
        armed_points[index].hits = 0;
    }
}

uint64_t failpoint_hits(Failpoint point) {
    return armed_points[static_cast<size_t>(point)].hits.load();
}

bool detail::fire_failpoint(Failpoint point) {
    ArmedPoint& armed = armed_points[static_cast<size_t>(point)];
    const uint64_t hit = armed.hits.fetch_add(1) + 1;
    if (armed.on_hit != 0 && hit != armed.on_hit) {
        return false;
    }
    switch (armed.action) {
        case FailpointAction::crash:
            say(point, "crash");
            ::_exit(failpoint_crash_exit_code);  // no destructors, no flush: as a crash would
        case FailpointAction::error:
            say(point, "error");
            return true;
        case FailpointAction::delay:
            std::this_thread::sleep_for(armed.delay);
            return false;
        case FailpointAction::stop:
            say(point, "stopped (send SIGCONT to continue)");
            ::raise(SIGSTOP);  // stops every thread, as a debugger or a hung disk might
            return false;
    }
    return false;
}

}  // namespace pinpipe::obs
