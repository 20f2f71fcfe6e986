#!/usr/bin/env bash
# Holds CONNECTIONS concurrent Socket.IO connections (websocket) to one target
# address from one machine: each connects, emits "ping" once with an
# acknowledgement and stays connected, answering heartbeats, for HOLD seconds
# after the last one arrived. Past the ephemeral ports of one source address
# (/proc/sys/net/ipv4/ip_local_port_range: 28,232 by default) it needs source
# addresses, and past the open-file limit of one process it needs shards: the
# generator runs as local shards (--shard i/n --start-at) and the built-in
# target as as many `sockload serve --reuse-port` processes sharing one port,
# PER_PROCESS connections each.
#
#   bash bench/connections.sh                        # 30,000 through 127.0.0.1-127.0.0.2
#   CONNECTIONS=100000 RAMP=400 bash bench/connections.sh  # 100,000 through 127.0.0.1-127.0.0.4, 10 shards, 250 a second
#   CONNECTIONS=100000 bash bench/connections.sh --check  # only check the machine
#   bash bench/connections.sh --without-source-addrs # one source address: fails, and says why
#
# Before starting it checks what the run needs from the machine (the
# per-process and system-wide open-file limits, the ephemeral ports of the
# source addresses, connection tracking, memory) and says what falls short.
# It prints the time to connect them all, the arrival lag, the heartbeats
# missed (connections closed for a ping timeout) and the generator's memory.
# Everything stays on 127.0.0.0/8 and stops by itself.
#
# Environment: CONNECTIONS (30000), PER_PROCESS (10000), RAMP (seconds over
# which they arrive: CONNECTIONS/500), HOLD (60), PING_INTERVAL (25s, the
# target's heartbeat), KIB_PER_CONNECTION (96: the memory budget per
# connection, generator, target and kernel together).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

CONNECTIONS=${CONNECTIONS:-30000}
PER_PROCESS=${PER_PROCESS:-10000}
RAMP=${RAMP:-$(((CONNECTIONS + 499) / 500))}
HOLD=${HOLD:-60}
PING_INTERVAL=${PING_INTERVAL:-25s}
KIB_PER_CONNECTION=${KIB_PER_CONNECTION:-96}
SHARDS=$(((CONNECTIONS + PER_PROCESS - 1) / PER_PROCESS))
SERVERS=$SHARDS
PORT=3901
MAX_SOURCES=8 # 127.0.0.1-127.0.0.8
mode=run
case "${1:-}" in
  --check) mode=check ;;
  --without-source-addrs) mode=one-source PORT=3902 ;; # a port of its own, untouched by an earlier run's TIME_WAIT
  "") ;;
  *) echo "usage: bash bench/connections.sh [--check | --without-source-addrs]" >&2; exit 2 ;;
esac

# check_machine: every shortfall of the machine for this run, one a line;
# sets SOURCES.
short=()
check_machine() {
  local hard first last ports sources_needed fd_free conn_max conn_now avail_kib need_kib
  ulimit -n "$(ulimit -Hn)"
  hard=$(ulimit -n)
  if [ "$hard" != unlimited ] && [ "$hard" -lt $((PER_PROCESS + 1000)) ]; then
    short+=("open files: a process may open $hard; $PER_PROCESS connections a process need $((PER_PROCESS + 1000)): run with PER_PROCESS=$((hard - 1000)) (more shards) or raise the hard limit (ulimit -Hn, LimitNOFILE)")
  fi
  read -r first last </proc/sys/net/ipv4/ip_local_port_range
  ports=$((last - first + 1))
  # A tenth spare: connections closed by an earlier run sit in TIME_WAIT.
  sources_needed=$(((CONNECTIONS * 11 / 10 + ports - 1) / ports))
  SOURCES="127.0.0.1-127.0.0.$sources_needed"
  if [ "$mode" = one-source ]; then
    SOURCES=""
  elif [ "$sources_needed" -gt "$MAX_SOURCES" ]; then
    short+=("ports: $CONNECTIONS connections to one address need $sources_needed source addresses of $ports ephemeral ports ($first-$last) each; this script uses at most $MAX_SOURCES (127.0.0.1-127.0.0.$MAX_SOURCES): widen net.ipv4.ip_local_port_range or shard over machines")
  fi
  fd_free=$(awk '{print $3 - $1}' /proc/sys/fs/file-nr)
  if [ "$fd_free" -lt $((CONNECTIONS * 2 + 10000)) ]; then
    short+=("system-wide open files: $fd_free free (fs.file-max), both ends of $CONNECTIONS connections need $((CONNECTIONS * 2 + 10000)): raise fs.file-max")
  fi
  if [ -r /proc/sys/net/netfilter/nf_conntrack_max ]; then
    conn_max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
    conn_now=$(cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0)
    if [ $((conn_max - conn_now)) -lt $((CONNECTIONS * 11 / 10)) ]; then
      short+=("connection tracking: room for $((conn_max - conn_now)) more (net.netfilter.nf_conntrack_max $conn_max), $CONNECTIONS connections need $((CONNECTIONS * 11 / 10)): raise nf_conntrack_max")
    fi
  fi
  avail_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  need_kib=$((CONNECTIONS * KIB_PER_CONNECTION))
  if [ "$avail_kib" -lt "$need_kib" ]; then
    short+=("memory: $((avail_kib / 1024)) MiB available, $CONNECTIONS connections at $KIB_PER_CONNECTION KiB each (generator, target and kernel) need $((need_kib / 1024)) MiB: free memory or run fewer")
  fi
  echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $((avail_kib / 1024)) MiB available;" \
    "open files $hard a process, $fd_free system-wide; ephemeral ports $first-$last ($ports a source address)"
  echo "plan: $CONNECTIONS connections over $RAMP s, held $HOLD s after the last; $SHARDS generator shards and $SERVERS target processes" \
    "of $PER_PROCESS connections; source addresses ${SOURCES:-127.0.0.1 only}; heartbeat every $PING_INTERVAL"
}

check_machine
if [ "${#short[@]}" -gt 0 ]; then
  echo "this machine cannot hold $CONNECTIONS connections as planned:" >&2
  printf '  - %s\n' "${short[@]}" >&2
  [ "$mode" = one-source ] || exit 2
fi
[ "$mode" = check ] && exit 0

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/sockload" ./cmd/sockload

server_pids=()
for _ in $(seq "$SERVERS"); do
  "$work/sockload" serve --addr "127.0.0.1:$PORT" --reuse-port \
    --ping-interval "$PING_INTERVAL" >"$work/serve.log" 2>&1 &
  pids+=($!)
  server_pids+=($!)
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
      - emit: ["ping"]
        acknowledge:
          data: "pong"
      - think: $((RAMP + HOLD + 600))
YAML

start_at=$(date -u -d '+3 sec' +%FT%TZ)
shard_pids=()
for i in $(seq "$SHARDS"); do
  # Every VU thinks past the run's end; the grace period ends them all at
  # once, HOLD s after the last phase, so that the last to arrive is held
  # HOLD s and none leaves early.
  args=(run -q --grace "${HOLD}s" --shard "$i/$SHARDS" --start-at "$start_at" -o "$work/shard-$i.json")
  [ -n "$SOURCES" ] && args+=(--source-addrs "$SOURCES")
  "$work/sockload" "${args[@]}" "$work/hold.yml" >"$work/shard-$i.log" 2>&1 &
  shard_pids+=($!)
  pids+=($!)
done

established() { ss -Htn state established "( dport = :$PORT )" | wc -l; }
rss_kib() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Wait for the start, then sample the established connections and the
# processes' memory until every connection is up, or until the hold ends
# (arrivals that lag behind a loaded machine still count while they are held).
sleep_until=$(date -d "$start_at" +%s)
while [ "$(date +%s)" -lt "$sleep_until" ]; do sleep 0.2; done
t0=$(date +%s.%N)
peak=0 peak_rss=0 server_rss=0 all_at=""
deadline=$(($(date +%s) + RAMP + HOLD))
while [ "$(date +%s)" -lt "$deadline" ]; do
  n=$(established)
  [ "$n" -gt "$peak" ] && peak=$n && peak_rss=$(rss_kib "${shard_pids[@]}") && server_rss=$(rss_kib "${server_pids[@]}")
  if [ -z "$all_at" ] && [ "$n" -ge "$CONNECTIONS" ]; then
    all_at=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN {print a - b}')
    peak_rss=$(rss_kib "${shard_pids[@]}")
    server_rss=$(rss_kib "${server_pids[@]}")
    break
  fi
  sleep 2 # ss walks every socket: sampling it often would load the machine it measures
done

for pid in "${shard_pids[@]}"; do wait "$pid" || true; done
"$work/sockload" merge "$work"/shard-*.json -o "$work/run.json" >"$work/merge.log" 2>&1 || true

echo "connections held at once: $peak of $CONNECTIONS (source addresses: ${SOURCES:-127.0.0.1 only})"
printf 'generator memory at the peak: %d MiB RSS over %d shards, %.1f KiB per connection held; target: %d MiB over %d processes\n' \
  $((peak_rss / 1024)) "$SHARDS" "$(awk -v r="$peak_rss" -v n="$peak" 'BEGIN {print n ? r / n : 0}')" \
  $((server_rss / 1024)) "$SERVERS"
[ -n "$all_at" ] && printf 'time to connect them all: %.1f s (arrivals spread over %d s)\n' "$all_at" "$RAMP"
if [ -s "$work/run.json" ] && command -v jq >/dev/null; then
  jq -r '.aggregate as $a |
    "arrival lag: p50 \($a.summaries["engine.arrival_lag"].p50) ms, p99 \($a.summaries["engine.arrival_lag"].p99) ms, max \($a.summaries["engine.arrival_lag"].max) ms",
    "heartbeats missed (closed for a ping timeout): \($a.counters["socketio.disconnects.ping timeout"] // 0)",
    "VUs: \($a.counters["vusers.created"] // 0) created, \($a.counters["vusers.cancelled"] // 0) held to the end, \($a.counters["vusers.failed"] // 0) failed; acknowledged emits \($a.counters["socketio.emit"] // 0)",
    ($a.counters | to_entries[] | select(.key | startswith("errors.")) | "  \(.key): \(.value)")' \
    "$work/run.json"
fi
[ -n "$all_at" ] && exit 0
echo "not every connection was made; what the shards said:"
grep -h -i -E "error|warning|EADDRNOTAVAIL" "$work"/shard-*.log | sort | uniq -c | sort -rn | head -20
exit 1
