// Generated events into staging by COPY, for tests and benchmarks of the analytics views.
#include "support/staging_seed.hpp"

#include <fmt/format.h>

#include <array>
#include <map>

#include "pg/staging_rows.hpp"
#include "pg/staging_writer.hpp"

namespace pinpipe::testing {

std::int64_t copy_generated_events(
    pqxx::connection_base& cx, const StagingSeed& seed,
    const std::function<void(const emulate::GeneratedEvent&)>& on_event) {
    std::array<std::string, events::event_kind_count> topics;
    for (const events::EventKind kind : events::all_event_kinds) {
        topics[events::kind_index(kind)] = fmt::format("{}.{}", seed.topic_prefix, kind_name(kind));
    }
    pg::StagingBatch rows;
    std::array<std::map<int, std::int64_t>, events::event_kind_count> next_offsets;
    const auto flush = [&] {
        for (const events::EventKind kind : events::all_event_kinds) {
            pg::StagingRows& kind_rows = rows[events::kind_index(kind)];
            if (!kind_rows.empty()) {
                pqxx::work tx(cx);  // one COPY, committed on its own
                pg::copy_staging_rows(tx, kind, kind_rows);
                tx.commit();
                kind_rows = {};
            }
        }
    };

    emulate::EventGenerator generator(seed.seed);
    for (std::int64_t i = 0; i < seed.events; ++i) {
        const emulate::GeneratedEvent event = generator.next();
        if (on_event) {
            on_event(event);
        }
        const int partition = static_cast<int>(event.ind % seed.partitions);
        const std::string key = std::to_string(event.ind);
        const std::array<const std::string*, 3> payloads = {&event.pin, &event.geo, &event.user};
        for (size_t k = 0; k < events::event_kind_count; ++k) {
            const events::MessageOrigin at{topics[k], partition, next_offsets[k][partition]++,
                                           seed.first_timestamp_ms + i, key};
            rows[k].append(at, *payloads[k]);
        }
        if ((i + 1) % seed.events_per_copy == 0) {
            flush();
        }
    }
    flush();
    return seed.events;
}

}  // namespace pinpipe::testing
