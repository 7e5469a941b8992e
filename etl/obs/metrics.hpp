// Prometheus metrics: a thread-safe registry of counters, gauges and fixed-bucket histograms,
// and a pure renderer of the text exposition format (version 0.0.4) that /metrics serves.
//
// Usage: register once at start-up (registration takes a lock and returns a reference that
// stays valid for the registry's lifetime), then update from any thread without locks:
//
//     obs::MetricsRegistry registry;
//     auto& requests = registry.counter("pinpipe_serve_requests_total", "HTTP requests served",
//                                       {{"route", "topics"}, {"code", "200"}});
//     auto& latency = registry.histogram("pinpipe_serve_request_seconds", "request latency",
//                                        obs::exponential_buckets(0.0005, 2, 14));
//     requests.inc();
//     latency.observe(0.0031);
//     std::string body = registry.render();  // for GET /metrics
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinpipe::obs {

// The Content-Type of the text exposition format, for the HTTP response.
inline constexpr std::string_view prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

// Label pairs in the order they are rendered, e.g. {{"route", "topics"}, {"code", "200"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { counter, gauge, histogram };

// Monotonic; resets only when the process restarts (Prometheus' rate() handles that).
class Counter {
  public:
    void inc(double amount = 1.0);  // amount < 0 is a programmer error (std::invalid_argument)
    double value() const { return m_value.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> m_value{0.0};
};

class Gauge {
  public:
    void set(double value) { m_value.store(value, std::memory_order_relaxed); }
    void add(double amount) { m_value.fetch_add(amount, std::memory_order_relaxed); }
    void sub(double amount) { add(-amount); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> m_value{0.0};
};

// What a histogram holds at one instant: per-bucket counts (not cumulative), the count of
// observations above the last bound, and the sum.
struct HistogramSnapshot {
    std::vector<double> upper_bounds;     // strictly increasing, finite; +Inf is implied
    std::vector<uint64_t> bucket_counts;  // same size as upper_bounds
    uint64_t overflow_count = 0;          // observations > the last bound
    double sum = 0.0;

    uint64_t count() const;
};

// Fixed buckets chosen at registration; observe() is lock-free (one atomic per bucket).
class Histogram {
  public:
    // Bounds must be non-empty, finite and strictly increasing (std::invalid_argument).
    explicit Histogram(std::vector<double> upper_bounds);

    void observe(double value);
    HistogramSnapshot snapshot() const;

  private:
    std::vector<double> m_upper_bounds;
    std::unique_ptr<std::atomic<uint64_t>[]> m_counts;  // size m_upper_bounds.size() + 1
    std::atomic<double> m_sum{0.0};
};

// Bucket helpers: start, start*factor, ... (count bounds); start, start+width, ... (count).
std::vector<double> exponential_buckets(double start, double factor, size_t count);
std::vector<double> linear_buckets(double start, double width, size_t count);

// One labelled series of a family, as rendered.
struct SeriesSnapshot {
    Labels labels;
    double value = 0.0;           // counters and gauges
    HistogramSnapshot histogram;  // histograms
};

struct FamilySnapshot {
    std::string name;
    std::string help;
    MetricType type = MetricType::counter;
    std::vector<SeriesSnapshot> series;
};

// Renders families in the Prometheus text format: HELP and TYPE lines, one sample line per
// series (histograms: cumulative _bucket lines with le, then _sum and _count). Escapes label
// values and help text as the format requires. Pure: the unit tests check it byte for byte.
std::string render_prometheus(const std::vector<FamilySnapshot>& families);

class MetricsRegistry {
  public:
    MetricsRegistry() = default;
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Returns the series with these labels, creating it (and its family) on first use, so
    // registering the same name and labels twice gives the same object. Throws
    // std::invalid_argument for an invalid metric or label name, or a name already registered
    // with another type, help text or (histograms) other buckets.
    Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
    Histogram& histogram(std::string_view name, std::string_view help,
                         const std::vector<double>& upper_bounds, const Labels& labels = {});

    // Families in registration order, series in registration order within a family.
    std::vector<FamilySnapshot> snapshot() const;
    std::string render() const { return render_prometheus(snapshot()); }

  private:
    struct Series {
        Labels labels;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };
    struct Family {
        std::string name;
        std::string help;
        MetricType type;
        std::vector<double> upper_bounds;  // histograms only
        std::deque<Series> series;         // deque: references stay valid as it grows
    };

    Series& series(std::string_view name, std::string_view help, MetricType type,
                   const std::vector<double>& upper_bounds, const Labels& labels);

    mutable std::mutex m_mutex;  // guards the structure, not the values
    std::deque<Family> m_families;
};

}  // namespace pinpipe::obs
