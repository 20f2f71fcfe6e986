#!/usr/bin/env bash
# idle-rss.sh: a generator's RSS per idle connection, with its start-up
# subtracted, at CONNECTIONS connections in one process: sockload beside the
# simplest Go client (bench/naiveclient), one after the other.
#
#   bash bench/idle-rss.sh                         # 19,000 connections, about 4 minutes
#   CONNECTIONS=2000 RAMP=5 HOLD=10 bash bench/idle-rss.sh   # a quick check
#
# The target is TARGETS `sockload serve --reuse-port` processes sharing one
# port on 127.0.0.1 (a process may open at most 20,000 files here, so one
# cannot hold 19,000 connections beside its own), pinging every
# PING_INTERVAL. Each generator first makes one connection (the start-up
# run), then CONNECTIONS over RAMP s, each connected over websocket, emitting
# "ping" once with an acknowledgement and then idle HOLD s answering
# heartbeats: HOLD must be longer than RAMP, so that all CONNECTIONS are
# held at once after the last arrives. The peak RSS of the generator's process (GNU time) over the
# second run, less the start-up run's, divided by CONNECTIONS, is its RSS per
# idle connection. The script checks that every connection was held (the
# sockload report's VUs, the naive client's count) and prints a Markdown row
# per generator and the ratio. Everything stays on 127.0.0.1 and stops by
# itself.
#
# Environment: CONNECTIONS (19000) RAMP (40) HOLD (RAMP + 30) TARGETS (2)
# PING_INTERVAL (25s) RUNS (1: with more, medians) GENERATORS (sockload naive)
# GOGC and GOMEMLIMIT (passed on to both generators as set) BENCH_WORK
# (bench/work-idle-rss).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_WORK:-$ROOT/bench/work-idle-rss}
CONNECTIONS=${CONNECTIONS:-19000} RAMP=${RAMP:-40} TARGETS=${TARGETS:-2}
HOLD=${HOLD:-$((RAMP + 30))}
PING_INTERVAL=${PING_INTERVAL:-25s} RUNS=${RUNS:-1}
GENERATORS=${GENERATORS:-sockload naive}
TARGET_PIDS=()

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
cleanup() {
  local pid
  for pid in "${TARGET_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prepare() {
  local needed
  for needed in go node curl; do
    command -v "$needed" >/dev/null || die "$needed is needed: install it and run again"
  done
  [[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
  local hard per_target
  ((HOLD > RAMP)) || die "HOLD=$HOLD must be longer than RAMP=$RAMP: the first connections would leave before the last arrive"
  hard=$(ulimit -Hn)
  ((CONNECTIONS + 100 <= hard)) ||
    die "one generator process holds CONNECTIONS=$CONNECTIONS sockets, but a process may open $hard files: lower CONNECTIONS"
  per_target=$(((CONNECTIONS + TARGETS - 1) / TARGETS))
  ((per_target * 3 / 2 + 100 <= hard)) ||
    die "$TARGETS target processes take about $per_target connections each (and SO_REUSEPORT spreads them unevenly), but a process may open $hard files: raise TARGETS"
  mkdir -p "$WORK"
  (cd "$ROOT" && go build -o "$WORK/sockload" ./cmd/sockload && go build -o "$WORK/naiveclient" ./bench/naiveclient) ||
    die "the programs do not build"
}

start_targets() {
  local port i
  port=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 10000) }')
  for i in $(seq "$TARGETS"); do
    "$WORK/sockload" serve --addr "127.0.0.1:$port" --reuse-port --ping-interval "$PING_INTERVAL" \
      >"$WORK/target-$i.log" 2>&1 &
    TARGET_PIDS+=($!)
  done
  for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/socket.io/?EIO=4&transport=polling" && break
    sleep 0.1
  done
  curl -sf -o /dev/null "http://127.0.0.1:$port/socket.io/?EIO=4&transport=polling" ||
    die "the targets did not start: $(cat "$WORK/target-1.log")"
  TARGET="http://127.0.0.1:$port"
}

scenario() {
  cat <<YAML
config:
  target: "$TARGET"
  timeout: 60
  phases:
    - duration: $2
      arrivalCount: $1
  socketio:
    transports: ["websocket"]
    reconnection: false
scenarios:
  - engine: socketio
    flow:
      - emit: ["ping"]
        acknowledge: {data: "pong"}
      - think: $3
YAML
}

# run GENERATOR COUNT RAMP HOLD: one run under GNU time; prints its peak RSS
# in KiB after checking every connection was held.
run() {
  local gen=$1 count=$2 ramp=$3 hold=$4 name="$1.$2" cmd
  case $gen in
    sockload)
      scenario "$count" "$ramp" "$hold" >"$WORK/$name.yml"
      cmd=("$WORK/sockload" run -q -o "$WORK/$name.json" "$WORK/$name.yml") ;;
    naive)
      cmd=("$WORK/naiveclient" -target "$TARGET" -shape idle -vus "$count" -duration "${ramp}s" -hold "${hold}s") ;;
    *) die "unknown generator $gen: give sockload or naive" ;;
  esac
  timeout -k 10 $((ramp + hold + 120)) /usr/bin/time -o "$WORK/$name.time" -f '%M' "${cmd[@]}" >"$WORK/$name.log" 2>&1 ||
    die "$gen failed with $count connections: $(tail -n 5 "$WORK/$name.log")"
  case $gen in
    sockload) node -e '
        const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).aggregate.counters;
        const want = Number(process.argv[2]);
        if (c["vusers.completed"] !== want || c["vusers.failed"]) { console.error(`${c["vusers.completed"]} of ${want} VUs completed, ${c["vusers.failed"] || 0} failed`); process.exit(1); }' \
        "$WORK/$name.json" "$count" || die "sockload's run with $count connections did not hold them all" ;;
    naive) grep -q "^connections $count ok $count failed 0$" "$WORK/$name.log" ||
      die "the naive client did not hold all $count connections: $(tail -n 2 "$WORK/$name.log")" ;;
  esac
  tail -n 1 "$WORK/$name.time"
}

main() {
  prepare
  start_targets
  log "$TARGETS targets at $TARGET; $CONNECTIONS connections over ${RAMP}s, idle ${HOLD}s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  : >"$WORK/results.tsv"
  local r i gen gens startup peak
  read -r -a gens <<<"$GENERATORS"
  for r in $(seq "$RUNS"); do
    for i in "${!gens[@]}"; do
      gen=${gens[$(((i + r - 1) % ${#gens[@]}))]}
      log "run $r: $gen, start-up"
      startup=$(run "$gen" 1 1 0)
      log "run $r: $gen, $CONNECTIONS connections"
      peak=$(run "$gen" "$CONNECTIONS" "$RAMP" "$HOLD")
      printf '%s\t%s\t%s\n' "$gen" "$startup" "$peak" >>"$WORK/results.tsv"
      log "run $r: $gen: start-up $startup KiB, peak $peak KiB"
    done
  done
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); sockload at $(git -C "$ROOT" rev-parse --short=12 HEAD)$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' with local changes');" \
    "$CONNECTIONS idle connections in one process, $RUNS run(s); $(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  awk -F'\t' -v n="$CONNECTIONS" '
    function median(s,   k, v, i, j, t) {
      k = split(s, v, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
    }
    { if (!($1 in per)) order[++g] = $1
      per[$1] = per[$1] " " ($3 - $2) / n; su[$1] = su[$1] " " $2; pk[$1] = pk[$1] " " $3 }
    END {
      print "| generator | start-up peak RSS | peak RSS at " n " idle | RSS per idle connection, start-up subtracted |"
      print "| --- | ---: | ---: | ---: |"
      for (i = 1; i <= g; i++)
        printf "| %s | %.1f MiB | %.1f MiB | %.2f KiB |\n", order[i], median(su[order[i]]) / 1024, median(pk[order[i]]) / 1024, median(per[order[i]])
      if (("sockload" in per) && ("naive" in per))
        printf "\nsockload / naive, RSS per idle connection: %.2fx\n", median(per["sockload"]) / median(per["naive"])
    }' "$WORK/results.tsv"
}

main "$@"
