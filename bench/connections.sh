#!/usr/bin/env bash
# Holds 30,000 concurrent idle Socket.IO connections to one target address
# from one machine: more than the ephemeral ports of one source address
# (/proc/sys/net/ipv4/ip_local_port_range: 28,232 by default), so it only
# works through source addresses. Processes are capped at 20,000 open files
# here, so the generator runs as 3 local shards and the built-in target as 3
# `sockload serve --reuse-port` processes sharing one port.
#
#   bash bench/connections.sh                        # with --source-addrs: holds them all
#   bash bench/connections.sh --without-source-addrs # one source address: fails, and says why
#
# It prints the time to connect them all and the generator's memory per
# connection. Everything stays on 127.0.0.0/8 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

CONNECTIONS=${CONNECTIONS:-30000}
SHARDS=3
SERVERS=3
RAMP=${RAMP:-60}   # seconds over which the connections arrive
HOLD=$((RAMP + 30)) # each VU stays connected this long
SOURCES="127.0.0.1-127.0.0.2"
PORT=3901
if [ "${1:-}" = "--without-source-addrs" ]; then
  SOURCES=""
  PORT=3902 # a port of its own, untouched by an earlier run's TIME_WAIT
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/sockload" ./cmd/sockload
ulimit -n "$(ulimit -Hn)"

for _ in $(seq "$SERVERS"); do
  "$work/sockload" serve --addr "127.0.0.1:$PORT" --reuse-port \
    --ping-interval 5m --ping-timeout 1m >"$work/serve.log" 2>&1 &
  pids+=($!)
done
sleep 1

cat >"$work/hold.yml" <<YAML
config:
  target: "http://127.0.0.1:$PORT"
  timeout: 30
  phases:
    - duration: $RAMP
      arrivalCount: $CONNECTIONS
  socketio:
    transports: ["websocket"]
    reconnection: false
scenarios:
  - engine: socketio
    flow:
      - think: $HOLD
YAML

start_at=$(date -u -d '+3 sec' +%FT%TZ)
shard_pids=()
for i in $(seq "$SHARDS"); do
  args=(run -q --shard "$i/$SHARDS" --start-at "$start_at" -o "$work/shard-$i.json")
  [ -n "$SOURCES" ] && args+=(--source-addrs "$SOURCES")
  "$work/sockload" "${args[@]}" "$work/hold.yml" >"$work/shard-$i.log" 2>&1 &
  shard_pids+=($!)
  pids+=($!)
done

established() { ss -Htn state established "( dport = :$PORT )" | wc -l; }
rss_kib() {
  local total=0
  for pid in "${shard_pids[@]}"; do
    total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Wait for the start, then for every connection (or the ramp's end plus a
# margin), sampling the established connections and the shards' memory.
sleep_until=$(( $(date -d "$start_at" +%s) ))
while [ "$(date +%s)" -lt "$sleep_until" ]; do sleep 0.2; done
t0=$(date +%s.%N)
peak=0 peak_rss=0 all_at=""
deadline=$(( $(date +%s) + RAMP + 25 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  n=$(established)
  [ "$n" -gt "$peak" ] && peak=$n && peak_rss=$(rss_kib)
  if [ -z "$all_at" ] && [ "$n" -ge "$CONNECTIONS" ]; then
    all_at=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN {print a - b}')
    peak_rss=$(rss_kib)
    break
  fi
  sleep 0.5
done

for pid in "${shard_pids[@]}"; do wait "$pid" || true; done
"$work/sockload" merge "$work"/shard-*.json -o "$work/run.json" >"$work/merge.log" 2>&1 || true

echo "connections held at once: $peak of $CONNECTIONS (source addresses: ${SOURCES:-127.0.0.1 only})"
if [ -n "$all_at" ]; then
  printf 'time to connect them all: %.1f s (arrivals spread over %d s)\n' "$all_at" "$RAMP"
  printf 'generator memory: %d MiB RSS over %d shards, %.1f KiB per connection\n' \
    $((peak_rss / 1024)) "$SHARDS" "$(awk -v r="$peak_rss" -v n="$CONNECTIONS" 'BEGIN {print r / n}')"
  exit 0
fi
echo "not every connection was made; what the shards said:"
grep -h -A1 -E "EADDRNOTAVAIL|Warning" "$work"/shard-*.log | sort -u | head -20
exit 1
