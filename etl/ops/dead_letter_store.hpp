// The Postgres half of pinpipe dlq: list, replay (dead letters that now pass move into staging
// and leave etl.dead_letters in one transaction) and purge.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ops/dead_letters.hpp"
#include "pg/connection.hpp"

namespace pinpipe::ops {

// Throws UsageError naming the option when PostgreSQL cannot read a time bound as a time.
void check_time_bound(pqxx::connection_base& cx, std::string_view option, const TimeBound& bound);

struct DeadLetterSummary {
    int64_t id = 0;
    std::string failed_at;  // ISO 8601 UTC
    std::string consumer;
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    std::string kafka_timestamp;           // empty when unknown
    std::optional<std::string> key;        // escape-encoded (bytea 'escape' format)
    std::optional<int64_t> payload_bytes;  // nullopt: the message had no value
    std::string payload_preview;           // first bytes, escape-encoded
    std::string reason;
    std::string error;
};

// Newest first; limit 0 means all.
std::vector<DeadLetterSummary> list_dead_letters(pqxx::connection_base& cx,
                                                 const DeadLetterFilter& filter, size_t limit);
int64_t count_dead_letters(pqxx::connection_base& cx, const DeadLetterFilter& filter);

struct ReplayOutcome {
    int64_t selected = 0;
    std::array<uint64_t, events::event_kind_count> moved{};  // rows now in staging, per kind
    int64_t already_staged = 0;                              // removed, their rows were in staging
    std::map<std::string, int64_t> still_bad;                // reason -> count; kept
    bool dry_run = false;

    uint64_t moved_total() const { return moved[0] + moved[1] + moved[2]; }
};

// Oldest first, up to limit (0: all) dead letters of filter.consumer (which must be set).
// Unless dry_run, commits in one transaction: staging rows, the deletion of exactly the dead
// letters that moved, and (if PostgreSQL still rejects a payload) its dead letter again.
// Throws, with nothing changed, when another process removed a selected dead letter meanwhile,
// or when the transaction waits for a lock longer than lock_timeout (the fold lock a load or a
// hung peer holds).
ReplayOutcome replay_dead_letters(pqxx::connection_base& cx, const DeadLetterFilter& filter,
                                  size_t limit, size_t max_message_bytes, bool dry_run,
                                  std::chrono::milliseconds lock_timeout);

// Deletes (or with dry_run, counts) the dead letters of filter; returns how many.
int64_t purge_dead_letters(pqxx::connection_base& cx, const DeadLetterFilter& filter, bool dry_run);

}  // namespace pinpipe::ops
