// Generated events into staging by COPY, for tests and benchmarks of the analytics views.
#include "analytics/staging_seed.hpp"

#include <fmt/format.h>

#include <array>
#include <map>

#include "load/copy_encoding.hpp"

namespace pinpipe::analytics {

std::int64_t copy_generated_events(
    pg::Connection& cx, const StagingSeed& seed,
    const std::function<void(const events::GeneratedEvent&)>& on_event) {
    static constexpr std::array<std::string_view, 3> kinds = {"pin", "geo", "user"};
    std::array<std::string, 3> topics;
    for (size_t k = 0; k < kinds.size(); ++k) {
        topics[k] = fmt::format("{}.{}", seed.topic_prefix, kinds[k]);
    }
    std::array<std::string, 3> rows;
    std::array<std::map<int, std::int64_t>, 3> next_offsets;
    const auto flush = [&] {
        for (size_t k = 0; k < kinds.size(); ++k) {
            if (!rows[k].empty()) {
                cx.copy_in(fmt::format("COPY staging.{}_events {} FROM STDIN", kinds[k],
                                       load::staging_copy_columns),
                           rows[k]);
                rows[k].clear();
            }
        }
    };

    events::EventGenerator generator(seed.seed);
    for (std::int64_t i = 0; i < seed.events; ++i) {
        const events::GeneratedEvent event = generator.next();
        if (on_event) {
            on_event(event);
        }
        const int partition = static_cast<int>(event.ind % seed.partitions);
        const std::string key = std::to_string(event.ind);
        const std::array<const std::string*, 3> payloads = {&event.pin, &event.geo, &event.user};
        for (size_t k = 0; k < kinds.size(); ++k) {
            const load::KafkaCoordinates at{topics[k], partition, next_offsets[k][partition]++,
                                            seed.first_timestamp_ms + i, key};
            load::append_staging_row(rows[k], at, *payloads[k]);
        }
        if ((i + 1) % seed.events_per_copy == 0) {
            flush();
        }
    }
    flush();
    return seed.events;
}

}  // namespace pinpipe::analytics
