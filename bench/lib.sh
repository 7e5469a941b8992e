# Shared pieces of the whole-process benchmarks: a throwaway PostgreSQL cluster and a mock Kafka
# broker, both removed on exit. Source it from a bench script; needs the `pinpipe` binary.
# Requires: postgresql-15, postgresql-client-15, kcat, time, python3 (Debian packages).

set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PINPIPE=${PINPIPE:-$BENCH_ROOT/build/pinpipe}
PG_BIN=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -1)
# BENCH_TMPDIR: where the cluster and the bench's files go (e.g. a file system mounted without
# online discard, as bench/retention.sh's figures compare).
BENCH_DIR=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/pinpipe-bench.XXXXXX")
BENCH_PG_PORT=${BENCH_PG_PORT:-55439}
BENCH_PIDS=()

# PostgreSQL refuses to run as root: run the server binaries as the postgres system user.
as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bench_cleanup() {
    for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ -f "$BENCH_DIR/pg/postmaster.pid" ]; then
        as_pg_owner "$PG_BIN/pg_ctl" -D "$BENCH_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$BENCH_DIR"
}
trap bench_cleanup EXIT

[ -x "$PINPIPE" ] || { echo "bench: $PINPIPE not found (build first, or set PINPIPE)" >&2; exit 1; }

# Starts a cluster with default durability settings (fsync on: what production pays), listening
# only on a private socket, with BENCH_PG_OPTIONS (more -c settings) if set; sets BENCH_DSN to a
# migrated database.
start_postgres() {
    mkdir -p "$BENCH_DIR/pg" "$BENCH_DIR/socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$BENCH_DIR"; chmod 755 "$BENCH_DIR"; fi
    as_pg_owner "$PG_BIN/initdb" -D "$BENCH_DIR/pg" -A trust -U postgres >/dev/null
    as_pg_owner "$PG_BIN/pg_ctl" -D "$BENCH_DIR/pg" -l "$BENCH_DIR/pg.log" -w -o \
        "-k $BENCH_DIR/socket -p $BENCH_PG_PORT -c listen_addresses='' -c max_wal_size=4GB ${BENCH_PG_OPTIONS:-}" \
        start >/dev/null
    BENCH_DSN="host=$BENCH_DIR/socket port=$BENCH_PG_PORT user=postgres dbname=postgres"
    "$PINPIPE" migrate --dsn "$BENCH_DSN" --log-format text 2>/dev/null >/dev/null
}

bench_psql() {
    psql -X -q -v ON_ERROR_STOP=1 "$BENCH_DSN" "$@"
}

# Starts `pinpipe broker` with the three topics of prefix $1 and $2 partitions and sets
# BENCH_BOOTSTRAP to its address and BENCH_BROKER_PID to its pid. Call it directly, not in $(...): a subshell would lose the pid
# that the exit trap needs to stop the broker.
start_broker() {
    local out="$BENCH_DIR/broker-$1.out"
    "$PINPIPE" broker --topic-prefix "$1" --partitions "$2" >"$out" 2>/dev/null &
    BENCH_BROKER_PID=$!
    BENCH_PIDS+=("$BENCH_BROKER_PID")
    for _ in $(seq 100); do
        if [ -s "$out" ]; then BENCH_BOOTSTRAP=$(head -1 "$out"); return; fi
        sleep 0.1
    done
    echo "bench: pinpipe broker did not start" >&2
    exit 1
}

# MIX=all (the default): the benches load the seeds' mix, a pin, its geolocation and its user per
# ind (DESIGN §4, §12), as `pinpipe emulate` makes them, re-sends included (about 2% of its events
# re-send one of the last 1,000: the emulator's rate, not one the seeds state). MIX=pins: the pin
# topic alone, as the benches measured before issue #26 (the count tables then never fire).
MIX=${MIX:-all}
case "$MIX" in
all) BENCH_KINDS="pin geo user" ;;
pins) BENCH_KINDS="pin" ;;
*) echo "bench: MIX must be all or pins, not $MIX" >&2; exit 1 ;;
esac

# Staging table of kind $1.
staging_table() {
    echo "staging.$1_events"
}

# The columns of the rows events_to_copy_rows writes, and the lean ceiling they are compared with:
# the Kafka coordinates, the payload and the unique key only (DESIGN §12).
BENCH_COPY_COLUMNS="kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, kafka_key, payload"
BENCH_LEAN_TABLE="CREATE TABLE public.lean (kafka_topic text NOT NULL, kafka_partition int NOT NULL, kafka_offset bigint NOT NULL, kafka_timestamp timestamptz, kafka_key bytea, payload jsonb NOT NULL, UNIQUE (kafka_topic, kafka_partition, kafka_offset))"

# Topic <prefix $2>.<kind> of broker $1, every kind of BENCH_KINDS, read to its end as kcat lines
# "key<TAB>payload" into $3/<kind>.tsv; fails unless each holds $4 messages.
dump_topics() {
    local kind
    for kind in $BENCH_KINDS; do
        kcat -C -b "$1" -t "$2.$kind" -e -q -f '%k\t%s\n' >"$3/$kind.tsv"
        [ "$(wc -l <"$3/$kind.tsv")" = "$4" ] || { echo "bench: generator lost $kind records" >&2; exit 1; }
    done
}

# Every $1/<kind>.tsv as a topic <prefix $2>.<kind> of broker $3, batched like emulate's producer
# (the mock broker returns one message set per fetch).
produce_topics() {
    local kind
    for kind in $BENCH_KINDS; do
        kcat -P -b "$3" -t "$2.$kind" -K '\t' -l -X linger.ms=20 -X batch.size=1000000 "$1/$kind.tsv"
    done
}

# The messages of $1/<kind>.tsv as COPY text rows of the staging columns (kafka_topic ..
# payload) in $1/<kind>.copy: topic bench.<kind>, partition 0, the line number as offset, a fixed
# 2026-01-01 timestamp (the rows land in staging's default partition), the key as bytea. The
# geolocations and users are put in the pins' order (by key, a re-sent ind's copies in turn), so
# that line i of every file is the same ind, as the loader's batches carry an ind's three
# messages together: CHUNK-line pieces of the three files are the same events.
events_to_copy_rows() {
    python3 - "$1" $BENCH_KINDS <<'PY'
import collections, os, sys
folder, kinds = sys.argv[1], sys.argv[2:]
def lines(kind):
    with open(os.path.join(folder, kind + ".tsv"), encoding="utf-8") as source:
        return [line.rstrip("\n").split("\t", 1) for line in source]
pins = lines("pin")
for kind in kinds:
    messages = pins
    if kind != "pin":
        by_key = collections.defaultdict(collections.deque)
        for key, payload in lines(kind):
            by_key[key].append(payload)
        messages = [(key, by_key[key].popleft()) for key, _ in pins]
    with open(os.path.join(folder, kind + ".copy"), "w", encoding="utf-8") as out:
        for offset, (key, payload) in enumerate(messages):
            payload = payload.replace("\\", "\\\\")
            out.write(f"bench.{kind}\t0\t{offset}\t2026-01-01 00:00:00+00\t\\\\x{key.encode().hex()}\t{payload}\n")
PY
}

# Median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
