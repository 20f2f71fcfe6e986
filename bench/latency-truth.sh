#!/usr/bin/env bash
# latency-truth.sh: is sockload's socketio.response_time what the server saw?
#
#   RUNS=3 bash bench/latency-truth.sh
#
# A socket.io 4.8 server (bench/latency-server.js, on 127.0.0.1) acknowledges
# the event "wait" after a fixed delay (DELAYS, in ms) and measures on its
# side, per emit, the hold (the emit decoded to its acknowledgement written:
# the delay plus the event loop's lateness) and, per heartbeat, the transit
# (a ping written to the client's pong received: the network and the client's
# read and write paths, by the server's clock). A client's round trip is a
# hold plus a transit, so the ground truth of its p50 is
#   truth = hold p50 + transit p50.
# For each delay and run it runs a light load with sockload (VUS connections
# over RAMP s, each emitting "wait" EMITS times, one after the other) and
# reads socketio.response_time's p50 from its -o report; then the same load
# with the official socket.io-client (bench/latency-client.js, timing each
# round trip itself), the independent reference. It prints both beside the
# truth, with the ratios, and exits 1 if sockload's p50 (the median over
# RUNS) is more than TOLERANCE (10%) off the truth (the median over RUNS) for
# any delay. Everything stays on 127.0.0.1 and stops by itself.
#
# Environment: DELAYS ("20 100") VUS (20) EMITS (20) RAMP (1) RUNS (1)
# PING_INTERVAL (100, ms) TOLERANCE (0.10) BENCH_WORK (bench/work-latency).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_WORK:-$ROOT/bench/work-latency}
DELAYS=${DELAYS:-20 100} VUS=${VUS:-20} EMITS=${EMITS:-20} RAMP=${RAMP:-1}
RUNS=${RUNS:-1} PING_INTERVAL=${PING_INTERVAL:-100} TOLERANCE=${TOLERANCE:-0.10}
CLIENT_DIR="$ROOT/target/testdata/node-client-v4"
SERVER_PID=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 2; }
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

prepare() {
  local needed dir
  for needed in go node npm curl; do
    command -v "$needed" >/dev/null || die "$needed is needed: install it and run again"
  done
  mkdir -p "$WORK"
  for dir in "$ROOT/testdata/node/v4" "$CLIENT_DIR"; do
    [[ -d "$dir/node_modules" ]] || (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  done
  (cd "$ROOT" && go build -o "$WORK/sockload" ./cmd/sockload) || die "sockload does not build"
}

# start_server DELAY: the latency server acknowledging after DELAY ms.
start_server() {
  node "$ROOT/bench/latency-server.js" --port 0 --delay "$1" --ping-interval "$PING_INTERVAL" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/server.log")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || die "the latency server did not start: $(cat "$WORK/server.log")"
  TARGET="http://127.0.0.1:$port"
}

scenario() {
  cat <<YAML
config:
  target: "$TARGET"
  timeout: 30
  phases:
    - duration: $RAMP
      arrivalCount: $VUS
  socketio:
    transports: ["websocket"]
    reconnection: false
scenarios:
  - engine: socketio
    flow:
      - loop:
          - emit: ["wait"]
            acknowledge: {data: "done"}
        count: $EMITS
YAML
}

# truth: "hold_p50 transit_p50" of the server's samples since the last reset.
truth() {
  curl -sf "$TARGET/__latency" | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (!d.hold.count || !d.transit.count) { console.error("no samples: hold " + d.hold.count + ", transit " + d.transit.count); process.exit(1); }
    console.log(d.hold.p50.toFixed(3), d.transit.p50.toFixed(3));'
}
reset() { curl -sf -X DELETE "$TARGET/__latency" >/dev/null; }

# measure DELAY RUN: one sockload run and one socket.io-client run, appended
# to results.tsv as: delay run client p50 hold_p50 transit_p50.
measure() {
  local delay=$1 run=$2 p50 hold transit
  scenario >"$WORK/latency.yml"
  reset
  "$WORK/sockload" run -q -o "$WORK/sockload.$delay.$run.json" "$WORK/latency.yml" >"$WORK/sockload.log" 2>&1 ||
    die "sockload failed: $(tail -n 5 "$WORK/sockload.log")"
  p50=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).aggregate;
    const s = r.summaries["socketio.response_time"], c = r.counters;
    if (!s || s.count !== Number(process.argv[2]) || c["vusers.failed"]) { console.error("sockload: " + (s ? s.count : 0) + " responses, want " + process.argv[2] + "; failed VUs " + (c["vusers.failed"] || 0)); process.exit(1); }
    console.log(s.p50);' "$WORK/sockload.$delay.$run.json" $((VUS * EMITS))) || die "sockload's run did not add up"
  read -r hold transit < <(truth) || die "the server measured nothing"
  printf '%s\t%s\tsockload\t%s\t%s\t%s\n' "$delay" "$run" "$p50" "$hold" "$transit" >>"$WORK/results.tsv"

  reset
  p50=$(node "$ROOT/bench/latency-client.js" "$TARGET" "$VUS" "$EMITS" "$RAMP" 2>"$WORK/client.log" |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).p50.toFixed(3))') ||
    die "socket.io-client failed: $(tail -n 5 "$WORK/client.log")"
  read -r hold transit < <(truth) || die "the server measured nothing"
  printf '%s\t%s\tsocket.io-client\t%s\t%s\t%s\n' "$delay" "$run" "$p50" "$hold" "$transit" >>"$WORK/results.tsv"
}

# table: per delay and client, the medians over the runs, and the verdict.
table() {
  awk -F'\t' -v tol="$TOLERANCE" '
    function median(s,   n, v, i, j, t) {
      n = split(s, v, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    { key = $1 SUBSEP $3; if (!(key in p50)) order[++n] = key
      p50[key] = p50[key] " " $4; hold[key] = hold[key] " " $5; transit[key] = transit[key] " " $6
      truths[key] = truths[key] " " ($5 + $6); runs[key] = runs[key] " " sprintf("%.2f/%.2f", $4, $5 + $6) }
    END {
      print "| delay | client | client p50 | server hold p50 | server transit p50 | truth (hold + transit) | client / truth | runs (client/truth ms) |"
      print "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
      bad = 0
      for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP)
        c = median(p50[order[i]]); t = median(truths[order[i]]); r = c / t
        printf "| %d ms | %s | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.3f |%s |\n", k[1], k[2], c, median(hold[order[i]]), median(transit[order[i]]), t, r, runs[order[i]]
        if (k[2] == "sockload" && (r > 1 + tol || r < 1 - tol)) { bad = 1; failed = failed " " k[1] "ms" }
      }
      if (bad) { printf "\nFAIL: sockload'"'"'s p50 is more than %d%% off the truth at%s\n", tol * 100, failed; exit 1 }
      printf "\nOK: sockload'"'"'s p50 is within %d%% of the truth at every delay\n", tol * 100
    }' "$WORK/results.tsv"
}

main() {
  prepare
  : >"$WORK/results.tsv"
  local delay run
  for delay in $DELAYS; do
    start_server "$delay"
    log "delay $delay ms: server $TARGET; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for run in $(seq "$RUNS"); do
      measure "$delay" "$run"
    done
    stop_server
  done
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); sockload at $(git -C "$ROOT" rev-parse --short=12 HEAD)$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' with local changes');" \
    "$VUS VUs x $EMITS emits, $RUNS run(s); $(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  table
}

main "$@"
