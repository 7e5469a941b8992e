#!/usr/bin/env bash
# Whole-process benchmark of `pinpipe serve` (issue #6): requests/s, records/s and p99 latency
# with 32 keep-alive connections (wrk, 2 threads) against `pinpipe broker` (librdkafka's mock
# cluster), for 1 record per request and for 100 records per request. Every request is answered
# only after Kafka acknowledged its records, as in production.
#
# Needs: wrk (Debian package `wrk`), a built pinpipe (default build/pinpipe).
# Usage: bench/serve_bench.sh [PINPIPE_BINARY] [DURATION_SECONDS] [RUNS]
# Prints one line per run (with the server's CPU use, 100% = one core, and its context switches
# per request) and the medians. wrk, the broker and the server share the machine's
# cores: on a 2-core machine the figures are those of the whole pipeline, not of serve alone.
set -euo pipefail

binary=${1:-build/pinpipe}
duration=${2:-10}
runs=${3:-3}
connections=32
partitions=12
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
broker_pid=
serve_pid=

cleanup() {
  [[ -n $serve_pid ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [[ -n $broker_pid ]] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "serve_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

"$binary" broker --partitions "$partitions" --topic-prefix bench >"$work/broker.out" 2>"$work/broker.err" &
broker_pid=$!
for _ in $(seq 100); do [[ -s $work/broker.out ]] && break; sleep 0.1; done
bootstrap=$(head -1 "$work/broker.out")

"$binary" serve -b "$bootstrap" --topic-prefix bench --listen 127.0.0.1:0 \
  >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 100); do [[ -s $work/serve.out ]] && break; sleep 0.1; done
url=$(head -1 "$work/serve.out")
echo "broker $bootstrap ($partitions partitions per topic), serve $url, $connections connections, ${duration}s x $runs runs"

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# CPU seconds (user + system) the server process has used so far, and its context switches
# (voluntary + involuntary, every thread): the cost per request that the figures hide.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$serve_pid/stat"; }
switches() { cat /proc/"$serve_pid"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }
ticks_per_second=$(getconf CLK_TCK)

for records in 1 100; do
  : >"$work/rps" ; : >"$work/p99"; : >"$work/rec"; : >"$work/cpu"
  # Warm-up: connections, topic metadata, producer batches.
  SERVE_BENCH_RECORDS=$records SERVE_BENCH_TOPIC=bench.pin \
    wrk -t2 -c"$connections" -d2s -s "$here/serve_requests.lua" "$url" >/dev/null
  for run in $(seq "$runs"); do
    ticks_before=$(cpu_ticks); switches_before=$(switches)
    line=$(SERVE_BENCH_RECORDS=$records SERVE_BENCH_TOPIC=bench.pin \
      wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$here/serve_requests.lua" "$url" |
      grep '^RESULT')
    ticks_after=$(cpu_ticks); switches_after=$(switches)
    requests=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
    seconds=$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$line")
    errors=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$line")
    p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")
    rps=$(awk -v r="$requests" -v s="$seconds" 'BEGIN {printf "%.0f", r / s}')
    recs=$(awk -v r="$requests" -v s="$seconds" -v n="$records" 'BEGIN {printf "%.0f", r * n / s}')
    cpu=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$ticks_per_second" -v s="$seconds" \
      'BEGIN {printf "%.0f", 100 * t / hz / s}')
    per_request=$(awk -v c=$((switches_after - switches_before)) -v r="$requests" \
      'BEGIN {printf "%.2f", c / r}')
    echo "records/request=$records run=$run requests/s=$rps records/s=$recs p99_ms=$p99 errors=$errors serve_cpu%=$cpu switches/request=$per_request"
    echo "$rps" >>"$work/rps"; echo "$p99" >>"$work/p99"; echo "$recs" >>"$work/rec"; echo "$cpu" >>"$work/cpu"
  done
  echo "MEDIAN records/request=$records requests/s=$(median <"$work/rps") records/s=$(median <"$work/rec") p99_ms=$(median <"$work/p99") serve_cpu%=$(median <"$work/cpu")"
done
grep -E 'pinpipe_serve_records_total' <(curl -s "$url/metrics") || true
