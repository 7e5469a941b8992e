// Failpoints (DESIGN §8): named points on the write paths of load, stream and serve that tests
// and the chaos soak arm through PINPIPE_FAILPOINTS=name=action[@N][,...] to crash, fail, pause
// or stop a process exactly where they mean to. Unarmed, a point costs one predictable branch on
// a flag that is written once, before any thread starts.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::obs {

enum class Failpoint : uint8_t {
    load_after_claim,
    load_mid_batch,
    load_after_copy,
    load_after_dead_letters,
    load_before_commit,
    load_after_commit,
    stream_after_claim,
    stream_mid_batch,
    stream_after_upserts,
    stream_after_dead_letters,
    stream_before_commit,
    stream_after_commit,
    serve_after_produce_before_answer,
    retention_after_detach,
    serve_after_accept,
};
constexpr size_t failpoint_count = 15;

struct FailpointInfo {
    Failpoint point;
    std::string_view name;
    std::string_view description;  // where the point is: what has and has not happened there
};
const std::array<FailpointInfo, failpoint_count>& failpoint_catalog();
std::string_view failpoint_name(Failpoint point);
// "failpoint NAME: injected error", for the errors that `error` actions raise.
std::string failpoint_error_message(Failpoint point);

enum class FailpointAction : uint8_t { crash, error, delay, stop };

// The exit status of a process a `crash` action ended: distinct from 1 (a runtime failure) and
// from 128 + N (a signal), so that a test can tell that the crash happened where it was armed.
constexpr int failpoint_crash_exit_code = 70;

struct FailpointArming {
    Failpoint point;
    FailpointAction action;
    std::chrono::milliseconds delay{0};  // delay:MS
    uint64_t on_hit = 0;                 // @N: only the Nth hit fires; 0: every hit
};

// Pure: parses name=action[@N][,...]; throws UsageError naming the bad item.
std::vector<FailpointArming> parse_failpoints(std::string_view spec);

// Arms the points of spec (replacing any armed before) and resets their hit counts. Call before
// starting threads: the flags are plain bools that every thread reads.
void arm_failpoints(std::string_view spec);
// Arms what PINPIPE_FAILPOINTS says, if it is set; throws UsageError when it is malformed.
void arm_failpoints_from_environment();
void disarm_failpoints();

// An armed point's action at an `error` action is the caller's to raise: it knows which error
// the real fault there would cause.
class FailpointError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace detail {
// NOLINTNEXTLINE: written by arm_failpoints before threads start, then only read.
extern std::array<bool, failpoint_count> failpoint_armed;
// Counts the hit and carries out crash, delay or stop; true when the caller must raise the
// error of an `error` action.
bool fire_failpoint(Failpoint point);
}  // namespace detail

inline bool failpoint_armed(Failpoint point) {
    return detail::failpoint_armed[static_cast<size_t>(point)];
}

// Hits a point whose `error` action throws FailpointError (serve: the answer cannot be sent).
inline void failpoint(Failpoint point) {
    if (failpoint_armed(point)) [[unlikely]] {
        if (detail::fire_failpoint(point)) {
            throw FailpointError(failpoint_error_message(point));
        }
    }
}

// How many times point was hit since it was armed (unarmed points are not counted).
uint64_t failpoint_hits(Failpoint point);

}  // namespace pinpipe::obs
