// The consuming thread's work per message in pinpipe stream, without Kafka or PostgreSQL:
// validate, clean (DESIGN §6) and aggregate into the batch's metric deltas; and building the
// upsert statements of a batch. Emulated events, so dirty values occur at realistic rates.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "emulate/generator.hpp"
#include "events/cleaning.hpp"
#include "events/validation.hpp"
#include "stream/metric_deltas.hpp"
#include "stream/upsert_sql.hpp"

namespace {

using pinpipe::events::EventKind;

struct Message {
    EventKind kind;
    std::string json;
};

std::vector<Message> emulated_messages(int events) {
    pinpipe::emulate::EventGenerator generator(1);
    std::vector<Message> messages;
    for (int i = 0; i < events; ++i) {
        auto event = generator.next();
        messages.push_back({EventKind::pin, std::move(event.pin)});
        messages.push_back({EventKind::geo, std::move(event.geo)});
        messages.push_back({EventKind::user, std::move(event.user)});
    }
    return messages;
}

// One 100 ms batch at 20,000 events/s: 6,000 messages, then the deltas start over.
void BM_ValidateCleanAggregate(benchmark::State& state) {
    const std::vector<Message> messages = emulated_messages(2000);
    pinpipe::events::EventValidator validator;
    pinpipe::events::EventCleaner cleaner;
    int64_t timestamp = 1'700'000'000'000;
    for (auto _ : state) {
        pinpipe::stream::MetricDeltas deltas;
        for (const Message& msg : messages) {
            if (!validator.validate(msg.kind, msg.json.data(), msg.json.size()).ok) {
                continue;
            }
            ++timestamp;
            switch (msg.kind) {
                case EventKind::pin:
                    deltas.add_pin(cleaner.clean_pin(msg.json), timestamp);
                    break;
                case EventKind::geo:
                    deltas.add_geolocation(cleaner.clean_geolocation(msg.json), timestamp);
                    break;
                case EventKind::user:
                    deltas.add_user(cleaner.clean_user(msg.json), timestamp);
                    break;
            }
        }
        benchmark::DoNotOptimize(deltas.rows());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(messages.size()));
}
BENCHMARK(BM_ValidateCleanAggregate)->Unit(benchmark::kMillisecond);

void BM_UpsertStatementsOfABatch(benchmark::State& state) {
    const std::vector<Message> messages = emulated_messages(2000);
    pinpipe::events::EventCleaner cleaner;
    pinpipe::stream::MetricDeltas deltas;
    int64_t timestamp = 1'700'000'000'000;
    for (const Message& msg : messages) {
        if (msg.kind == EventKind::pin) {
            deltas.add_pin(cleaner.clean_pin(msg.json), timestamp += 10);
        }
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(pinpipe::stream::upsert_statements(deltas));
    }
    state.counters["rows"] = static_cast<double>(deltas.rows());
}
BENCHMARK(BM_UpsertStatementsOfABatch)->Unit(benchmark::kMicrosecond);

}  // namespace
