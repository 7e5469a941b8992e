#include "obs/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pinpipe::obs {
namespace {

bool is_metric_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        const bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && i > 0)) {
            return false;
        }
    }
    return true;
}

bool is_label_name(std::string_view name) {
    // Names starting with "__" are reserved for Prometheus itself; "le" is ours for buckets.
    return is_metric_name(name) && name.find(':') == std::string_view::npos &&
           name.substr(0, 2) != "__";
}

// Numbers as Prometheus parses them (Go's ParseFloat): shortest round-trip form, and the
// spellings +Inf, -Inf and NaN.
std::string format_number(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{}", value);
}

// Label values escape backslash, double quote and newline; HELP text escapes backslash and
// newline only (the format's rules).
void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && escape_quote) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

void append_labels(std::string& out, const Labels& labels, std::string_view le = {}) {
    if (labels.empty() && le.empty()) {
        return;
    }
    out += '{';
    bool first = true;
    for (const auto& [key, value] : labels) {
        if (!first) {
            out += ',';
        }
        first = false;
        out += key;
        out += "=\"";
        append_escaped(out, value, /*escape_quote=*/true);
        out += '"';
    }
    if (!le.empty()) {
        if (!first) {
            out += ',';
        }
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const Labels& labels, double value, std::string_view le = {}) {
    out += name;
    out += suffix;
    append_labels(out, labels, le);
    out += ' ';
    out += format_number(value);
    out += '\n';
}

std::string_view type_name(MetricType type) {
    switch (type) {
        case MetricType::counter:
            return "counter";
        case MetricType::gauge:
            return "gauge";
        case MetricType::histogram:
            return "histogram";
    }
    return "untyped";
}

void add_to(std::atomic<double>& target, double amount) {
    target.fetch_add(amount, std::memory_order_relaxed);
}

}  // namespace

void Counter::inc(double amount) {
    if (!(amount >= 0)) {
        throw std::invalid_argument(
            fmt::format("a counter can only grow, not by {}", format_number(amount)));
    }
    add_to(m_value, amount);
}

uint64_t HistogramSnapshot::count() const {
    uint64_t total = overflow_count;
    for (const uint64_t n : bucket_counts) {
        total += n;
    }
    return total;
}

Histogram::Histogram(std::vector<double> upper_bounds) : m_upper_bounds(std::move(upper_bounds)) {
    if (m_upper_bounds.empty()) {
        throw std::invalid_argument("a histogram needs at least one bucket bound");
    }
    for (size_t i = 0; i < m_upper_bounds.size(); ++i) {
        if (!std::isfinite(m_upper_bounds[i]) ||
            (i > 0 && !(m_upper_bounds[i] > m_upper_bounds[i - 1]))) {
            throw std::invalid_argument(
                "histogram bucket bounds must be finite and strictly increasing");
        }
    }
    m_counts = std::make_unique<std::atomic<uint64_t>[]>(m_upper_bounds.size() + 1);
}

void Histogram::observe(double value) {
    // The first bucket whose bound is >= value (Prometheus buckets are "less or equal").
    const auto it = std::lower_bound(m_upper_bounds.begin(), m_upper_bounds.end(), value);
    const auto index = static_cast<size_t>(it - m_upper_bounds.begin());
    m_counts[index].fetch_add(1, std::memory_order_relaxed);
    add_to(m_sum, value);
}

HistogramSnapshot Histogram::snapshot() const {
    HistogramSnapshot snap;
    snap.upper_bounds = m_upper_bounds;
    snap.bucket_counts.reserve(m_upper_bounds.size());
    for (size_t i = 0; i < m_upper_bounds.size(); ++i) {
        snap.bucket_counts.push_back(m_counts[i].load(std::memory_order_relaxed));
    }
    snap.overflow_count = m_counts[m_upper_bounds.size()].load(std::memory_order_relaxed);
    snap.sum = m_sum.load(std::memory_order_relaxed);
    return snap;
}

std::vector<double> exponential_buckets(double start, double factor, size_t count) {
    if (!(start > 0) || !(factor > 1) || count == 0) {
        throw std::invalid_argument("exponential buckets need start > 0, factor > 1, count > 0");
    }
    std::vector<double> bounds;
    double bound = start;
    for (size_t i = 0; i < count; ++i) {
        bounds.push_back(bound);
        bound *= factor;
    }
    return bounds;
}

std::vector<double> linear_buckets(double start, double width, size_t count) {
    if (!(width > 0) || count == 0) {
        throw std::invalid_argument("linear buckets need width > 0, count > 0");
    }
    std::vector<double> bounds;
    for (size_t i = 0; i < count; ++i) {
        bounds.push_back(start + width * static_cast<double>(i));
    }
    return bounds;
}

std::string render_prometheus(const std::vector<FamilySnapshot>& families) {
    std::string out;
    for (const FamilySnapshot& family : families) {
        out += "# HELP ";
        out += family.name;
        out += ' ';
        append_escaped(out, family.help, /*escape_quote=*/false);
        out += "\n# TYPE ";
        out += family.name;
        out += ' ';
        out += type_name(family.type);
        out += '\n';
        for (const SeriesSnapshot& series : family.series) {
            if (family.type != MetricType::histogram) {
                append_sample(out, family.name, "", series.labels, series.value);
                continue;
            }
            // Bucket lines are cumulative; +Inf equals _count, computed from the same numbers
            // so that a scrape racing with observe() is still self-consistent.
            const HistogramSnapshot& hist = series.histogram;
            uint64_t cumulative = 0;
            for (size_t i = 0; i < hist.upper_bounds.size(); ++i) {
                cumulative += hist.bucket_counts.at(i);
                append_sample(out, family.name, "_bucket", series.labels,
                              static_cast<double>(cumulative), format_number(hist.upper_bounds[i]));
            }
            cumulative += hist.overflow_count;
            append_sample(out, family.name, "_bucket", series.labels,
                          static_cast<double>(cumulative), "+Inf");
            append_sample(out, family.name, "_sum", series.labels, hist.sum);
            append_sample(out, family.name, "_count", series.labels,
                          static_cast<double>(cumulative));
        }
    }
    return out;
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 MetricType type,
                                                 const std::vector<double>& upper_bounds,
                                                 const Labels& labels) {
    if (!is_metric_name(name)) {
        throw std::invalid_argument(fmt::format("invalid Prometheus metric name \"{}\"", name));
    }
    for (const auto& [key, value] : labels) {
        if (!is_label_name(key) || (type == MetricType::histogram && key == "le")) {
            throw std::invalid_argument(
                fmt::format("invalid Prometheus label name \"{}\" on metric {}", key, name));
        }
    }
    const std::lock_guard lock(m_mutex);
    auto family = std::find_if(m_families.begin(), m_families.end(),
                               [&](const Family& f) { return f.name == name; });
    if (family == m_families.end()) {
        m_families.push_back(Family{std::string(name), std::string(help), type, upper_bounds, {}});
        family = std::prev(m_families.end());
    } else if (family->type != type || family->help != help ||
               family->upper_bounds != upper_bounds) {
        throw std::invalid_argument(
            fmt::format("metric {} is already registered as a {} with other help text or buckets",
                        name, type_name(family->type)));
    }
    for (Series& existing : family->series) {
        if (existing.labels == labels) {
            return existing;
        }
    }
    Series& created = family->series.emplace_back();
    created.labels = labels;
    switch (type) {
        case MetricType::counter:
            created.counter = std::make_unique<Counter>();
            break;
        case MetricType::gauge:
            created.gauge = std::make_unique<Gauge>();
            break;
        case MetricType::histogram:
            created.histogram = std::make_unique<Histogram>(upper_bounds);
            break;
    }
    return created;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
    return *series(name, help, MetricType::counter, {}, labels).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
    return *series(name, help, MetricType::gauge, {}, labels).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const std::vector<double>& upper_bounds,
                                      const Labels& labels) {
    // Validate the bounds before the family records them.
    Histogram probe(upper_bounds);
    return *series(name, help, MetricType::histogram, upper_bounds, labels).histogram;
}

std::vector<FamilySnapshot> MetricsRegistry::snapshot() const {
    const std::lock_guard lock(m_mutex);
    std::vector<FamilySnapshot> families;
    families.reserve(m_families.size());
    for (const Family& family : m_families) {
        FamilySnapshot snap{family.name, family.help, family.type, {}};
        for (const Series& s : family.series) {
            SeriesSnapshot series_snap;
            series_snap.labels = s.labels;
            if (s.counter) {
                series_snap.value = s.counter->value();
            } else if (s.gauge) {
                series_snap.value = s.gauge->value();
            } else if (s.histogram) {
                series_snap.histogram = s.histogram->snapshot();
            }
            snap.series.push_back(std::move(series_snap));
        }
        families.push_back(std::move(snap));
    }
    return families;
}

}  // namespace pinpipe::obs
