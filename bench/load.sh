#!/usr/bin/env bash
# pinpipe load against the file-COPY ceiling (issue #3, DESIGN §12).
#
# Puts RECORDS keyed pin records (~575 B each, from `pinpipe emulate`) on a 32-partition topic of
# a mock broker, then alternates, RUNS times, in one PostgreSQL cluster:
#   ceiling: psql \copy of the same payloads from a file into a table LIKE staging.pin_events
#            (same columns, indexes and unique key);
#   pinpipe: `pinpipe load` (cron mode) from Kafka into staging.pin_events, from scratch, once
#            per writer count in WRITERS (`--writers N`).
# Prints each run, the medians, the ratio pinpipe/ceiling, and the loader's peak RSS; with
# several writer counts also each one's speed-up over the first.
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
printf '%-4s %-10s %10s %10s %12s\n' run what seconds rows/s peak_rss_mb
for run in $(seq "$RUNS"); do
    bench_psql -c "DROP TABLE IF EXISTS public.ceiling" \
        -c "CREATE TABLE public.ceiling (LIKE staging.pin_events INCLUDING ALL)" -c "CHECKPOINT"
    start=$(date +%s.%N)
    bench_psql -c "\\copy public.ceiling ($columns) FROM '$BENCH_DIR/ceiling.copy'"
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    echo "$seconds" >>"$BENCH_DIR/ceiling.times"
    printf '%-4s %-10s %10.2f %10.0f %12s\n' "$run" ceiling "$seconds" "$(echo "$RECORDS / $seconds" | bc -l)" -

    for writers in $WRITERS; do
        bench_psql -c "TRUNCATE staging.pin_events, staging.geo_events, staging.user_events" \
            -c "TRUNCATE etl.consumer_offsets, etl.load_runs, etl.dead_letters" -c "CHECKPOINT"
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

ceiling=$(median <"$BENCH_DIR/ceiling.times")
first=""
for writers in $WRITERS; do
    loader=$(median <"$BENCH_DIR/load$writers.times")
    rss=$(median <"$BENCH_DIR/load$writers.rss")
    printf 'median: ceiling %.2f s (%.0f rows/s), pinpipe load --writers %s %.2f s (%.0f rows/s), ratio %.2f, peak RSS %.0f MB\n' \
        "$ceiling" "$(echo "$RECORDS / $ceiling" | bc -l)" "$writers" "$loader" "$(echo "$RECORDS / $loader" | bc -l)" \
        "$(echo "$ceiling / $loader" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
    if [ -z "$first" ]; then
        first=$loader
    else
        printf 'speed-up of --writers %s over --writers %s: %.2fx (median seconds)\n' \
            "$writers" "${WRITERS%% *}" "$(echo "$first / $loader" | bc -l)"
    fi
done
