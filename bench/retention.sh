#!/usr/bin/env bash
# Times `pinpipe retention` dropping a month of staging (issue #14: < 1 s for a month of 10M
# rows). Each run fills a fresh month: ROWS messages (default 10M), a third in each staging
# table, spread evenly over 30 day partitions that end KEEP_DAYS days ago, written with the
# triggers off (retention never reads clean.* or the counts, and seeding through the live state
# would take an hour). ANALYZE=1 (default) vacuums and analyzes the month first, as autovacuum
# will have long before a partition expires; ANALYZE=0 leaves that undone, the worst case:
# retention counts each partition's rows exactly, and each DETACH may wait up to
# deadlock_timeout for an autovacuum of the fresh partition to cancel itself. Prints the wall time of the whole run
# (process start included) and, from the server's statement log, how long the staging tables
# were locked (the detach transactions: loads wait meanwhile) and how long the drops took.
# DROP_CACHES=1 (as root) empties the kernel's page cache before each timed run, as a month-old
# partition would be; BENCH_TMPDIR (bench/lib.sh) chooses the file system of the cluster.
# Usage: [ROWS=10000000] [RUNS=3] [ANALYZE=1] [KEEP_DAYS=7] [DROP_CACHES=1] [BENCH_TMPDIR=DIR]
#        bench/retention.sh [build-dir]
source "$(dirname "$0")/lib.sh"
[ -n "${1:-}" ] && PINPIPE=$1/pinpipe

ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
ANALYZE=${ANALYZE:-1}
KEEP_DAYS=${KEEP_DAYS:-7}
DAYS=30

start_postgres
echo "bench: $ROWS rows over $DAYS days per run, $RUNS runs, analyze=$ANALYZE, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# One month of rows in every staging table, ending KEEP_DAYS days ago; prints seconds taken.
seed_month() {
    local per_table=$((ROWS / 3)) started=$SECONDS
    for table in pin_events geo_events user_events; do
        bench_psql >/dev/null <<SQL
SET session_replication_role = replica;  -- no triggers: the live state is not what is timed
SELECT etl.create_staging_partition('staging.$table', d::date)
FROM generate_series(current_date - $KEEP_DAYS - $DAYS, current_date - $KEEP_DAYS - 1, '1 day') d;
INSERT INTO staging.$table (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, kafka_key, payload)
SELECT 'bench.$table', i % 6, i / 6 + $((RANDOM * 100000000)),
       (current_date - $KEEP_DAYS - $DAYS)::timestamptz + (i::float8 / $per_table) * interval '$DAYS days',
       convert_to(i::text, 'UTF8'),
       jsonb_build_object('index', i, 'unique_id', md5(i::text), 'title', 'A title of some sixty characters for a pin about art and craft',
                          'description', repeat('words of a description ', 8), 'follower_count', '12k',
                          'poster_name', 'Poster ' || (i % 9973), 'tag_list', 'art,craft,diy,home decor',
                          'is_image_or_video', 'image', 'image_src', 'https://i.pinimg.com/originals/' || md5(i::text) || '.jpg',
                          'save_location', 'Local save in /data/art', 'category', 'art', 'downloaded', 1)
FROM generate_series(0, $per_table - 1) i;
SQL
    done
    if [ "$ANALYZE" = 1 ]; then bench_psql -c "VACUUM ANALYZE staging.pin_events, staging.geo_events, staging.user_events"; fi
    bench_psql -c "CHECKPOINT"
    echo $((SECONDS - started))
}

times=()
locked=()
for run in $(seq "$RUNS"); do
    seeded_s=$(seed_month)
    size=$(bench_psql -At -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid WHERE c.relkind = 'r' AND c.relname ~ '_events_p'")
    if [ "${DROP_CACHES:-0}" = 1 ]; then
        # A month-old partition is long out of the page cache; the seed just wrote this one.
        sync
        echo 3 >/proc/sys/vm/drop_caches
    fi
    started=$(date +%s.%N)
    log_start=$(wc -l <"$BENCH_DIR/pg.log")
    # Every statement's duration in the server log, to split the run into the transactions that
    # lock a staging table (detach, default-partition delete) and the drops that lock none.
    PGOPTIONS="-c log_min_duration_statement=0" "$PINPIPE" retention --dsn "$BENCH_DSN" \
        --keep "${KEEP_DAYS}d" --log-format text >"$BENCH_DIR/retention.out"
    elapsed=$(echo "$(date +%s.%N) - $started" | bc)
    split=$(tail -n +"$((log_start + 1))" "$BENCH_DIR/pg.log" | python3 -c '
import re, sys
phase, spent = None, {"locked": 0.0, "drop": 0.0}
for line in sys.stdin:
    m = re.search(r"duration: ([0-9.]+) ms  statement: (.*)", line)
    if not m:
        continue
    ms, sql = float(m.group(1)), m.group(2)
    if sql.startswith("ALTER TABLE") and "DETACH" in sql:
        phase = phase or "locked"
    elif sql.startswith("DROP TABLE"):
        phase = "drop"
    if phase:
        spent[phase] += ms
    if sql.startswith("COMMIT"):
        phase = None
print("staging locked %.3f s, drops %.3f s" % (spent["locked"] / 1000, spent["drop"] / 1000))')
    [ -z "${KEEP_LOG:-}" ] || cp "$BENCH_DIR/pg.log" "$KEEP_LOG"
    dropped=$(tail -1 "$BENCH_DIR/retention.out")
    echo "run $run: seeded in ${seeded_s} s ($size), retention ${elapsed} s ($split): $dropped (load $(cut -d' ' -f1 /proc/loadavg))"
    times+=("$elapsed")
    locked+=("$(echo "$split" | awk '{print $3}')")
done
printf '%s\n' "${locked[@]}" | median | xargs printf 'staging tables locked (loads waiting), median: %s s\n'
printf '%s\n' "${times[@]}" | median | xargs printf 'retention of a month, median of %s runs: %s s\n' "$RUNS"
