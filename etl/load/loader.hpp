// pinpipe load: Kafka topics into the staging tables, exactly once (DESIGN §8): the consumer
// engine (consume/engine.hpp) with batches of COPY text rows.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "consume/engine.hpp"
#include "obs/progress.hpp"

namespace pinpipe::load {

// The engine's options with load's defaults. A batch goes when full or max_batch_latency old
// (--follow: commit at least this often): loading favours big transactions.
struct LoaderOptions : consume::ConsumerOptions {
    LoaderOptions() {
        application_name = "pinpipe-load";
        group = "pinpipe-load";
        // --follow's freshness (DESIGN §12: an event in the answers < 1 s after its Kafka
        // timestamp) is this window plus the batch's fold: 500 ms gave p99 0.77-1.6 s at 1,000
        // events/s, 200 ms 0.45 s (bench/follow_latency.sh). A backlog fills batches long
        // before either window runs out.
        max_batch_latency = std::chrono::milliseconds(200);
        min_batch_age = std::chrono::milliseconds::max();  // counts as max_batch_latency
        // One batch being written while the next is built (and one queued) keeps both sides
        // busy with bounded memory.
        max_batches_in_flight = 2;
        // Three batches per writer live at once (one built, two in flight): at 8 MiB two writers
        // peaked at 94-108 MB against DESIGN §12's 100 MB, at 6 MiB at 89-97 MB with the same
        // speed (bench/load.sh, 6 runs each, interleaved).
        max_batch_bytes = size_t{6} << 20;
        first_retry_delay = std::chrono::milliseconds(1000);
        failpoints = {obs::Failpoint::load_after_claim, obs::Failpoint::load_mid_batch,
                      obs::Failpoint::load_after_commit};
    }

    // The status line (--progress, or stderr a terminal): messages of those behind at start and
    // the rate, or with --follow the rate and the lag. Null: none.
    obs::ProgressLine* progress = nullptr;
};

struct LoadSummary {
    std::array<uint64_t, 3> rows{};
    uint64_t dead_letters = 0;
    size_t partitions_read = 0;
    double seconds = 0;
    bool stopped_by_signal = false;
    int64_t run_id = 0;

    uint64_t total_rows() const { return rows[0] + rows[1] + rows[2]; }
};

// Runs one load; records it in etl.load_runs. Throws on failure (after recording it).
LoadSummary run_load(const LoaderOptions& options);

}  // namespace pinpipe::load
