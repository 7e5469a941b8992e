#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace pinpipe::obs {
namespace {

TEST(PrometheusRender, CounterAndGaugeWithHelpAndType) {
    MetricsRegistry registry;
    registry.counter("jobs_total", "jobs done").inc(3);
    registry.gauge("queue_depth", "messages waiting").set(-2.5);
    EXPECT_EQ(registry.render(),
              "# HELP jobs_total jobs done\n"
              "# TYPE jobs_total counter\n"
              "jobs_total 3\n"
              "# HELP queue_depth messages waiting\n"
              "# TYPE queue_depth gauge\n"
              "queue_depth -2.5\n");
}

TEST(PrometheusRender, LabelledSeriesShareOneFamilyInRegistrationOrder) {
    MetricsRegistry registry;
    registry.counter("http_requests_total", "requests", {{"route", "topics"}, {"code", "200"}})
        .inc();
    registry.counter("http_requests_total", "requests", {{"route", "topics"}, {"code", "404"}})
        .inc(2);
    EXPECT_EQ(registry.render(),
              "# HELP http_requests_total requests\n"
              "# TYPE http_requests_total counter\n"
              "http_requests_total{route=\"topics\",code=\"200\"} 1\n"
              "http_requests_total{route=\"topics\",code=\"404\"} 2\n");
}

TEST(PrometheusRender, SameNameAndLabelsReturnTheSameSeries) {
    MetricsRegistry registry;
    Counter& first = registry.counter("c_total", "c", {{"k", "v"}});
    Counter& second = registry.counter("c_total", "c", {{"k", "v"}});
    EXPECT_EQ(&first, &second);
}

TEST(PrometheusRender, EscapesLabelValuesAndHelp) {
    MetricsRegistry registry;
    registry.gauge("g", "help with \\ and\nnewline \"quoted\"", {{"path", "a\"b\\c\nd"}}).set(1);
    EXPECT_EQ(registry.render(),
              "# HELP g help with \\\\ and\\nnewline \"quoted\"\n"
              "# TYPE g gauge\n"
              "g{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(PrometheusRender, HistogramBucketsAreCumulativeWithInfSumAndCount) {
    MetricsRegistry registry;
    Histogram& hist =
        registry.histogram("latency_seconds", "latency", {0.1, 0.5, 1}, {{"route", "pin"}});
    hist.observe(0.05);
    hist.observe(0.1);  // on the bound: counts in le="0.1"
    hist.observe(0.7);
    hist.observe(3);
    EXPECT_EQ(registry.render(),
              "# HELP latency_seconds latency\n"
              "# TYPE latency_seconds histogram\n"
              "latency_seconds_bucket{route=\"pin\",le=\"0.1\"} 2\n"
              "latency_seconds_bucket{route=\"pin\",le=\"0.5\"} 2\n"
              "latency_seconds_bucket{route=\"pin\",le=\"1\"} 3\n"
              "latency_seconds_bucket{route=\"pin\",le=\"+Inf\"} 4\n"
              "latency_seconds_sum{route=\"pin\"} 3.85\n"
              "latency_seconds_count{route=\"pin\"} 4\n");
}

TEST(PrometheusRender, SpecialValuesUsePrometheusSpelling) {
    std::vector<FamilySnapshot> families{
        {"g",
         "h",
         MetricType::gauge,
         {{{{"v", "inf"}}, std::numeric_limits<double>::infinity(), {}},
          {{{"v", "-inf"}}, -std::numeric_limits<double>::infinity(), {}},
          {{{"v", "nan"}}, std::nan(""), {}}}}};
    EXPECT_EQ(render_prometheus(families),
              "# HELP g h\n# TYPE g gauge\n"
              "g{v=\"inf\"} +Inf\ng{v=\"-inf\"} -Inf\ng{v=\"nan\"} NaN\n");
}

TEST(PrometheusRender, EmptyRegistryRendersNothing) {
    EXPECT_EQ(MetricsRegistry().render(), "");
}

TEST(MetricsRegistry, RejectsInvalidNamesAndConflictingRegistrations) {
    MetricsRegistry registry;
    EXPECT_THROW(registry.counter("1starts_with_digit", "h"), std::invalid_argument);
    EXPECT_THROW(registry.counter("has-dash", "h"), std::invalid_argument);
    EXPECT_THROW(registry.counter("ok", "h", {{"__reserved", "x"}}), std::invalid_argument);
    EXPECT_THROW(registry.counter("ok", "h", {{"with:colon", "x"}}), std::invalid_argument);
    EXPECT_THROW(registry.histogram("hist", "h", {1, 2}, {{"le", "x"}}), std::invalid_argument);
    registry.counter("taken", "h");
    EXPECT_THROW(registry.gauge("taken", "h"), std::invalid_argument);
    EXPECT_THROW(registry.counter("taken", "other help"), std::invalid_argument);
    registry.histogram("buckets", "h", {1, 2});
    EXPECT_THROW(registry.histogram("buckets", "h", {1, 3}), std::invalid_argument);
}

TEST(MetricsRegistry, RejectsBadBucketsAndNegativeCounterSteps) {
    MetricsRegistry registry;
    EXPECT_THROW(registry.histogram("h1", "h", {}), std::invalid_argument);
    EXPECT_THROW(registry.histogram("h2", "h", {2, 1}), std::invalid_argument);
    EXPECT_THROW(registry.histogram("h3", "h", {1, 1}), std::invalid_argument);
    EXPECT_THROW(registry.histogram("h4", "h", {1, std::numeric_limits<double>::infinity()}),
                 std::invalid_argument);
    EXPECT_THROW(registry.counter("c", "h").inc(-1), std::invalid_argument);
    EXPECT_EQ(registry.render(), "# HELP c h\n# TYPE c counter\nc 0\n");
}

TEST(Buckets, ExponentialAndLinear) {
    EXPECT_EQ(exponential_buckets(0.001, 10, 4), (std::vector<double>{0.001, 0.01, 0.1, 1}));
    EXPECT_EQ(linear_buckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
    EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
    EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
    EXPECT_THROW(linear_buckets(0, 0, 3), std::invalid_argument);
}

TEST(MetricsRegistry, ConcurrentUpdatesAreAllCounted) {
    MetricsRegistry registry;
    constexpr int threads = 4;
    constexpr int per_thread = 20000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&registry] {
            // Registration races too: every thread must get the same series.
            Counter& counter = registry.counter("events_total", "events");
            Gauge& gauge = registry.gauge("in_flight", "in flight");
            Histogram& hist = registry.histogram("size", "size", {10, 100});
            for (int i = 0; i < per_thread; ++i) {
                counter.inc();
                gauge.add(1);
                gauge.sub(1);
                hist.observe(i % 200);
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    EXPECT_EQ(registry.counter("events_total", "events").value(), threads * per_thread);
    EXPECT_EQ(registry.gauge("in_flight", "in flight").value(), 0);
    const HistogramSnapshot snap = registry.histogram("size", "size", {10, 100}).snapshot();
    EXPECT_EQ(snap.count(), uint64_t{threads} * per_thread);
    // i % 200 over 20000 values: 11 of every 200 are <= 10, 90 more are <= 100.
    EXPECT_EQ(snap.bucket_counts[0], uint64_t{threads} * 100 * 11);
    EXPECT_EQ(snap.bucket_counts[1], uint64_t{threads} * 100 * 90);
    EXPECT_EQ(snap.overflow_count, uint64_t{threads} * 100 * 99);
}

}  // namespace
}  // namespace pinpipe::obs
