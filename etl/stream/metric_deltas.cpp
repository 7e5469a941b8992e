#include "stream/metric_deltas.hpp"

namespace pinpipe::stream {
namespace {

bool countable(const std::optional<std::string>& key) {
    return key && key->size() <= max_key_bytes;
}

void count(MinuteCounts& counts, std::string key, int64_t minute, int64_t n = 1) {
    counts[{std::move(key), minute}] += n;
}

void merge_counts(MinuteCounts& into, const MinuteCounts& from) {
    for (const auto& [key, n] : from) {
        into[key] += n;
    }
}

}  // namespace

int64_t minute_of(int64_t epoch_ms) {
    // Floor, not truncation toward zero: timestamps before 1970 belong to the earlier minute.
    int64_t minute = epoch_ms / ms_per_minute;
    if (epoch_ms % ms_per_minute < 0) {
        --minute;
    }
    return minute * ms_per_minute;
}

void merge_poster(PosterDelta& into, const PosterDelta& from) {
    if (into.posts == 0) {
        into = from;
        return;
    }
    into.posts += from.posts;
    into.last_seen_ms = std::max(into.last_seen_ms, from.last_seen_ms);
    if (from.follower_count && (!into.follower_count ||
                                std::pair(from.follower_count_seen_ms, *from.follower_count) >
                                    std::pair(into.follower_count_seen_ms, *into.follower_count))) {
        into.follower_count = from.follower_count;
        into.follower_count_seen_ms = from.follower_count_seen_ms;
    }
}

void MetricDeltas::add_pin(const events::CleanPin& pin, int64_t timestamp_ms) {
    const int64_t minute = minute_of(timestamp_ms);
    count(m_event_minute, "pin", minute);
    if (countable(pin.category)) {
        count(m_category_minute, *pin.category, minute);
    }
    if (countable(pin.poster_name)) {
        PosterDelta delta;
        delta.posts = 1;
        delta.last_seen_ms = timestamp_ms;
        if (pin.follower_count) {
            delta.follower_count = pin.follower_count;
            delta.follower_count_seen_ms = timestamp_ms;
        }
        merge_poster(m_poster_popularity[*pin.poster_name], delta);
    }
}

void MetricDeltas::add_geolocation(const events::CleanGeolocation& geo, int64_t timestamp_ms) {
    const int64_t minute = minute_of(timestamp_ms);
    count(m_event_minute, "geo", minute);
    if (countable(geo.country)) {
        count(m_country_minute, *geo.country, minute);
    }
}

void MetricDeltas::add_user(const events::CleanUser& user, int64_t timestamp_ms) {
    const int64_t minute = minute_of(timestamp_ms);
    count(m_event_minute, "user", minute);
    if (const auto group = events::age_group(user.age)) {
        count(m_age_group_minute, std::string(*group), minute);
    }
}

void MetricDeltas::merge(const MetricDeltas& other) {
    merge_counts(m_event_minute, other.m_event_minute);
    merge_counts(m_category_minute, other.m_category_minute);
    merge_counts(m_country_minute, other.m_country_minute);
    merge_counts(m_age_group_minute, other.m_age_group_minute);
    for (const auto& [name, delta] : other.m_poster_popularity) {
        merge_poster(m_poster_popularity[name], delta);
    }
}

size_t MetricDeltas::rows() const {
    return m_event_minute.size() + m_category_minute.size() + m_country_minute.size() +
           m_age_group_minute.size() + m_poster_popularity.size();
}

}  // namespace pinpipe::stream
