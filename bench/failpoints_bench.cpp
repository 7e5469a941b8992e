// The cost of a failpoint on a hot path: unarmed, one predictable branch on a flag (DESIGN §8).
// Compares a loop body with and without an unarmed point, and with another point armed.
#include <benchmark/benchmark.h>

#include <string_view>

#include "obs/failpoints.hpp"
#include "pg/failpoint.hpp"

namespace {

using pinpipe::obs::Failpoint;

// The work a point sits beside on a hot path: a little arithmetic on each message's offset.
int64_t step(int64_t offset) {
    return offset * 31 + 7;
}

void NoFailpoint(benchmark::State& state) {
    pinpipe::obs::disarm_failpoints();
    int64_t offset = 0;
    for (auto _ : state) {
        offset = step(offset);
        benchmark::DoNotOptimize(offset);
    }
}
BENCHMARK(NoFailpoint);

// The same loop with a point beside the work, while `armed` is armed.
void loop_with_failpoint(benchmark::State& state, std::string_view armed) {
    pinpipe::obs::arm_failpoints(armed);
    int64_t offset = 0;
    for (auto _ : state) {
        pinpipe::pg::failpoint(Failpoint::load_mid_batch);
        offset = step(offset);
        benchmark::DoNotOptimize(offset);
    }
    pinpipe::obs::disarm_failpoints();
}

void UnarmedFailpoint(benchmark::State& state) {
    loop_with_failpoint(state, "");
}
BENCHMARK(UnarmedFailpoint);

// Another point armed: this one still only reads its own flag.
void UnarmedFailpointWhileAnotherIsArmed(benchmark::State& state) {
    loop_with_failpoint(state, "load.after_commit=crash");
}
BENCHMARK(UnarmedFailpointWhileAnotherIsArmed);

// Armed with a hit that never comes: the slow path (an atomic increment) for comparison.
void ArmedFailpointThatDoesNotFire(benchmark::State& state) {
    loop_with_failpoint(state, "load.mid_batch=crash@18446744073709551615");
}
BENCHMARK(ArmedFailpointThatDoesNotFire);

}  // namespace
