#!/usr/bin/env bash
# Where PostgreSQL's time goes when staging keeps the live state (issues #13 and #26, DESIGN §12):
# the server CPU of the same messages \copy'd, one transaction per CHUNK messages as `pinpipe
# load` writes its batches, into
#   lean:              a table with the payload, the Kafka coordinates and the unique key only;
#   staging-no-fold:   staging.<kind>_events with their live-state triggers disabled;
#   partition-no-fold: the same rows straight into the partitions they land in (the default
#                      ones: the rows carry a 2026-01-01 timestamp), triggers disabled:
#                      PostgreSQL 15 copies into a partitioned table that has a transition-table
#                      trigger row by row, into a plain partition with its multi-insert buffers;
#   staging:           staging.<kind>_events with the triggers: the fold into clean.* and the
#                      counts;
#   staging-compare:   (COMPARE_PINPIPE=path) the same into a database migrated by another
#                      pinpipe binary, to compare two versions of the migrations in one session.
# The messages are RECORDS events of `pinpipe emulate`: with MIX=all (the default) a pin, its
# geolocation and its user per ind, re-sends included, each transaction the pins, geolocations
# and users of the same CHUNK / 3 events, one \copy statement per kind (as the loader's batches
# carry an ind's three messages together); with MIX=pins the pins alone, CHUNK per statement.
# Each run empties staging, clean.* and the counts first, then CHECKPOINTs. Server CPU is the
# user + system time of the cluster's processes (the postmaster's reaped children included),
# read from /proc before and after; wall is the whole run. Prints every run and the medians.
# PROFILE=1 then folds the chunks once more with auto_explain (log_analyze, nested statements)
# and prints the fold's time per statement and per CTE (bench/fold_profile.py); instrumented, so
# its milliseconds are dearer than the runs', most of all in the nodes that pass many rows (it
# puts a transition table's scan at 220 ms of the pin folds, where a trigger that only counts its
# transition table's rows costs no more than one that returns at once): read its shares as rough,
# and STAGES=1 for prices.
# STAGES=1 prices the fold's parts without instrumentation: each run also \copy's the chunks into
# four more databases migrated alike, in each of which the fold is cut short by replacing one of
# its functions (stage_functions below), and prints what each part adds to the server CPU (each
# part is a difference of neighbouring modes, so the cluster runs with autovacuum off: an
# autoanalyze of one mode's tables would land in the next mode's window):
#   stage-capture:  the trigger returns at once (PostgreSQL captures the transition table even
#                   for a disabled trigger, so staging-no-fold holds the capture too: this part
#                   is the trigger's call alone);
#   stage-latest:   the trigger reads the latest message per ind, cleaned (every column);
#   stage-clean:    the fold statement without its `changes` and count upserts: the clean rows
#                   written, the replaced rows read back;
#   stage-joins:    the same, with `changes` (the joins to the other kinds) read;
# and staging, the whole fold: its last step is the eleven count upserts. The cut statements plan
# a little differently from the whole one (stage-clean materializes `changed`, and the stages from
# stage-clean on take the fold lock and plan the fold statement, which stage-latest does not).
# Ends with `pinpipe refresh --verify` of the last staging run's answers.
#
# Usage: [MIX=all|pins] [RECORDS=70000 (MIX=pins: 200000)] [CHUNK=20000] [RUNS=3]
#        [COMPARE_PINPIPE=path] [PROFILE=1] [STAGES=1] bench/fold_cost.sh
source "$(dirname "$0")/lib.sh"

if [ "$MIX" = pins ]; then RECORDS=${RECORDS:-200000}; else RECORDS=${RECORDS:-70000}; fi
KIND_COUNT=$(echo $BENCH_KINDS | wc -w)
CHUNK=${CHUNK:-20000}
RUNS=${RUNS:-3}
COMPARE_PINPIPE=${COMPARE_PINPIPE:-}
STAGES=${STAGES:-0}
[ "$STAGES" != 1 ] || BENCH_PG_OPTIONS="${BENCH_PG_OPTIONS:-} -c autovacuum=off"
STAGE_NAMES="capture latest clean joins"

start_postgres
compare_dsn=""
if [ -n "$COMPARE_PINPIPE" ]; then
    bench_psql -c "CREATE DATABASE compare"
    compare_dsn="${BENCH_DSN/dbname=postgres/dbname=compare}"
    "$COMPARE_PINPIPE" migrate --dsn "$compare_dsn" --log-format text >/dev/null 2>&1
fi

# The function replaced in the database of stage $1 (STAGES=1), so that the fold stops there.
stage_functions() {
    case "$1" in
    capture) cat <<'SQL' ;;
CREATE OR REPLACE FUNCTION clean.apply_staging_events() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RETURN NULL; END $$;
SQL
    latest) cat <<'SQL' ;;
CREATE OR REPLACE FUNCTION clean.apply_staging_events() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp SET work_mem = '64MB' SET enable_memoize = off
AS $$
BEGIN
    -- count(b) reads the whole row: no cleaned column is left out as unused.
    EXECUTE 'SELECT count(b) FROM (' || analytics.latest_messages_sql(TG_ARGV[0], 'new_rows') || ') AS b';
    RETURN NULL;
END
$$;
SQL
    clean) cat <<'SQL' ;;
CREATE OR REPLACE FUNCTION analytics.count_deltas_sql() RETURNS text LANGUAGE sql IMMUTABLE
RETURN 'stage AS (SELECT count(c) AS n FROM changed AS c) SELECT n FROM stage';
SQL
    joins) cat <<'SQL' ;;
CREATE OR REPLACE FUNCTION analytics.count_deltas_sql() RETURNS text LANGUAGE sql IMMUTABLE
RETURN 'stage AS (SELECT count(c) AS n FROM changes AS c) SELECT n FROM stage';
SQL
    esac
}
if [ "$STAGES" = 1 ]; then
    for stage in $STAGE_NAMES; do
        bench_psql -c "CREATE DATABASE stage_$stage"
        "$PINPIPE" migrate --dsn "${BENCH_DSN/dbname=postgres/dbname=stage_$stage}" --log-format text >/dev/null
        stage_functions "$stage" | psql -X -q -v ON_ERROR_STOP=1 "${BENCH_DSN/dbname=postgres/dbname=stage_$stage}"
    done
fi
start_broker gen 32

echo "generating $RECORDS events ($BENCH_KINDS)..." >&2
"$PINPIPE" emulate -b "$BENCH_BOOTSTRAP" --topic-prefix gen --count "$RECORDS" --seed 1 >/dev/null
dump_topics "$BENCH_BOOTSTRAP" gen "$BENCH_DIR" "$RECORDS"
events_to_copy_rows "$BENCH_DIR"
# Line i of every kind's file is the same event: the same pieces of each are one transaction.
for kind in $BENCH_KINDS; do
    split -l "$((CHUNK / KIND_COUNT))" -d -a 4 "$BENCH_DIR/$kind.copy" "$BENCH_DIR/chunk.$kind."
done
CHUNKS=$(ls "$BENCH_DIR"/chunk.pin.* | sed 's/.*\.//')
echo "records: $RECORDS events, $((RECORDS * KIND_COUNT)) messages of $BENCH_KINDS in $(echo $CHUNKS | wc -w) transactions of $CHUNK messages" >&2

postmaster=$(head -1 "$BENCH_DIR/pg/postmaster.pid")
ticks=$(getconf CLK_TCK)

# Waits (up to 5 s) until no child of the postmaster started after $1 (a list of pids) is still
# there: a backend's CPU time reaches the postmaster's own (reaped children) only once it has
# exited, some time after its psql did; read before that, the last statement's work was missed.
wait_for_backends() {
    local child waiting
    for _ in $(seq 50); do
        waiting=0
        for child in $(pgrep -P "$postmaster"); do
            case " $1 " in *" $child "*) ;; *) waiting=1 ;; esac
        done
        [ "$waiting" = 1 ] || return 0
        sleep 0.1
    done
}

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

# Every chunk \copy'd, one transaction each with a statement per kind, into database $2: into
# table $3 for every kind, or each kind's staging table (staging) or its default partition
# (partition); printed as $1.
timed_chunks() {
    local what=$1 dsn=$2 table=$3 before start seconds cpu chunk kind target copies children
    children=$(pgrep -P "$postmaster" | tr '\n' ' ')
    empty "$dsn"
    wait_for_backends "$children"
    before=$(server_ticks)
    start=$(date +%s.%N)
    for chunk in $CHUNKS; do
        copies=()
        for kind in $BENCH_KINDS; do
            case "$table" in
            staging) target=$(staging_table "$kind") ;;
            partition) target=$(staging_table "$kind")_default ;;
            *) target=$table ;;
            esac
            copies+=(-c "\\copy $target ($BENCH_COPY_COLUMNS) FROM '$BENCH_DIR/chunk.$kind.$chunk'")
        done
        PGOPTIONS=${CHUNK_PGOPTIONS:-} psql -X -q -1 -v ON_ERROR_STOP=1 "$dsn" "${copies[@]}"
    done
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    wait_for_backends "$children"
    cpu=$(echo "scale=2; ($(server_ticks) - $before) / $ticks" | bc)
    echo "$seconds" >>"$BENCH_DIR/$what.wall"
    echo "$cpu" >>"$BENCH_DIR/$what.cpu"
    printf '%-4s %-18s %8.2f %10.2f\n' "$run" "$what" "$seconds" "$cpu"
}

triggers() {
    local kind
    for kind in pin geo user; do
        bench_psql -c "ALTER TABLE $(staging_table "$kind") $1 TRIGGER apply_to_clean" >/dev/null
    done
}

modes="lean staging-no-fold partition-no-fold staging"
[ -z "$COMPARE_PINPIPE" ] || modes="$modes staging-compare"
[ "$STAGES" != 1 ] || modes="$modes $(printf 'stage-%s ' $STAGE_NAMES)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '%-4s %-18s %8s %10s\n' run what wall_s server_cpu_s
for run in $(seq "$RUNS"); do
    timed_chunks lean "$BENCH_DSN" public.lean
    triggers DISABLE
    timed_chunks staging-no-fold "$BENCH_DSN" staging
    timed_chunks partition-no-fold "$BENCH_DSN" partition
    triggers ENABLE
    timed_chunks staging "$BENCH_DSN" staging
    [ -z "$COMPARE_PINPIPE" ] || timed_chunks staging-compare "$compare_dsn" staging
    if [ "$STAGES" = 1 ]; then
        for stage in $STAGE_NAMES; do
            timed_chunks "stage-$stage" "${BENCH_DSN/dbname=postgres/dbname=stage_$stage}" staging
        done
    fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

lean_cpu=$(median <"$BENCH_DIR/lean.cpu")
for what in $modes; do
    cpu=$(median <"$BENCH_DIR/$what.cpu")
    printf 'median: %-18s wall %6.2f s, server CPU %6.2f s (%.2fx lean)\n' "$what" \
        "$(median <"$BENCH_DIR/$what.wall")" "$cpu" "$(echo "$cpu / $lean_cpu" | bc -l)"
done
no_fold_cpu=$(median <"$BENCH_DIR/staging-no-fold.cpu")
for what in staging ${COMPARE_PINPIPE:+staging-compare}; do
    printf 'median: %s server CPU / staging-no-fold %.2f (the fold costs %.2fx the staging write)\n' "$what" \
        "$(echo "$(median <"$BENCH_DIR/$what.cpu") / $no_fold_cpu" | bc -l)" \
        "$(echo "($(median <"$BENCH_DIR/$what.cpu") - $no_fold_cpu) / $no_fold_cpu" | bc -l)"
done
if [ "$STAGES" = 1 ]; then
    # Each part's price: per run, the server CPU of its stage less the stage before it; the
    # median of the runs, and its share of the whole fold's median.
    fold_cpu=$(echo "$(median <"$BENCH_DIR/staging.cpu") - $no_fold_cpu" | bc -l)
    previous=staging-no-fold
    for what in $(printf 'stage-%s ' $STAGE_NAMES) staging; do
        case "$what" in
        stage-capture) part="the trigger called" ;;
        stage-latest) part="latest message per ind, cleaned" ;;
        stage-clean) part="clean rows written" ;;
        stage-joins) part="joins to the other kinds" ;;
        staging) part="count upserts" ;;
        esac
        price=$(paste "$BENCH_DIR/$what.cpu" "$BENCH_DIR/$previous.cpu" | awk '{ print $1 - $2 }' | median)
        printf 'part:   %-34s %6.2f s of server CPU (%3.0f%% of the fold, %.2fx the staging write)\n' \
            "$part" "$price" "$(echo "100 * $price / $fold_cpu" | bc -l)" "$(echo "$price / $no_fold_cpu" | bc -l)"
        previous=$what
    done
fi
if [ "${PROFILE:-0}" = 1 ]; then
    log_from=$(($(stat -c %s "$BENCH_DIR/pg.log") + 1))
    CHUNK_PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on -c auto_explain.log_nested_statements=on -c auto_explain.log_format=json" \
        timed_chunks staging-profiled "$BENCH_DSN" staging
    tail -c "+$log_from" "$BENCH_DIR/pg.log" | python3 "$BENCH_ROOT/bench/fold_profile.py" --nodes
fi
"$PINPIPE" refresh --verify --dsn "$BENCH_DSN" --log-format text >&2
