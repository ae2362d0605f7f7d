#!/bin/bash
# CPU per process kind (servers, HAProxy, Redis, nginx) over one 500 x 40/s run on a fresh native
# cluster of N servers, from /proc ticks (docs/benchmarks.md, "Issue 26, second pass").
# usage: bash bench/sh/cpu-split.sh [N servers, default 4] [TREE, default this one]
# Uses ports 18080, 18000, 16379 and 18404; stops the cluster it started.
set -u
N=${1:-4}; ROOT=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
D=$(mktemp -d)
(cd "$ROOT" && LC_LOAD_TEST=1 exec node dist/cluster.js --servers "$N" --lb-port 18080 --web-port 18000 --redis-port 16379 --stats-port 18404) > "$D/cluster.log" 2>&1 &
CP=$!
for _ in $(seq 1 60); do grep -q "cluster ready" "$D/cluster.log" && break; sleep 1; done
declare -A KIND
for l in $(grep -o "\(redis\|haproxy\|nginx\|server APPID=[0-9]*\) pid=[0-9]*" "$D/cluster.log" | sed 's/ pid=/:/; s/server APPID=/server-/'); do KIND[${l#*:}]=${l%%:*}; done
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
LT=(node "$ROOT/dist/loadtest.js" --url ws://127.0.0.1:18080/ws --clients 500 --senders 20 --rate 40 --local-ips 8 --quiet)
"${LT[@]}" --duration 5 > /dev/null 2>&1   # warm-up
declare -A T0; for p in "${!KIND[@]}"; do T0[$p]=$(ticks "$p"); done
"${LT[@]}" --duration 15 > "$D/load.log" 2>&1
grep -E "^(latency|ack|messages|result)" "$D/load.log" || tail -n 5 "$D/load.log"
echo "CPU seconds over the run (connect, 15 s of sending, drain):"
for p in "${!KIND[@]}"; do echo "  ${KIND[$p]} $(( $(ticks "$p") - ${T0[$p]} ))"; done | sort | awk '{printf "  %s %.2f\n", $1, $2/100}'
kill "$CP"; wait "$CP" 2>/dev/null; rm -rf "$D"
