#!/usr/bin/env bash
# pinpipe load --follow: how soon an event shows in the answers after its Kafka timestamp
# (issue #13, DESIGN §12: < 1 s at p99).
#
# Per run: a fresh mock broker, one `pinpipe load --follow` (default batching unless LOAD_ARGS),
# then `pinpipe emulate --rate RATE` for DURATION seconds. Meanwhile a poller on a connection of
# its own (a PostgreSQL procedure that commits after every poll) records, every POLL_MS, which
# clean.pins, clean.geolocations and clean.users rows have become visible, with the clock time
# taken just before the poll's snapshot. The live counts behind the answers change in the same
# transaction as clean.*, so a row visible there is an event counted in the answers.
#   latency = visible_at - kafka_timestamp, per message (pin, geo, user) and per event (the last
#   of its three messages visible - the earliest of their Kafka timestamps).
# visible_at is an upper bound of the commit time: the commit lies between the previous poll's
# snapshot and this one's, so the resolution is POLL_MS plus one poll's duration (printed as
# the largest gap between polls). staging.loaded_at is not used: it is the transaction's start.
# A re-sent event counts once, at its first appearance. DETAIL=1 also prints, per run, the
# latency per second of Kafka time, the poll gaps' p50/p99 and the staged inds; TRACE_KEEP=DIR
# keeps the loader's log of every run there (with LOAD_ARGS="--log-level debug": each batch's
# size and COPY and commit times).
#
# VARIANTS="A|B|..." runs the loader once per variant in every run, interleaved, with the
# variant's options after LOAD_ARGS ("-" for none), and prints each variant's medians.
#
# Usage: [RATE=1000] [DURATION=20] [RUNS=3] [POLL_MS=20] [PARTITIONS=32] [LOAD_ARGS=] [DETAIL=1]
#        [TRACE_KEEP=DIR] [VARIANTS="-|--max-batch-ms 250"] bench/follow_latency.sh
source "$(dirname "$0")/lib.sh"

RATE=${RATE:-1000}
DURATION=${DURATION:-20}
RUNS=${RUNS:-3}
POLL_MS=${POLL_MS:-20}
VARIANTS=${VARIANTS:--}
IFS='|' read -r -a variants <<<"$VARIANTS"
PARTITIONS=${PARTITIONS:-32}

start_postgres

bench_psql <<'EOF'
CREATE TABLE public.bench_seen (
    kind text NOT NULL, ind bigint NOT NULL, kafka_timestamp timestamptz, visible_at timestamptz NOT NULL,
    PRIMARY KEY (kind, ind));
CREATE TABLE public.bench_polls (at timestamptz NOT NULL);
CREATE TABLE public.bench_stop (stop boolean);
CREATE PROCEDURE public.bench_poll(interval_s double precision)
LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz;
BEGIN
    LOOP
        -- Read just before the statement's snapshot: an upper bound of the commits it sees
        -- (one statement, so one snapshot for the three tables).
        t := clock_timestamp();
        INSERT INTO public.bench_seen
        SELECT c.kind, c.ind, c.kafka_timestamp, t
        FROM (SELECT 'pin' AS kind, ind, kafka_timestamp FROM clean.pins
              UNION ALL SELECT 'geo', ind, kafka_timestamp FROM clean.geolocations
              UNION ALL SELECT 'user', ind, kafka_timestamp FROM clean.users) AS c
        WHERE NOT EXISTS (SELECT FROM public.bench_seen AS s WHERE s.kind = c.kind AND s.ind = c.ind);
        INSERT INTO public.bench_polls VALUES (t);
        COMMIT;
        EXIT WHEN EXISTS (SELECT FROM public.bench_stop);
        PERFORM pg_sleep(interval_s);
    END LOOP;
END
$$;
EOF

staged() {
    bench_psql -At -c "SELECT (SELECT count(*) FROM staging.pin_events) + (SELECT count(*) FROM staging.geo_events)
        + (SELECT count(*) FROM staging.user_events) + (SELECT count(*) FROM etl.dead_letters)"
}

printf '%-4s %-22s %6s %7s %8s %8s %8s %9s %9s %9s %8s %6s\n' run variant rate events msg_p50 msg_p99 msg_max \
    event_p50 event_p99 event_max poll_gap load1
for run in $(seq "$RUNS"); do
for v in "${!variants[@]}"; do
    variant=${variants[$v]}
    variant_args=$([ "$variant" = - ] || echo "$variant")
    bench_psql -c "TRUNCATE staging.pin_events, staging.geo_events, staging.user_events" \
        -c "SELECT analytics.rebuild_live_state()" \
        -c "TRUNCATE etl.consumer_offsets, etl.load_runs, etl.dead_letters, etl.consumer_instances" \
        -c "TRUNCATE public.bench_seen, public.bench_polls, public.bench_stop" -c "CHECKPOINT" >/dev/null
    prefix="follow$run-$v"
    start_broker "$prefix" "$PARTITIONS"
    broker=$BENCH_BOOTSTRAP
    "$PINPIPE" load --follow --dsn "$BENCH_DSN" -b "$broker" --topic-prefix "$prefix" ${LOAD_ARGS:-} $variant_args \
        >"$BENCH_DIR/load.out" 2>"$BENCH_DIR/load.err" &
    load_pid=$!
    BENCH_PIDS+=("$load_pid")
    # The poll commits need no WAL flush (no wait on a busy disk between polls); a hash anti-join
    # keeps each poll a few milliseconds.
    bench_psql -c "SET synchronous_commit = off" -c "SET enable_nestloop = off" -c "CALL public.bench_poll($POLL_MS / 1000.0)" &
    poll_pid=$!
    sleep 3  # partitions claimed and assigned: the figures exclude start-up
    count=$((RATE * DURATION))
    "$PINPIPE" emulate -b "$broker" --topic-prefix "$prefix" --count "$count" --rate "$RATE" \
        --seed "$run" >/dev/null
    load1=$(cut -d' ' -f1 /proc/loadavg)
    for _ in $(seq 600); do
        [ "$(staged)" -ge $((3 * count)) ] && break
        sleep 0.1
    done
    [ "$(staged)" -ge $((3 * count)) ] || { echo "bench: load --follow did not load $count events" >&2; cat "$BENCH_DIR/load.err" >&2; exit 1; }
    sleep 0.5
    bench_psql -c "INSERT INTO public.bench_stop VALUES (true)"
    wait "$poll_pid"
    [ -n "${TRACE_KEEP:-}" ] && cp "$BENCH_DIR/load.err" "$TRACE_KEEP/load-$run-$v.log"
    kill -TERM "$load_pid"
    wait "$load_pid" || true
    kill "$BENCH_BROKER_PID" 2>/dev/null || true
    bench_psql -At -F ' ' >"$BENCH_DIR/run.out" <<'EOF'
WITH per_message AS (
    SELECT extract(epoch FROM visible_at - kafka_timestamp) * 1000 AS ms FROM public.bench_seen
), per_event AS (
    SELECT extract(epoch FROM max(visible_at) - min(kafka_timestamp)) * 1000 AS ms
    FROM public.bench_seen GROUP BY ind HAVING count(*) = 3
), gaps AS (
    SELECT extract(epoch FROM at - lag(at) OVER (ORDER BY at)) * 1000 AS ms FROM public.bench_polls
)
SELECT (SELECT count(*) FROM per_event),
       (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) FROM per_message),
       (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)) FROM per_message),
       (SELECT round(max(ms)) FROM per_message),
       (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) FROM per_event),
       (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)) FROM per_event),
       (SELECT round(max(ms)) FROM per_event),
       (SELECT round(max(ms)) FROM gaps)
EOF
    if [ "${DETAIL:-0}" = 1 ]; then
        bench_psql -c "SELECT date_trunc('second', kafka_timestamp) AS second, count(*),
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM visible_at - kafka_timestamp) * 1000)) AS p50_ms,
            round(max(extract(epoch FROM visible_at - kafka_timestamp) * 1000)) AS max_ms
            FROM public.bench_seen GROUP BY 1 ORDER BY 1" \
            -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY g)) AS gap_p50, round(percentile_cont(0.99) WITHIN GROUP (ORDER BY g)) AS gap_p99, count(*) AS polls FROM (SELECT extract(epoch FROM at - lag(at) OVER (ORDER BY at)) * 1000 AS g FROM public.bench_polls) AS x" \
            -c "SELECT (SELECT count(DISTINCT (payload->>'index')) FROM staging.pin_events) AS staged_inds, (SELECT count(*) FROM etl.dead_letters) AS dead" >&2
    fi
    read -r events mp50 mp99 mmax ep50 ep99 emax gap <"$BENCH_DIR/run.out"
    printf '%-4s %-22s %6s %7s %8s %8s %8s %9s %9s %9s %8s %6s\n' "$run" "$variant" "$RATE" "$events" "$mp50" "$mp99" \
        "$mmax" "$ep50" "$ep99" "$emax" "$gap" "$load1"
    echo "$ep50" >>"$BENCH_DIR/p50.$v"
    echo "$ep99" >>"$BENCH_DIR/p99.$v"
    echo "$emax" >>"$BENCH_DIR/max.$v"
done
done
for v in "${!variants[@]}"; do
    echo "median over $RUNS runs of '${variants[$v]}' (per event, ms): p50 $(median <"$BENCH_DIR/p50.$v"), p99 $(median <"$BENCH_DIR/p99.$v"), max $(median <"$BENCH_DIR/max.$v"); poll every $POLL_MS ms"
done
