#!/usr/bin/env bash
# pinpipe stream: end-to-end latency and throughput (issue #5, DESIGN §12).
#
# Latency: for each rate in RATES (events/s; an event is one pin, one geo and one user message),
#   `pinpipe emulate --rate R` produces R * DURATION events while one `pinpipe stream` runs; the
#   stream's exit line gives p50/p99/max of Kafka timestamp -> commit over every message, and
#   /proc gives the writer's CPU (cores, during the produce window) and peak RSS.
# Throughput: DRAIN_EVENTS events are produced first, then a fresh stream (new group) counts
#   them all; events/s = DRAIN_EVENTS / time to the last commit. This is the ceiling of the
#   sustained rate: live, the producer competes for the same 2 cores.
# Every run checks that realtime.event_minute holds exactly the messages produced.
# TRACE=1 runs the stream with per-batch debug lines and prints after each run where the
#   latency went (producer linger + broker + fetch, batching, writer queue, transaction) and
#   what each part of a batch's transaction cost (bench/stream_trace.py); TRACE_KEEP=DIR keeps
#   the stream's log of every run there.
# EMULATE_ARGS are passed to `pinpipe emulate` (e.g. "-X linger.ms=5" to see the producer's
#   share of the latency; the default linger.ms of emulate is 20).
#
# DRAIN_EMULATE_ARGS are passed to the drain's producer: the mock broker returns one message set
#   per partition per fetch, so the drain rate depends on how large emulate's batches are (e.g.
#   "-X linger.ms=100"). DRAIN_EVENTS=0 skips the drain runs.
# DRAIN_VARIANTS="ARGS|ARGS..." runs each drain once per variant of the stream's arguments, in
#   turn within each run ("-" for none), and prints the median of each: e.g.
#   DRAIN_VARIANTS="-|-X queued.max.messages.kbytes=16384" compares prefetch bounds in one session.
#
# Usage: [RATES="1000 20000"] [DURATION=15] [DRAIN_EVENTS=200000] [RUNS=3] [PARTITIONS=32]
#        [STREAM_ARGS="--min-batch-ms 20"] [EMULATE_ARGS=] [DRAIN_EMULATE_ARGS=] [DRAIN_VARIANTS=]
#        [TRACE=1]
#        bench/stream.sh
source "$(dirname "$0")/lib.sh"

RATES=${RATES-"1000 20000"}  # RATES="" runs only the drain
SECONDS_PER_RATE=${DURATION:-15}
DRAIN_EVENTS=${DRAIN_EVENTS:-200000}
RUNS=${RUNS:-3}
# The mock broker keeps ~5 MB per partition: 32 partitions hold 200k pins of ~600 B.
PARTITIONS=${PARTITIONS:-32}
CLK_TCK=$(getconf CLK_TCK)
TRACE_ARGS=()
if [ "${TRACE:-0}" = 1 ]; then TRACE_ARGS=(--log-level debug --log-format json); fi
trace() {
    if [ "${TRACE:-0}" = 1 ]; then
        python3 "$(dirname "$0")/stream_trace.py" <"$BENCH_DIR/stream.err"
        if [ -n "${TRACE_KEEP:-}" ]; then cp "$BENCH_DIR/stream.err" "$TRACE_KEEP/stream-$1.log"; fi
    fi
}

start_postgres

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
peak_rss_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
streamed() { bench_psql -At -c "SELECT coalesce(sum(events), 0) FROM realtime.event_minute"; }

# Waits until realtime.event_minute counts $1 messages (or fails after 300 s).
wait_streamed() {
    for _ in $(seq 3000); do
        [ "$(streamed)" -ge "$1" ] && return
        sleep 0.1
    done
    echo "bench: stream did not count $1 messages (got $(streamed))" >&2
    exit 1
}

reset_tables() {
    bench_psql -c "TRUNCATE realtime.event_minute, realtime.category_minute, \
        realtime.country_minute, realtime.age_group_minute, realtime.poster_popularity, \
        etl.consumer_offsets, etl.dead_letters, etl.consumer_instances" -c "CHECKPOINT"
}

# stop_stream PID: SIGTERM, wait (not in a subshell: only the parent can wait for it), check
# the summary line in stream.out.
stop_stream() {
    kill -TERM "$1"
    wait "$1" || true
    grep -q "^stream:" "$BENCH_DIR/stream.out" ||
        { echo "bench: stream failed:" >&2; cat "$BENCH_DIR/stream.err" >&2; exit 1; }
}

printf '%-6s %-8s %8s %8s %8s %8s %9s %8s\n' run rate p50_ms p99_ms max_ms cpu_cores rss_mb exact
for rate in $RATES; do
    for run in $(seq "$RUNS"); do
        reset_tables
        prefix="lat${rate}r${run}"
        start_broker "$prefix" "$PARTITIONS"
        broker=$BENCH_BOOTSTRAP
        "$PINPIPE" stream --dsn "$BENCH_DSN" -b "$broker" --topic-prefix "$prefix" \
            --rebalance-ms 1000 ${STREAM_ARGS:-} "${TRACE_ARGS[@]}" >"$BENCH_DIR/stream.out" 2>"$BENCH_DIR/stream.err" &
        pid=$!
        sleep 2  # claims made, partitions assigned: latency excludes start-up
        count=$((rate * SECONDS_PER_RATE))
        ticks_before=$(cpu_ticks "$pid")
        start=$(date +%s.%N)
        "$PINPIPE" emulate -b "$broker" --topic-prefix "$prefix" --count "$count" --rate "$rate" \
            --seed "$run" ${EMULATE_ARGS:-} >/dev/null
        wait_streamed $((3 * count))
        seconds=$(echo "$(date +%s.%N) - $start" | bc)
        cores=$(echo "($(cpu_ticks "$pid") - $ticks_before) / $CLK_TCK / $seconds" | bc -l)
        rss=$(peak_rss_mb "$pid")
        stop_stream "$pid"
        summary=$(grep "^stream:" "$BENCH_DIR/stream.out")
        kill "$BENCH_BROKER_PID" 2>/dev/null || true
        p50=$(sed -E 's/.*p50 ([0-9]+) ms.*/\1/' <<<"$summary")
        p99=$(sed -E 's/.*p99 ([0-9]+) ms.*/\1/' <<<"$summary")
        max=$(sed -E 's/.*max ([0-9]+) ms.*/\1/' <<<"$summary")
        exact=$([ "$(streamed)" -eq $((3 * count)) ] && echo yes || echo NO)
        printf '%-6s %-8s %8s %8s %8s %8.2f %9s %8s\n' "$run" "$rate" "$p50" "$p99" "$max" "$cores" \
            "$rss" "$exact"
        trace "$rate-$run"
        echo "$p50" >>"$BENCH_DIR/p50.$rate"
        echo "$p99" >>"$BENCH_DIR/p99.$rate"
    done
done

if [ "$DRAIN_EVENTS" -gt 0 ]; then
start_broker drain "$PARTITIONS"
generator=$BENCH_BOOTSTRAP
echo "producing $DRAIN_EVENTS events for the drain runs..." >&2
"$PINPIPE" emulate -b "$generator" --topic-prefix drain --count "$DRAIN_EVENTS" --seed 7 \
    ${DRAIN_EMULATE_ARGS:-} >/dev/null
IFS='|' read -ra drain_variants <<<"${DRAIN_VARIANTS:--}"
printf '%-6s %-8s %10s %12s %9s %8s  %s\n' run drain seconds events_per_s rss_mb exact variant
for run in $(seq "$RUNS"); do
    for variant_index in "${!drain_variants[@]}"; do
        variant=${drain_variants[$variant_index]}
        [ "$variant" = - ] && variant=
        reset_tables
        start=$(date +%s.%N)
        "$PINPIPE" stream --dsn "$BENCH_DSN" -b "$generator" --topic-prefix drain \
            ${STREAM_ARGS:-} $variant "${TRACE_ARGS[@]}" >"$BENCH_DIR/stream.out" 2>"$BENCH_DIR/stream.err" &
        pid=$!
        wait_streamed $((3 * DRAIN_EVENTS))
        seconds=$(echo "$(date +%s.%N) - $start" | bc)
        rss=$(peak_rss_mb "$pid")
        stop_stream "$pid"
        exact=$([ "$(streamed)" -eq $((3 * DRAIN_EVENTS)) ] && echo yes || echo NO)
        printf '%-6s %-8s %10.2f %12.0f %9s %8s  %s\n' "$run" "$DRAIN_EVENTS" "$seconds" \
            "$(echo "$DRAIN_EVENTS / $seconds" | bc -l)" "$rss" "$exact" "${variant:--}"
        trace "drain-$run"
        echo "$DRAIN_EVENTS / $seconds" | bc -l >>"$BENCH_DIR/drain.rate.$variant_index"
    done
done
fi

echo
for rate in $RATES; do
    echo "median at $rate events/s: p50 $(median <"$BENCH_DIR/p50.$rate") ms, p99 $(median <"$BENCH_DIR/p99.$rate") ms"
done
if [ "$DRAIN_EVENTS" -gt 0 ]; then
    for variant_index in "${!drain_variants[@]}"; do
        rate=$(median <"$BENCH_DIR/drain.rate.$variant_index")
        printf 'median drain: %.0f events/s (%.0f messages/s)  %s\n' "$rate" "$(echo "3 * $rate" | bc -l)" \
            "${drain_variants[$variant_index]}"
    done
fi
