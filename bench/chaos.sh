#!/usr/bin/env bash
# Chaos soak (issue #17): emulate (direct and through serve), two `load --follow` and two
# `stream` against a mock broker and a PostgreSQL cluster, while a seeded random schedule kills
# (-9), stops and continues consumers (some inside their transaction, holding the live state's
# fold lock while the others have batches waiting on it), crashes PostgreSQL (pg_ctl -m immediate)
# and restarts it,
# and stalls the broker (SIGSTOP/SIGCONT). Then it drains and checks exactness: every Kafka
# message once in staging, `stream`'s counts per event kind and minute equal to the messages of
# that topic whose Kafka timestamp falls in that minute (read from staging, itself checked
# against Kafka: a loss and a duplicate in one minute cannot cancel out), every record `serve`
# acknowledged in Kafka, and the nine live answers equal to their recomputation (`pinpipe
# refresh --verify`). A fault is counted only when it happened: a kill or stop drawn for a
# consumer that is already stopped is skipped and counted as skipped. Loopback only, bounded in
# time.
#
# Usage: bench/chaos.sh [MINUTES]   (default 2; SEED=N picks the schedule, RATE events/s)
# Requires: postgresql-15, postgresql-client-15, python3 (Debian packages).
source "$(dirname "$0")/lib.sh"

MINUTES=${1:-2}
SEED=${SEED:-17}
RATE=${RATE:-200}           # events/s of each emulate (each event is 3 messages)
LEASE_MS=${LEASE_MS:-8000}  # --claim-lease-ms (> 2 x the 3 s heartbeat): stopped ones are taken over
DRAIN_TIMEOUT_S=${DRAIN_TIMEOUT_S:-180}
RANDOM=$SEED
PREFIX=chaos
SECONDS_TOTAL=$((MINUTES * 60))
EVENTS=$((RATE * SECONDS_TOTAL))

start_postgres
start_broker "$PREFIX" 6
PG_START=(as_pg_owner "$PG_BIN/pg_ctl" -D "$BENCH_DIR/pg" -l "$BENCH_DIR/pg.log" -w -o
    "-k $BENCH_DIR/socket -p $BENCH_PG_PORT -c listen_addresses='' -c max_wal_size=4GB" start)
common=(--dsn "$BENCH_DSN" -b "$BENCH_BOOTSTRAP" --topic-prefix "$PREFIX" --log-level warning)

serve_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PINPIPE" serve "${common[@]}" --listen "127.0.0.1:$serve_port" 2>>"$BENCH_DIR/serve.log" &
BENCH_PIDS+=($!)

# Consumers by slot: 0-1 load --follow, 2-3 stream. A killed one is started again; a load may
# be started armed to stop itself before a COMMIT (PINPIPE_FAILPOINTS), holding the fold lock.
declare -a CONSUMER_PID
start_consumer() {
    local slot=$1 failpoints=${2:-}
    if [ "$slot" -lt 2 ]; then
        PINPIPE_FAILPOINTS=$failpoints \
            "$PINPIPE" load --follow --max-batch-ms 200 --claim-lease-ms "$LEASE_MS" "${common[@]}" \
            >>"$BENCH_DIR/consumer-$slot.out" 2>>"$BENCH_DIR/consumer-$slot.log" &
    else
        "$PINPIPE" stream --claim-lease-ms "$LEASE_MS" "${common[@]}" \
            >>"$BENCH_DIR/consumer-$slot.out" 2>>"$BENCH_DIR/consumer-$slot.log" &
    fi
    CONSUMER_PID[$slot]=$!
    BENCH_PIDS+=($!)
}
for slot in 0 1 2 3; do start_consumer "$slot"; done

for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$serve_port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
"$PINPIPE" emulate "${common[@]}" --count "$EVENTS" --rate "$RATE" --seed "$SEED" \
    >"$BENCH_DIR/emulate-direct.out" 2>"$BENCH_DIR/emulate-direct.log" &
emulate_direct=$!
"$PINPIPE" emulate "${common[@]}" --count "$EVENTS" --rate "$RATE" --seed "$((SEED + 1))" \
    --via "http://127.0.0.1:$serve_port" \
    >"$BENCH_DIR/emulate-serve.out" 2>"$BENCH_DIR/emulate-serve.log" &
emulate_serve=$!
BENCH_PIDS+=("$emulate_direct" "$emulate_serve")

# Progress of each group (sum of its stored offsets), sampled once a second: the longest time a
# group stood still while it had work left is the longest stall.
progress_sql="SELECT coalesce(sum(next_offset) FILTER (WHERE consumer = 'pinpipe-load'), 0) || ' ' ||
                     coalesce(sum(next_offset) FILTER (WHERE consumer = 'pinpipe-stream'), 0)
              FROM etl.consumer_offsets"
sample() { psql -X -qAt "$BENCH_DSN" -c "$progress_sql" 2>/dev/null || echo "- -"; }
echo "time load stream" >"$BENCH_DIR/progress"

kills=0 stops=0 fold_lock_stops=0 pg_crashes=0 broker_stalls=0 skipped=0
end=$((SECONDS + SECONDS_TOTAL))
declare -a stopped_until
while [ "$SECONDS" -lt "$end" ]; do
    echo "$SECONDS $(sample)" >>"$BENCH_DIR/progress"
    # A load armed to stop inside its transaction has stopped: it holds the fold lock, and the
    # other load's batches wait on it until its lease runs out. Continued like any stopped one.
    for slot in 0 1; do
        if [ -z "${stopped_until[$slot]:-}" ] &&
            [ "$(awk '{print $3}' "/proc/${CONSUMER_PID[$slot]}/stat" 2>/dev/null)" = T ]; then
            stopped_until[$slot]=$((SECONDS + 1 + RANDOM % 12))
            fold_lock_stops=$((fold_lock_stops + 1))
        fi
    done
    # Continue what was stopped long enough.
    for slot in 0 1 2 3; do
        if [ -n "${stopped_until[$slot]:-}" ] && [ "$SECONDS" -ge "${stopped_until[$slot]}" ]; then
            kill -CONT "${CONSUMER_PID[$slot]}" 2>/dev/null || true
            stopped_until[$slot]=""
        fi
    done
    if [ $((RANDOM % 4)) -eq 0 ]; then  # about one fault every 4 s
        slot=$((RANDOM % 4))
        case $((RANDOM % 11)) in
            0 | 1 | 2 | 3)  # kill -9 a consumer and start another in its place
                if [ -z "${stopped_until[$slot]:-}" ]; then
                    kill -9 "${CONSUMER_PID[$slot]}" 2>/dev/null || true
                    wait "${CONSUMER_PID[$slot]}" 2>/dev/null || true
                    start_consumer "$slot"
                    kills=$((kills + 1))
                else
                    skipped=$((skipped + 1))
                fi
                ;;
            4 | 5 | 6)  # stop a consumer for 1-12 s (beyond the lease: its partitions move)
                if [ -z "${stopped_until[$slot]:-}" ]; then
                    kill -STOP "${CONSUMER_PID[$slot]}" 2>/dev/null || true
                    stopped_until[$slot]=$((SECONDS + 1 + RANDOM % 12))
                    stops=$((stops + 1))
                else
                    skipped=$((skipped + 1))
                fi
                ;;
            7 | 8)  # crash PostgreSQL and start it again
                as_pg_owner "$PG_BIN/pg_ctl" -D "$BENCH_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
                "${PG_START[@]}" >/dev/null
                pg_crashes=$((pg_crashes + 1))
                ;;
            10) # replace a load by one that stops itself before its 2nd-20th COMMIT, holding
                # the fold lock (counted above once it has stopped)
                slot=$((RANDOM % 2))
                if [ -z "${stopped_until[$slot]:-}" ]; then
                    kill -9 "${CONSUMER_PID[$slot]}" 2>/dev/null || true
                    wait "${CONSUMER_PID[$slot]}" 2>/dev/null || true
                    start_consumer "$slot" "load.before_commit=stop@$((2 + RANDOM % 19))"
                    kills=$((kills + 1))
                else
                    skipped=$((skipped + 1))
                fi
                ;;
            9)  # stall the broker for 1-5 s
                kill -STOP "$BENCH_BROKER_PID"
                sleep $((1 + RANDOM % 5))
                kill -CONT "$BENCH_BROKER_PID"
                broker_stalls=$((broker_stalls + 1))
                ;;
        esac
    fi
    sleep 1
done

# Drain: everything continued, the producers finish, the consumers catch up.
for slot in 0 1 2 3; do kill -CONT "${CONSUMER_PID[$slot]}" 2>/dev/null || true; done
direct_status=0 serve_status=0
wait "$emulate_direct" || direct_status=$?
wait "$emulate_serve" || serve_status=$?
produced_sql() {
    "$PINPIPE" status "${common[@]}" --json 2>/dev/null |
        python3 -c 'import json,sys; print(sum(p["high"] for p in json.load(sys.stdin)["partitions"]))'
}
high=$(produced_sql)
drain_deadline=$((SECONDS + DRAIN_TIMEOUT_S))
while [ "$SECONDS" -lt "$drain_deadline" ]; do
    read -r loaded streamed <<<"$(sample)"
    echo "$SECONDS $loaded $streamed" >>"$BENCH_DIR/progress"
    [ "$loaded" = "$high" ] && [ "$streamed" = "$high" ] && break
    sleep 1
done
for slot in 0 1 2 3; do kill -TERM "${CONSUMER_PID[$slot]}" 2>/dev/null || true; done
for slot in 0 1 2 3; do wait "${CONSUMER_PID[$slot]}" 2>/dev/null || true; done

read -r staged distinct realtime dead <<<"$(psql -X -qAt -F ' ' "$BENCH_DSN" -c "
    SELECT (SELECT count(*) FROM staging.pin_events) + (SELECT count(*) FROM staging.geo_events)
             + (SELECT count(*) FROM staging.user_events),
           (SELECT count(DISTINCT (kafka_topic, kafka_partition, kafka_offset)) FROM (
              SELECT kafka_topic, kafka_partition, kafka_offset FROM staging.pin_events UNION ALL
              SELECT kafka_topic, kafka_partition, kafka_offset FROM staging.geo_events UNION ALL
              SELECT kafka_topic, kafka_partition, kafka_offset FROM staging.user_events) s),
           (SELECT coalesce(sum(events), 0) FROM realtime.event_minute),
           (SELECT count(*) FROM etl.dead_letters)")"
direct_messages=$(grep -o '([0-9]* messages' "$BENCH_DIR/emulate-direct.out" | grep -o '[0-9]*' || echo 0)
acknowledged=$(grep -o '([0-9]* records' "$BENCH_DIR/emulate-serve.out" | grep -o '[0-9]*' || echo 0)
longest_stall=$(awk 'NR > 1 && $2 != "-" {
        for (g = 2; g <= 3; ++g) {
            if ($g != last[g]) { since[g] = $1; last[g] = $g }
            else if ($1 - since[g] > worst) worst = $1 - since[g]
        } } END { print worst + 0 }' "$BENCH_DIR/progress")

# stream per event kind and minute against the Kafka timestamps of the messages (staging holds
# each message once, with its timestamp, when the load checks above pass).
minutes_off=$(psql -X -qAt "$BENCH_DSN" -c "
    SELECT count(*) FROM (
        SELECT s.kind, s.minute FROM (
            SELECT split_part(kafka_topic, '.', 2) AS kind, date_trunc('minute', kafka_timestamp, 'UTC') AS minute,
                   count(*) AS events
            FROM (SELECT kafka_topic, kafka_timestamp FROM staging.pin_events UNION ALL
                  SELECT kafka_topic, kafka_timestamp FROM staging.geo_events UNION ALL
                  SELECT kafka_topic, kafka_timestamp FROM staging.user_events) AS m
            GROUP BY 1, 2) AS s
        FULL JOIN (SELECT kind, minute, events FROM realtime.event_minute WHERE events <> 0) AS r
          ON r.kind = s.kind AND r.minute = s.minute
        WHERE s.events IS DISTINCT FROM r.events) AS d")
verify_status=0
"$PINPIPE" refresh --verify --dsn "$BENCH_DSN" --log-format text >"$BENCH_DIR/verify.out" 2>&1 || verify_status=$?

lost_load=$((high - distinct)); [ "$lost_load" -lt 0 ] && lost_load=0
lost_stream=$((high - realtime)); [ "$lost_stream" -lt 0 ] && lost_stream=0
dup_stream=$((realtime - high)); [ "$dup_stream" -lt 0 ] && dup_stream=0
not_in_kafka=$((direct_messages + acknowledged - high))
echo "chaos: seed $SEED, $MINUTES min, $((kills + stops + fold_lock_stops + pg_crashes + broker_stalls)) faults ($kills kill -9," \
    "$stops stop/cont, $fold_lock_stops stopped holding the fold lock, $pg_crashes PostgreSQL crashes, $broker_stalls broker stalls; $skipped drawn for" \
    "an already stopped consumer and skipped)"
echo "chaos: $high messages in Kafka ($direct_messages produced directly, $acknowledged acknowledged" \
    "by serve; emulate exit $direct_status/$serve_status)"
echo "chaos: load: $staged staged, lost $lost_load, duplicated $((staged - distinct));" \
    "stream: $realtime counted, lost $lost_stream, duplicated $dup_stream, $minutes_off (kind, minute)" \
    "counts off; $dead dead letters"
echo "chaos: refresh --verify exit $verify_status: $(tail -1 "$BENCH_DIR/verify.out")"
echo "chaos: longest stall ${longest_stall} s (a group's offsets standing still with work left)"
if [ "$lost_load" -ne 0 ] || [ "$staged" -ne "$distinct" ] || [ "$lost_stream" -ne 0 ] ||
    [ "$dup_stream" -ne 0 ] || [ "$not_in_kafka" -ne 0 ] || [ "$direct_status" -ne 0 ] ||
    [ "$serve_status" -ne 0 ] || [ "$minutes_off" -ne 0 ] || [ "$verify_status" -ne 0 ]; then
    logs=$(mktemp -d /tmp/pinpipe-chaos-logs.XXXXXX)
    cp "$BENCH_DIR"/*.log "$BENCH_DIR"/*.out "$BENCH_DIR/progress" "$logs/" 2>/dev/null || true
    echo "chaos: FAILED (logs in $logs)" >&2
    exit 1
fi
echo "chaos: exact"
