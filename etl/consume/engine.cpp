#include "consume/engine.hpp"

#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "consume/backoff.hpp"
#include "consume/errors.hpp"
#include "consume/session.hpp"
#include "obs/log.hpp"
#include "util/signals.hpp"

namespace pinpipe::consume {
namespace {

using Clock = std::chrono::steady_clock;

std::runtime_error stopped_without_commit(const ConsumerOptions& options,
                                          const std::exception& error, uint64_t uncommitted) {
    return std::runtime_error(fmt::format(
        "stopped while {} could not commit ({}); {} messages read since the last commit were "
        "not written and will be read again when it starts again",
        options.application_name, pg::error_message(error), uncommitted));
}

// A cron load whose session ended after it went longer than its lease without a heartbeat (it
// was stopped, or hung): the others may end its sessions then, and libpq's "server closed the
// connection unexpectedly" alone would not say why.
std::runtime_error lease_ran_out(const ConsumerOptions& options, const std::exception& error,
                                 Clock::duration silent) {
    return std::runtime_error(fmt::format(
        "this load went {} s without a heartbeat, longer than its --claim-lease-ms of {} ms, so "
        "another instance ended its session ({}); committed batches are kept, run it again",
        std::chrono::duration_cast<std::chrono::seconds>(silent).count(),
        options.claim_lease.count(), pg::error_message(error)));
}

}  // namespace

ConsumerRun run_consumer(const ConsumerOptions& options, BatchSink& sink) {
    ConsumerRun run;
    RetryBackoff backoff(options.first_retry_delay, options.max_retry_delay);
    while (true) {
        const uint64_t batches_before = run.batches;
        uint64_t uncommitted = 0;
        Clock::duration silent{0};  // since the session's last heartbeat, when it failed
        try {
            ++run.sessions;
            std::optional<Session> session;
            try {
                session.emplace(options, sink, run);
                session->run();
            } catch (...) {
                if (session) {
                    silent = session->since_last_heartbeat();
                }
                uncommitted = session ? session->settle() : 0;
                throw;
            }
            return run;
        } catch (const std::exception& error) {
            const NextStep step = next_step(error);
            if (dynamic_cast<const pqxx::undefined_table*>(&error) != nullptr) {
                throw std::runtime_error(
                    fmt::format("{} (has the database been migrated? run pinpipe migrate)",
                                pg::error_message(error)));
            }
            // A retry_batch error here came back max_commit_attempts times: an outage too.
            const bool outage = step == NextStep::new_session || step == NextStep::retry_batch;
            if (!options.follow && outage && silent > options.claim_lease) {
                throw lease_ran_out(options, error, silent);
            }
            if (!options.follow && dynamic_cast<const pg::InstanceLost*>(&error) != nullptr) {
                throw std::runtime_error(fmt::format(
                    "{}; committed batches are kept, run the load again", error.what()));
            }
            if (!options.follow || !outage) {
                throw;
            }
            if (util::stop_requested()) {
                throw stopped_without_commit(options, error, uncommitted);
            }
            const std::chrono::milliseconds retry_delay =
                backoff.after_session(/*progressed=*/run.batches > batches_before);
            obs::log_warning("consumer session ended; starting a new one, nothing is written twice",
                             {{"error", pg::error_message(error)},
                              {"next_step", std::string(next_step_name(step))},
                              {"uncommitted_messages", std::to_string(uncommitted)},
                              {"retry_in_ms", std::to_string(retry_delay.count())}});
            if (!pause_unless_stopped(retry_delay)) {
                throw stopped_without_commit(options, error, uncommitted);
            }
        }
    }
}

}  // namespace pinpipe::consume
