#!/usr/bin/env bash
# pinpipe load against file-COPY ceilings (issues #3, #13 and #26, DESIGN §12).
#
# Puts RECORDS events of `pinpipe emulate` on 32-partition topics of a mock broker: with MIX=all
# (the default) the seeds' mix, a pin (~575 B), its geolocation and its user per ind, re-sends
# included (3 x RECORDS messages); with MIX=pins the pins alone. Then alternates, RUNS times, in
# one PostgreSQL cluster:
#   lean:    psql \copy of the same payloads from files into a lean table: the Kafka
#            coordinates, the payload and the unique key only (the price of the live state is
#            measured against it);
#   staging: the same \copy's straight into staging.<kind>_events, one statement per kind, their
#            triggers folding the rows into clean.* and the analytics counts (the ceiling of a
#            loader that keeps them);
#   pinpipe: `pinpipe load` (cron mode) from Kafka into staging, once per writer count in
#            WRITERS (`--writers N`).
# Before the staging and each pinpipe run, staging, clean.* and the counts are emptied.
# Prints each run, the medians, the ratios pinpipe/lean and pinpipe/staging per writer count,
# the loader's peak RSS and own CPU time (user + system), and with several writer counts each one's speed-up over the first.
#
# HISTORY=N (issues #13, #14 and #26) repeats the lean and pinpipe runs, after the ones above and
# in the same cluster, on a database already holding N events (3N staging rows, about 0.98N inds
# with their pin, geolocation and user): seeded by COPY into staging with the triggers off, then
# one rebuild of clean.* and the counts, then VACUUM ANALYZE (build/bench/analytics_bench does
# it, and also times the nine answers at that size). The lean table then holds the same 3N rows
# (its \copy'd rows are deleted before each run). Each pinpipe run loads its records from a
# broker of its own with the inds moved so that a fraction HISTORY_OVERLAP (default 0.5) of them
# are inds already in clean.* (the newest ones: history, or an earlier run's), as re-sends and
# late arrivals are, and the rest new: the loaded messages, newer by Kafka timestamp, replace
# those rows (retracting what they counted) and add the others. The staging ceiling is not
# repeated. Prints both pinpipe/lean ratios and the history's over the empty one's, then checks
# the answers with `pinpipe refresh --verify`.
#
# STAGING=unpartitioned (issue #14's comparison) replaces, right after `pinpipe migrate`, the
# three partitioned staging tables by plain tables with the same columns, the same unique key
# and the same statement-level live-state triggers (the views over them re-created from their
# own definitions), as staging was before migration 0031; everything else is the same. Run it
# and the default STAGING=partitioned with the same HISTORY in one session to compare the two
# history/empty ratios.
#
# Usage: [MIX=all|pins] [RECORDS=70000 (MIX=pins: 200000)] [RUNS=5] [WRITERS="1 2"]
#        [LOAD_ARGS="--max-batch-rows N ..."] [HISTORY=1000000] [HISTORY_OVERLAP=0.5]
#        [STAGING=partitioned|unpartitioned] bench/load.sh
source "$(dirname "$0")/lib.sh"

if [ "$MIX" = pins ]; then RECORDS=${RECORDS:-200000}; else RECORDS=${RECORDS:-70000}; fi
MESSAGES=$((RECORDS * $(echo $BENCH_KINDS | wc -w)))
RUNS=${RUNS:-5}
WRITERS=${WRITERS:-default}  # "default": no --writers option (also for older binaries)
HISTORY=${HISTORY:-0}
HISTORY_OVERLAP=${HISTORY_OVERLAP:-0.5}
ANALYTICS_BENCH=${ANALYTICS_BENCH:-$BENCH_ROOT/build/bench/analytics_bench}
if [ "$HISTORY" -gt 0 ] && [ ! -x "$ANALYTICS_BENCH" ]; then
    echo "bench: $ANALYTICS_BENCH not found (build the analytics_bench target)" >&2
    exit 1
fi
STAGING=${STAGING:-partitioned}
case "$STAGING" in
partitioned | unpartitioned) ;;
*) echo "bench: STAGING must be partitioned or unpartitioned, not $STAGING" >&2; exit 1 ;;
esac
PARTITIONS=32

# The three staging tables as plain tables (STAGING=unpartitioned): the partitioned ones are
# renamed, plain ones made with their columns, unique key and non-internal triggers, the views
# that read staging re-created over them from the definitions read before the rename (as
# migration 0031 did the other way), and the partitioned ones dropped.
unpartition_staging() {
    bench_psql <<'EOF'
BEGIN;
SET LOCAL search_path = pg_catalog;
DO $$
DECLARE
    tables regclass[] := ARRAY['staging.pin_events', 'staging.geo_events', 'staging.user_events'];
    kind text;
    old_table regclass;
    key_columns text;
    trigger_definitions text[];
    definition text;
    view_names text[];
    view_definitions text[];
    i int;
BEGIN
    SELECT array_agg(v.view_name ORDER BY v.view_name), array_agg(v.definition ORDER BY v.view_name)
    INTO view_names, view_definitions
    FROM (SELECT DISTINCT c.oid::regclass::text AS view_name, pg_get_viewdef(c.oid) AS definition
          FROM pg_depend d
               JOIN pg_rewrite r ON r.oid = d.objid
               JOIN pg_class c ON c.oid = r.ev_class
          WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
            AND d.refobjid = ANY (tables) AND c.oid <> d.refobjid) v;
    FOREACH kind IN ARRAY ARRAY['pin', 'geo', 'user'] LOOP
        old_table := format('staging.%I', kind || '_events')::regclass;
        SELECT array_agg(pg_get_triggerdef(t.oid) ORDER BY t.tgname) INTO trigger_definitions
        FROM pg_trigger t WHERE t.tgrelid = old_table AND NOT t.tgisinternal;
        SELECT pg_get_constraintdef(k.oid) INTO STRICT key_columns
        FROM pg_constraint k WHERE k.conrelid = old_table AND k.conname = kind || '_events_kafka_message_key';
        EXECUTE format('ALTER TABLE %s RENAME TO %I', old_table, kind || '_events_partitioned');
        EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', old_table,
                       kind || '_events_kafka_message_key', kind || '_events_partitioned_key');
        EXECUTE format('CREATE TABLE staging.%I (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED '
                       'INCLUDING COMMENTS INCLUDING STORAGE INCLUDING COMPRESSION, CONSTRAINT %I %s)',
                       kind || '_events', old_table, kind || '_events_kafka_message_key', key_columns);
        FOREACH definition IN ARRAY coalesce(trigger_definitions, '{}') LOOP
            EXECUTE definition;  -- read before the rename: "ON staging.<kind>_events"
        END LOOP;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(view_names, 1), 0) LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', view_names[i], view_definitions[i]);
    END LOOP;
    FOREACH kind IN ARRAY ARRAY['pin', 'geo', 'user'] LOOP
        EXECUTE format('DROP TABLE staging.%I', kind || '_events_partitioned');
    END LOOP;
END
$$;
COMMIT;
EOF
}

describe_staging() {
    bench_psql -At -c "SELECT 'staging: ' || string_agg(format('%s %s, %s trigger(s)', c.oid::regclass, CASE c.relkind WHEN 'p' THEN 'partitioned' ELSE 'plain' END, (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)), '; ' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace = 'staging'::regnamespace AND c.relname IN ('pin_events', 'geo_events', 'user_events')" >&2
}

start_postgres
[ "$STAGING" = partitioned ] || unpartition_staging
describe_staging
start_broker gen "$PARTITIONS"
generator=$BENCH_BOOTSTRAP
start_broker bench "$PARTITIONS"
broker=$BENCH_BOOTSTRAP

echo "generating $RECORDS events ($BENCH_KINDS)..." >&2
"$PINPIPE" emulate -b "$generator" --topic-prefix gen --count "$RECORDS" --seed 1 >/dev/null
dump_topics "$generator" gen "$BENCH_DIR" "$RECORDS"
produce_topics "$BENCH_DIR" bench "$broker"

# The ceiling's input: the same payloads as COPY text rows of the staging shape.
events_to_copy_rows "$BENCH_DIR"
bytes=$(cat "$BENCH_DIR"/*.copy | wc -c)
resent=$(cut -f1 "$BENCH_DIR/pin.tsv" | sort | uniq -d -c | awk '{ n += $1 - 1 } END { print n + 0 }')
echo "records: $RECORDS events ($resent re-sent), $MESSAGES messages of $BENCH_KINDS, $((bytes / MESSAGES)) bytes per COPY row, $PARTITIONS partitions" >&2

# \copy of the ceiling files, one statement per kind, into table $2 (every kind's rows), or into
# each kind's staging table when $2 is "staging"; timed and printed as run $run, what $1.
timed_copy() {
    local start seconds kind table copies=()
    for kind in $BENCH_KINDS; do
        table=$2
        [ "$table" != staging ] || table=$(staging_table "$kind")
        copies+=(-c "\\copy $table ($BENCH_COPY_COLUMNS) FROM '$BENCH_DIR/$kind.copy'")
    done
    start=$(date +%s.%N)
    bench_psql "${copies[@]}"
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    echo "$seconds" >>"$BENCH_DIR/$1.times"
    printf '%-4s %-15s %10.2f %10.0f %12s %10s\n' "$run" "$1" "$seconds" "$(echo "$MESSAGES / $seconds" | bc -l)" - -
}

# Staging, clean.*, the analytics counts and the loader's bookkeeping emptied.
empty_live_state() {
    bench_psql -c "TRUNCATE staging.pin_events, staging.geo_events, staging.user_events" \
        -c "SELECT analytics.rebuild_live_state()" \
        -c "TRUNCATE etl.consumer_offsets, etl.load_runs, etl.dead_letters" -c "CHECKPOINT" >/dev/null
}

# pinpipe load --writers $1 from broker $2 (prefix $3), timed and printed as run $run, what $4.
timed_load() {
    local seconds rss_kb user_s system_s
    /usr/bin/time -f '%e %M %U %S' -o "$BENCH_DIR/time.out" \
        "$PINPIPE" load --dsn "$BENCH_DSN" -b "$2" --topic-prefix "$3" \
        $([ "$1" = default ] || echo "--writers $1") ${LOAD_ARGS:-} >"$BENCH_DIR/load.out" 2>&1
    grep -q "load: $LOADED rows" "$BENCH_DIR/load.out" || { cat "$BENCH_DIR/load.out" >&2; exit 1; }
    read -r seconds rss_kb user_s system_s <"$BENCH_DIR/time.out"
    echo "$seconds" >>"$BENCH_DIR/$4.times"
    echo "$rss_kb" >>"$BENCH_DIR/$4.rss"
    echo "$user_s + $system_s" | bc >>"$BENCH_DIR/$4.cpu"
    printf '%-4s %-15s %10.2f %10.0f %12.1f %10.2f\n' "$run" "$4" "$seconds" "$(echo "$MESSAGES / $seconds" | bc -l)" "$(echo "$rss_kb / 1024" | bc -l)" "$(echo "$user_s + $system_s" | bc)"
}

# What each load's summary line says it loaded.
if [ "$MIX" = pins ]; then LOADED="$RECORDS pin, 0 geo, 0 user"; else LOADED="$RECORDS pin, $RECORDS geo, $RECORDS user"; fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '%-4s %-15s %10s %10s %12s %10s\n' run what seconds msg/s peak_rss_mb loader_cpu_s
for run in $(seq "$RUNS"); do
    bench_psql -c "DROP TABLE IF EXISTS public.lean" -c "$BENCH_LEAN_TABLE" -c "CHECKPOINT"
    timed_copy lean public.lean

    empty_live_state
    timed_copy staging staging

    for writers in $WRITERS; do
        empty_live_state
        timed_load "$writers" "$broker" bench "pinpipe-$writers"
    done
done
echo "load average after the empty database's runs: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [ "$HISTORY" -gt 0 ]; then
    empty_live_state
    bench_psql -c "DROP TABLE IF EXISTS public.lean"
    kill "$BENCH_BROKER_PID" 2>/dev/null || true # the empty database's broker: its memory back
    echo "seeding $HISTORY events of history..." >&2
    started=$(date +%s.%N)
    PINPIPE_BENCH_DSN="$BENCH_DSN" PINPIPE_BENCH_EVENTS="$HISTORY" "$ANALYTICS_BENCH" \
        --benchmark_filter='^answer/' --benchmark_report_aggregates_only=true |
        grep -E '^-|^Benchmark|_median|_stddev'
    echo "seeded and timed the answers in $(echo "$(date +%s.%N) - $started" | bc) s; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    bench_psql -c "$BENCH_LEAN_TABLE" \
        -c "INSERT INTO public.lean ($BENCH_COPY_COLUMNS) SELECT $BENCH_COPY_COLUMNS FROM staging.pin_events UNION ALL SELECT $BENCH_COPY_COLUMNS FROM staging.geo_events UNION ALL SELECT $BENCH_COPY_COLUMNS FROM staging.user_events" \
        -c "VACUUM ANALYZE public.lean" -c "CHECKPOINT"
    bench_psql -At -c "SELECT 'history: ' || (SELECT count(*) FROM staging.pin_events) || ' staging pins, ' || (SELECT count(*) FROM clean.pins) || ' clean pins, ' || (SELECT count(*) FROM public.lean) || ' lean rows, database ' || pg_size_pretty(pg_database_size(current_database()))" >&2
    printf '%-4s %-15s %10s %10s %12s %10s\n' run what seconds msg/s peak_rss_mb loader_cpu_s
    for run in $(seq "$RUNS"); do
        bench_psql -c "DELETE FROM public.lean WHERE kafka_topic LIKE 'bench.%'" \
            -c "VACUUM public.lean" -c "CHECKPOINT" >/dev/null
        timed_copy lean-hist public.lean

        for writers in $WRITERS; do
            # A fraction HISTORY_OVERLAP of the loaded inds on the newest inds of clean.*, the
            # rest past all of them.
            last_ind=$(bench_psql -At -c "SELECT coalesce(max(ind), -1) FROM clean.pins")
            mkdir -p "$BENCH_DIR/history"
            python3 - "$BENCH_DIR" "$last_ind" "$HISTORY_OVERLAP" $BENCH_KINDS <<'EOF'
import os, re, sys
folder, last_ind, overlap, kinds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
inds = sorted({int(line.split("\t", 1)[0]) for line in open(os.path.join(folder, "pin.tsv"), encoding="utf-8")})
overlapping = round(overlap * len(inds))
# The lowest `overlapping` loaded inds land on the newest inds of clean.*, the others after it.
first_new = inds[overlapping] if overlapping < len(inds) else inds[-1] + 1
shift = last_ind + 1 - first_new
ind_field = re.compile(r'^\{"(index|ind)": ?(\d+)')
for kind in kinds:
    with open(os.path.join(folder, kind + ".tsv"), encoding="utf-8") as source, \
            open(os.path.join(folder, "history", kind + ".tsv"), "w", encoding="utf-8") as out:
        for line in source:
            key, payload = line.rstrip("\n").split("\t", 1)
            payload, n = ind_field.subn(lambda m: '{"%s":%d' % (m.group(1), int(m.group(2)) + shift), payload)
            assert n == 1, payload[:40]
            out.write(f"{int(key) + shift}\t{payload}\n")
EOF
            prefix="hist$run$writers"
            start_broker "$prefix" "$PARTITIONS"
            produce_topics "$BENCH_DIR/history" "$prefix" "$BENCH_BOOTSTRAP"
            bench_psql -c "TRUNCATE etl.consumer_offsets, etl.load_runs, etl.dead_letters" \
                -c "CHECKPOINT" >/dev/null
            timed_load "$writers" "$BENCH_BOOTSTRAP" "$prefix" "pinpipe-$writers-hist"
            kill "$BENCH_BROKER_PID" 2>/dev/null || true
        done
    done
    bench_psql -At -c "SELECT 'history after the runs: ' || count(*) || ' clean pins' FROM clean.pins" >&2
    "$PINPIPE" refresh --verify --dsn "$BENCH_DSN" --log-format text >&2
    echo "load average after the history's runs: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
fi

echo "staging tables: $STAGING"
lean=$(median <"$BENCH_DIR/lean.times")
staging=$(median <"$BENCH_DIR/staging.times")
printf 'median: lean \\copy %.2f s (%.0f msg/s), staging \\copy %.2f s (%.0f msg/s), staging/lean %.2f\n' \
    "$lean" "$(echo "$MESSAGES / $lean" | bc -l)" "$staging" "$(echo "$MESSAGES / $staging" | bc -l)" \
    "$(echo "$lean / $staging" | bc -l)"
first=""
for writers in $WRITERS; do
    loader=$(median <"$BENCH_DIR/pinpipe-$writers.times")
    rss=$(median <"$BENCH_DIR/pinpipe-$writers.rss")
    printf 'median: pinpipe load --writers %s %.2f s (%.0f msg/s); ratios pinpipe/lean %.2f, pinpipe/staging %.2f; peak RSS %.0f MB; the loader'"'"'s own CPU (user + system) %.2f s\n' \
        "$writers" "$loader" "$(echo "$MESSAGES / $loader" | bc -l)" "$(echo "$lean / $loader" | bc -l)" \
        "$(echo "$staging / $loader" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$(median <"$BENCH_DIR/pinpipe-$writers.cpu")"
    if [ -z "$first" ]; then
        first=$loader
    else
        printf 'speed-up of --writers %s over --writers %s: %.2fx (median seconds)\n' \
            "$writers" "${WRITERS%% *}" "$(echo "$first / $loader" | bc -l)"
    fi
done
if [ "$HISTORY" -gt 0 ]; then
    lean_hist=$(median <"$BENCH_DIR/lean-hist.times")
    printf 'median with %s events of history: lean \\copy %.2f s (%.0f msg/s), %.2fx the empty database'"'"'s time\n' \
        "$HISTORY" "$lean_hist" "$(echo "$MESSAGES / $lean_hist" | bc -l)" "$(echo "$lean_hist / $lean" | bc -l)"
    for writers in $WRITERS; do
        loader=$(median <"$BENCH_DIR/pinpipe-$writers.times")
        loader_hist=$(median <"$BENCH_DIR/pinpipe-$writers-hist.times")
        empty_ratio=$(echo "$lean / $loader" | bc -l)
        hist_ratio=$(echo "$lean_hist / $loader_hist" | bc -l)
        printf 'median with history: pinpipe load --writers %s %.2f s (%.0f msg/s), %.2fx the empty database'"'"'s time; pinpipe/lean %.2f (empty database %.2f): history/empty ratio %.2f\n' \
            "$writers" "$loader_hist" "$(echo "$MESSAGES / $loader_hist" | bc -l)" \
            "$(echo "$loader_hist / $loader" | bc -l)" "$hist_ratio" "$empty_ratio" \
            "$(echo "$hist_ratio / $empty_ratio" | bc -l)"
    done
fi
