// Writes generated events straight into staging with COPY, bypassing Kafka: the fixture of the
// analytics tests and benchmarks, which need a million rows in seconds (the Kafka path is what
// `load` does, tested on its own). Rows carry made-up but plausible Kafka coordinates.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "emulate/generator.hpp"
#include "pg/connection.hpp"

namespace pinpipe::testing {

struct StagingSeed {
    std::uint64_t seed = 1;
    std::int64_t events = 1000;  // calls of EventGenerator::next(), re-sends included
    std::string topic_prefix = "pinterest";
    int partitions = 8;  // partition = ind % partitions, offsets counted per partition
    // Kafka timestamp of the first event; each next event is one millisecond later.
    std::int64_t first_timestamp_ms = 1'700'000'000'000;
    std::int64_t events_per_copy = 20'000;  // one COPY per table per this many events
};

// Generates seed.events events and COPYs each one's pin, geo and user message into
// staging.pin_events, geo_events and user_events (autocommit, one COPY per chunk and table).
// on_event, when given, sees every event in order (tests compute expected results from them).
// Returns the number of events written.
std::int64_t copy_generated_events(
    pqxx::connection_base& cx, const StagingSeed& seed,
    const std::function<void(const emulate::GeneratedEvent&)>& on_event = {});

}  // namespace pinpipe::testing
