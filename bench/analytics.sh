#!/bin/sh
# Analytics on 1M emulated events: each plain view, each materialized twin read and the full
# refresh, as medians (goals of DESIGN §12: view < 2 s, twin read < 10 ms, refresh < 30 s).
# Seeds a throwaway cluster by COPY (about two minutes), then runs the benchmarks.
#   bench/analytics.sh [build-dir] [extra Google Benchmark flags]
# Environment: PINPIPE_BENCH_EVENTS (default 1000000), PINPIPE_BENCH_SEED (default 42),
# PINPIPE_BENCH_DSN (reuse a database; seeded only when its staging is empty).
set -eu
build_dir=${1:-build}
[ $# -gt 0 ] && shift
cmake --build "$build_dir" --target analytics_bench
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build_dir/bench/analytics_bench" --benchmark_report_aggregates_only=true "$@" |
    grep -E '^-|^Benchmark|_median'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
