#!/usr/bin/env python3
"""Summarises the per-batch debug lines of `pinpipe stream --log-level debug --log-format json`
(bench/stream.sh with TRACE=1): where a message's end-to-end latency goes, and what a batch's
transaction costs. Reads the stream's stderr on stdin, prints one block."""
import json
import statistics
import sys


def quantile(values, q):
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))]


batches = []
for line in sys.stdin:
    try:
        record = json.loads(line)
    except ValueError:
        continue
    if record.get("msg") == "batch committed":
        batches.append({k: float(v) for k, v in record.items() if k not in ("ts", "level", "msg")})
# The first batches carry the start-up (claims, first fetch): leave them out.
batches = batches[2:]
if not batches:
    print("trace: no batch lines")
    sys.exit(0)
messages = sum(b["messages"] for b in batches)


def weighted_mean(key):
    return sum(b[key] * b["messages"] for b in batches) / messages


print(f"trace: {len(batches)} batches, {messages:.0f} messages, "
      f"median {statistics.median(b['messages'] for b in batches):.0f} messages and "
      f"{statistics.median(b['rows'] for b in batches):.0f} upserted rows per batch")
print("  mean latency per message (ms): "
      f"producer+broker+fetch {weighted_mean('arrival_delay_mean_ms'):.1f}, "
      f"batching {weighted_mean('batching_wait_mean_ms'):.1f}, "
      f"writer queue {weighted_mean('queue_ms'):.1f}, "
      f"transaction {weighted_mean('writer_ms'):.1f}")
for key in ("fill_ms", "queue_ms", "build_ms", "upsert_ms", "dead_letters_ms", "offsets_ms",
            "commit_ms", "writer_ms", "arrival_delay_max_ms"):
    values = [b[key] for b in batches]
    print(f"  {key:<22} p50 {quantile(values, 0.5):7.1f}  p90 {quantile(values, 0.9):7.1f}  "
          f"p99 {quantile(values, 0.99):7.1f}  max {max(values):7.1f}")
