#!/bin/sh
# The live analytics on 1M emulated events: each answer read, refresh --verify and the rebuild
# from staging, as medians (goals of DESIGN §12: read < 10 ms, verify < 60 s on 1M).
# Seeds a throwaway cluster by COPY into staging with the triggers off, then one rebuild of
# clean.* and the counts (the fast path of a bulk seed), then runs the benchmarks.
#   bench/analytics.sh [build-dir] [extra Google Benchmark flags]
# Environment: PINPIPE_BENCH_EVENTS (default 1000000), PINPIPE_BENCH_SEED (default 42),
# PINPIPE_BENCH_DSN (reuse a database; seeded only when its staging is empty),
# PINPIPE_BENCH_REBUILD=0 (skip the rebuild, the longest step).
set -eu
build_dir=${1:-build}
[ $# -gt 0 ] && shift
cmake --build "$build_dir" --target analytics_bench
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build_dir/bench/analytics_bench" --benchmark_report_aggregates_only=true "$@" |
    grep -E '^-|^Benchmark|_median|_stddev'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
