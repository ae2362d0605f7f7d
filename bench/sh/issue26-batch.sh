#!/bin/bash
# Issue 26's three targets in one sitting (docs/benchmarks.md, "Issue 26, second pass"): the big room
# (this tree with raw ws + HAProxy, then the BEFORE tree's cluster, alternating, 3 rounds), the
# headline points against raw ws + HAProxy and Socket.IO, and the memory slopes of all three.
# usage: bash bench/sh/issue26-batch.sh [BEFORE_TREE (a built checkout; default: none)] [OUT_DIR]
# Run on a quiet machine after `npm run build`; takes about 30 minutes.
set -u
cd "$(dirname "$0")/../.."
BEFORE=${1:-}; O=${2:-.run/issue26}; mkdir -p "$O"
BR="--skip points,knee,storm,memory,scaling --big-room-rate 5 --big-room-duration 20"
for i in 1 2 3; do
  node dist/bench.js --only cluster,raw-haproxy $BR --md "$O/br-after-$i.md" > "$O/br-after-$i.log" 2>&1
  [ -n "$BEFORE" ] && node "$BEFORE/dist/bench.js" --only cluster $BR --md "$O/br-before-$i.md" > "$O/br-before-$i.log" 2>&1
done
node dist/bench.js --only cluster,raw-haproxy,socketio --skip knee,storm,memory,scaling,big-room --md "$O/points.md" > "$O/points.log" 2>&1
node dist/bench.js memory-slope --runs 3 --out "$O/slope.json" > "$O/slope.log" 2>&1
grep -h "cpu-ms/1k" "$O"/br-*.log; tail -4 "$O/slope.log"
