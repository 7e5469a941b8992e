// One micro-batch's worth of realtime metrics, aggregated in memory: one entry per key, however
// many events carried it (DESIGN §8). Pure: cleaned events and Kafka timestamps in, deltas out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "events/cleaning.hpp"
#include "events/validation.hpp"

namespace pinpipe::stream {

// Keys longer than this are not counted in the table they would key: a btree index entry
// cannot hold an arbitrarily long text, and one such message must not stop the stream.
inline constexpr size_t max_key_bytes = 1024;

inline constexpr int64_t ms_per_minute = 60'000;

// The start of the UTC minute holding a Kafka timestamp (milliseconds since the epoch).
int64_t minute_of(int64_t epoch_ms);

// (key, minute start in epoch ms) -> count.
using MinuteCounts = std::map<std::pair<std::string, int64_t>, int64_t>;

struct PosterDelta {
    int64_t posts = 0;
    // The (timestamp, follower count) of the pin with the latest timestamp that had a count;
    // on equal timestamps the larger count. A maximum, so the result is independent of the
    // order in which partitions and batches are committed.
    std::optional<int64_t> follower_count;
    int64_t follower_count_seen_ms = 0;  // meaningful when follower_count is set
    int64_t last_seen_ms = 0;
};

class MetricDeltas {
  public:
    // Each add counts one valid event at Kafka timestamp timestamp_ms. A NULL cleaned key
    // (no category, no country, no poster name, an age missing or under 18) or one longer
    // than max_key_bytes leaves that table out; event_minute always counts.
    void add_pin(const events::CleanPin& pin, int64_t timestamp_ms);
    void add_geolocation(const events::CleanGeolocation& geo, int64_t timestamp_ms);
    void add_user(const events::CleanUser& user, int64_t timestamp_ms);

    // Folds another batch's deltas into this one, as if its events had been added here.
    void merge(const MetricDeltas& other);

    bool empty() const { return m_event_minute.empty(); }
    // Rows the batch upserts over all tables.
    size_t rows() const;

    const MinuteCounts& event_minute() const { return m_event_minute; }
    const MinuteCounts& category_minute() const { return m_category_minute; }
    const MinuteCounts& country_minute() const { return m_country_minute; }
    const MinuteCounts& age_group_minute() const { return m_age_group_minute; }
    const std::map<std::string, PosterDelta>& poster_popularity() const {
        return m_poster_popularity;
    }

  private:
    MinuteCounts m_event_minute;  // key: pin, geo, user
    MinuteCounts m_category_minute;
    MinuteCounts m_country_minute;
    MinuteCounts m_age_group_minute;
    std::map<std::string, PosterDelta> m_poster_popularity;
};

// Combines two poster deltas (commutative and associative).
void merge_poster(PosterDelta& into, const PosterDelta& from);

}  // namespace pinpipe::stream
