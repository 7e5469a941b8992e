// A writer of the consumer engine: one PostgreSQL connection with the claims of its partitions,
// the batch being built for them, and the thread that commits its batches in order.
#pragma once

#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "consume/engine.hpp"
#include "pg/connection.hpp"
#include "util/serial_executor.hpp"

namespace pinpipe::consume {

struct InFlight {
    std::shared_ptr<Batch> batch;
    std::future<CommitDone> done;
};

struct Writer {
    Writer(const ConsumerOptions& options, BatchSink& sink)
        : cx(std::make_unique<pg::Connection>(options.dsn, options.application_name)),
          batch(sink.new_batch()) {}

    // Runs job on the writer's thread, behind what is queued there, and waits for its result.
    template <typename Job>
    auto run(Job job) -> std::invoke_result_t<Job> {
        return thread.submit(std::move(job)).get();
    }

    std::unique_ptr<pg::Connection> cx;  // used on `thread` only
    std::unique_ptr<Batch> batch;
    std::chrono::steady_clock::time_point batch_started = std::chrono::steady_clock::now();
    std::deque<InFlight> in_flight;
    size_t partitions = 0;  // owned, and (cron) claims on their way
    // Last member: destroyed first, so its queued jobs finish while the rest still exists.
    util::SerialExecutor thread;
};

using Writers = std::vector<std::unique_ptr<Writer>>;

}  // namespace pinpipe::consume
