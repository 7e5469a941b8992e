#!/usr/bin/env bash
# Where PostgreSQL's time goes when staging keeps the live state (issue #13, DESIGN §12): the
# server CPU of the same pins \copy'd, CHUNK rows per statement, into
#   lean:            a table with the payload, the Kafka coordinates and the unique key only;
#   staging-no-fold: staging.pin_events with its live-state trigger disabled;
#   partition-no-fold: the same rows straight into the partition they land in (the default
#                    one: the rows carry a 2026-01-01 timestamp), trigger disabled: PostgreSQL 15
#                    copies into a partitioned table that has a transition-table trigger row by
#                    row, into a plain partition with its multi-insert buffers;
#   staging:         staging.pin_events with the trigger: the fold into clean.* and the counts;
#   staging-compare: (COMPARE_PINPIPE=path) the same into a database migrated by another pinpipe
#                    binary, to compare two versions of the migrations in one session.
# Each run empties staging, clean.* and the counts first, then CHECKPOINTs. Server CPU is the
# user + system time of the cluster's processes (the postmaster's reaped children included),
# read from /proc before and after; wall is the whole run. Prints every run and the medians.
#
# Usage: [RECORDS=200000] [CHUNK=20000] [RUNS=3] [COMPARE_PINPIPE=path] bench/fold_cost.sh
source "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-200000}
CHUNK=${CHUNK:-20000}
RUNS=${RUNS:-3}
COMPARE_PINPIPE=${COMPARE_PINPIPE:-}

start_postgres
compare_dsn=""
if [ -n "$COMPARE_PINPIPE" ]; then
    bench_psql -c "CREATE DATABASE compare"
    compare_dsn="${BENCH_DSN/dbname=postgres/dbname=compare}"
    "$COMPARE_PINPIPE" migrate --dsn "$compare_dsn" --log-format text >/dev/null 2>&1
fi
start_broker gen 32

echo "generating $RECORDS pin records..." >&2
"$PINPIPE" emulate -b "$BENCH_BOOTSTRAP" --topic-prefix gen --count "$RECORDS" --seed 1 >/dev/null
kcat -C -b "$BENCH_BOOTSTRAP" -t gen.pin -e -q -f '%k\t%s\n' >"$BENCH_DIR/pins.tsv"
[ "$(wc -l <"$BENCH_DIR/pins.tsv")" = "$RECORDS" ] || { echo "bench: generator lost records" >&2; exit 1; }
pins_to_copy_rows "$BENCH_DIR/pins.tsv" "$BENCH_DIR/rows.copy"
split -l "$CHUNK" -d -a 4 "$BENCH_DIR/rows.copy" "$BENCH_DIR/chunk."
echo "records: $RECORDS pins in $(ls "$BENCH_DIR"/chunk.* | wc -l) statements of $CHUNK rows" >&2

postmaster=$(head -1 "$BENCH_DIR/pg/postmaster.pid")
ticks=$(getconf CLK_TCK)

# CPU ticks of the cluster: the postmaster with its reaped children, and its live children.
server_ticks() {
    local total fields child
    read -r -a fields < <(cut -d' ' -f14-17 "/proc/$postmaster/stat")
    total=$((fields[0] + fields[1] + fields[2] + fields[3]))
    for child in $(pgrep -P "$postmaster"); do
        read -r -a fields < <(cut -d' ' -f14-15 "/proc/$child/stat" 2>/dev/null || echo 0 0)
        total=$((total + fields[0] + fields[1]))
    done
    echo "$total"
}

empty() {
    psql -X -q -v ON_ERROR_STOP=1 "$1" -c "SET client_min_messages = warning" \
        -c "DROP TABLE IF EXISTS public.lean" -c "$BENCH_LEAN_TABLE" \
        -c "TRUNCATE staging.pin_events, staging.geo_events, staging.user_events" \
        -c "SELECT analytics.rebuild_live_state()" -c "CHECKPOINT" >/dev/null
}

# Every chunk \copy'd into table $3 of database $2, one statement each; printed as $1.
timed_chunks() {
    local what=$1 dsn=$2 table=$3 before start seconds cpu chunk
    empty "$dsn"
    before=$(server_ticks)
    start=$(date +%s.%N)
    for chunk in "$BENCH_DIR"/chunk.*; do
        psql -X -q -v ON_ERROR_STOP=1 "$dsn" -c "\\copy $table ($BENCH_COPY_COLUMNS) FROM '$chunk'"
    done
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    cpu=$(echo "scale=2; ($(server_ticks) - $before) / $ticks" | bc)
    echo "$seconds" >>"$BENCH_DIR/$what.wall"
    echo "$cpu" >>"$BENCH_DIR/$what.cpu"
    printf '%-4s %-18s %8.2f %10.2f\n' "$run" "$what" "$seconds" "$cpu"
}

trigger() {
    bench_psql -c "ALTER TABLE staging.pin_events $1 TRIGGER apply_to_clean" >/dev/null
}

modes="lean staging-no-fold partition-no-fold staging"
[ -z "$COMPARE_PINPIPE" ] || modes="$modes staging-compare"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '%-4s %-18s %8s %10s\n' run what wall_s server_cpu_s
for run in $(seq "$RUNS"); do
    timed_chunks lean "$BENCH_DSN" public.lean
    trigger DISABLE
    timed_chunks staging-no-fold "$BENCH_DSN" staging.pin_events
    timed_chunks partition-no-fold "$BENCH_DSN" staging.pin_events_default
    trigger ENABLE
    timed_chunks staging "$BENCH_DSN" staging.pin_events
    [ -z "$COMPARE_PINPIPE" ] || timed_chunks staging-compare "$compare_dsn" staging.pin_events
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

lean_cpu=$(median <"$BENCH_DIR/lean.cpu")
for what in $modes; do
    cpu=$(median <"$BENCH_DIR/$what.cpu")
    printf 'median: %-18s wall %6.2f s, server CPU %6.2f s (%.2fx lean)\n' "$what" \
        "$(median <"$BENCH_DIR/$what.wall")" "$cpu" "$(echo "$cpu / $lean_cpu" | bc -l)"
done
