#!/usr/bin/env bash
# pinpipe load against file-COPY ceilings (issues #3 and #13, DESIGN §12).
#
# Puts RECORDS keyed pin records (~575 B each, from `pinpipe emulate`) on a 32-partition topic of
# a mock broker, then alternates, RUNS times, in one PostgreSQL cluster:
#   lean:    psql \copy of the same payloads from a file into a lean table: the Kafka coordinates,
#            the payload and the unique key only (the price of the live state is measured
#            against it);
#   staging: the same \copy straight into staging.pin_events, its trigger folding the rows into
#            clean.pins and the analytics counts (the ceiling of a loader that keeps them);
#   pinpipe: `pinpipe load` (cron mode) from Kafka into staging.pin_events, once per writer count
#            in WRITERS (`--writers N`).
# Before the staging and each pinpipe run, staging, clean.* and the counts are emptied.
# Prints each run, the medians, the ratios pinpipe/lean and pinpipe/staging per writer count,
# the loader's peak RSS, and with several writer counts each one's speed-up over the first.
#
# Usage: [RECORDS=200000] [RUNS=5] [WRITERS="1 2"] [LOAD_ARGS="--max-batch-rows N ..."] bench/load.sh
source "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-200000}
RUNS=${RUNS:-5}
WRITERS=${WRITERS:-default}  # "default": no --writers option (also for older binaries)
PARTITIONS=32

start_postgres
start_broker gen "$PARTITIONS"
generator=$BENCH_BOOTSTRAP
start_broker bench "$PARTITIONS"
broker=$BENCH_BOOTSTRAP

echo "generating $RECORDS pin records..." >&2
"$PINPIPE" emulate -b "$generator" --topic-prefix gen --count "$RECORDS" --seed 1 >/dev/null
kcat -C -b "$generator" -t gen.pin -e -q -f '%k\t%s\n' >"$BENCH_DIR/pins.tsv"
[ "$(wc -l <"$BENCH_DIR/pins.tsv")" = "$RECORDS" ] || { echo "bench: generator lost records" >&2; exit 1; }
# Batched like emulate's producer: the mock broker returns one message set per fetch.
kcat -P -b "$broker" -t bench.pin -K '\t' -l -X linger.ms=20 -X batch.size=1000000 \
    "$BENCH_DIR/pins.tsv"

# The ceiling's input: the same payloads as COPY text rows of the staging shape.
python3 - "$BENCH_DIR/pins.tsv" "$BENCH_DIR/ceiling.copy" <<'EOF'
import sys
with open(sys.argv[1], encoding="utf-8") as source, open(sys.argv[2], "w", encoding="utf-8") as out:
    for offset, line in enumerate(source):
        key, payload = line.rstrip("\n").split("\t", 1)
        payload = payload.replace("\\", "\\\\")
        out.write(f"bench.pin\t0\t{offset}\t2026-01-01 00:00:00+00\t\\\\x{key.encode().hex()}\t{payload}\n")
EOF
bytes=$(stat -c %s "$BENCH_DIR/ceiling.copy")
echo "records: $RECORDS pins, $((bytes / RECORDS)) bytes per COPY row, $PARTITIONS partitions" >&2

columns="kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, kafka_key, payload"

# \copy of the ceiling file into table $2, timed and printed as run $run, what $1.
timed_copy() {
    local start seconds
    start=$(date +%s.%N)
    bench_psql -c "\\copy $2 ($columns) FROM '$BENCH_DIR/ceiling.copy'"
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    echo "$seconds" >>"$BENCH_DIR/$1.times"
    printf '%-4s %-10s %10.2f %10.0f %12s\n' "$run" "$1" "$seconds" "$(echo "$RECORDS / $seconds" | bc -l)" -
}

# Staging, clean.*, the analytics counts and the loader's bookkeeping emptied.
empty_live_state() {
    bench_psql -c "TRUNCATE staging.pin_events, staging.geo_events, staging.user_events" \
        -c "SELECT analytics.rebuild_live_state()" \
        -c "TRUNCATE etl.consumer_offsets, etl.load_runs, etl.dead_letters" -c "CHECKPOINT" >/dev/null
}

printf '%-4s %-10s %10s %10s %12s\n' run what seconds rows/s peak_rss_mb
for run in $(seq "$RUNS"); do
    bench_psql -c "DROP TABLE IF EXISTS public.lean" \
        -c "CREATE TABLE public.lean (kafka_topic text NOT NULL, kafka_partition int NOT NULL, kafka_offset bigint NOT NULL, kafka_timestamp timestamptz, kafka_key bytea, payload jsonb NOT NULL, UNIQUE (kafka_topic, kafka_partition, kafka_offset))" \
        -c "CHECKPOINT"
    timed_copy lean public.lean

    empty_live_state
    timed_copy staging staging.pin_events

    for writers in $WRITERS; do
        empty_live_state
        /usr/bin/time -f '%e %M' -o "$BENCH_DIR/time.out" \
            "$PINPIPE" load --dsn "$BENCH_DSN" -b "$broker" --topic-prefix bench \
            $([ "$writers" = default ] || echo "--writers $writers") ${LOAD_ARGS:-} >"$BENCH_DIR/load.out" 2>&1
        grep -q "load: $RECORDS pin" "$BENCH_DIR/load.out" || { cat "$BENCH_DIR/load.out" >&2; exit 1; }
        read -r seconds rss_kb <"$BENCH_DIR/time.out"
        echo "$seconds" >>"$BENCH_DIR/load$writers.times"
        echo "$rss_kb" >>"$BENCH_DIR/load$writers.rss"
        printf '%-4s %-10s %10.2f %10.0f %12.1f\n' "$run" "pinpipe/$writers" "$seconds" "$(echo "$RECORDS / $seconds" | bc -l)" "$(echo "$rss_kb / 1024" | bc -l)"
    done
done

lean=$(median <"$BENCH_DIR/lean.times")
staging=$(median <"$BENCH_DIR/staging.times")
printf 'median: lean \\copy %.2f s (%.0f rows/s), staging \\copy %.2f s (%.0f rows/s), staging/lean %.2f\n' \
    "$lean" "$(echo "$RECORDS / $lean" | bc -l)" "$staging" "$(echo "$RECORDS / $staging" | bc -l)" \
    "$(echo "$lean / $staging" | bc -l)"
first=""
for writers in $WRITERS; do
    loader=$(median <"$BENCH_DIR/load$writers.times")
    rss=$(median <"$BENCH_DIR/load$writers.rss")
    printf 'median: pinpipe load --writers %s %.2f s (%.0f rows/s); ratios pinpipe/lean %.2f, pinpipe/staging %.2f; peak RSS %.0f MB\n' \
        "$writers" "$loader" "$(echo "$RECORDS / $loader" | bc -l)" "$(echo "$lean / $loader" | bc -l)" \
        "$(echo "$staging / $loader" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
    if [ -z "$first" ]; then
        first=$loader
    else
        printf 'speed-up of --writers %s over --writers %s: %.2fx (median seconds)\n' \
            "$writers" "${WRITERS%% *}" "$(echo "$first / $loader" | bc -l)"
    fi
done
