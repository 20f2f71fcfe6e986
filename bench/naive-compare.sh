#!/usr/bin/env bash
# naive-compare.sh: sockload side by side with the simplest Go client
# (bench/naiveclient: gorilla, one goroutine per connection, frames written by
# hand, no metrics) and, for idle connections, with the official Node
# socket.io-client, against one reference socket.io 4.x server
# (testdata/node/v4) on 127.0.0.1.
#
#   bash bench/naive-compare.sh
#
# Shapes (each generator runs the same work, one after the other):
#   startup   one connection, one acknowledged emit: the fixed cost subtracted below
#   ack       ACK_VUS connections over 1 s, each ACKS acknowledged emits with THINK_MS after each
#   arrivals  ARRIVAL_RATE new connections a second for ARRIVAL_SECONDS, each one ack, then leaving
#   idle      IDLE_VUS connections over IDLE_RAMP s, each one ack, then idle for IDLE_HOLD s
#
# Per generator it measures the CPU time (user + sys) and the peak RSS of the
# process (GNU time), and the server's CPU time over the same run (from
# /proc), and prints, with the startup run subtracted: CPU per acknowledged
# emit, CPU per arrival, RSS per idle connection, and the ratios to the naive
# client. The server pings every 5 s (timeout 20 s, for a loaded machine), so idle connections answer
# heartbeats. Everything stays on 127.0.0.1 and stops by itself.
#
# The server's CPU for idle connections, by transports: besides the three
# above (all websocket only), GENERATORS may name sockload-default and
# nodeclient-default (their default transports: HTTP long-polling first, then
# the upgrade to websocket), sockload-base (the sockload binary SOCKLOAD_BASE,
# another build to compare with, over websocket) and locust (Locust 2.12 with python-socketio 5.7,
# bench/locust/idle_locustfile.py, its default transports too; Debian's
# python3-locust, python3-socketio and python3-websocket), for the startup and
# idle shapes; a second table lists every generator's idle run, with the
# server's CPU split into the arrivals (to IDLE_RAMP + 1 s), the idle time
# (to IDLE_HOLD - 1 s, before the first connection, which arrived at 0, leaves;
# a split needs IDLE_HOLD > IDLE_RAMP + 2) and the leaving, and the
# connections that failed (such a run is kept, not fatal, in the idle shape):
#
#   BENCH_ONLY=idle GENERATORS="sockload sockload-default naive nodeclient nodeclient-default locust" \
#     RUNS=3 bash bench/naive-compare.sh
#
# Fairness: the same client costs a server that has just started a third to a
# half more CPU than a warmed one (V8 compiles, the heap grows), so by default
# every run has a fresh server of its own (SERVER=fresh; SERVER=shared: one
# server for the whole script, as before, with one naive idle run first as a
# warm-up, listed apart, unless WARMUP=0). With SERVER=fresh and WARMUP=1,
# each fresh server first serves a short naive warm-up (IDLE_VUS / 4
# connections over 2 s, each idle 1 s), not measured. In every case each run
# starts with the next generator in turn, so no generator keeps a position.
#
# What each client makes the server do, per session (WIRE=1): the server is
# started with bench/wire-count.js preloaded, and a third table lists, per
# idle run, TCP connections, HTTP requests by kind (the polling handshake
# GET, GETs and POSTs of a session, websocket upgrades), requests on a
# kept-alive connection, the connections the server closed itself (no FIN
# from the client first) and those the client reset (ECONNRESET), the bytes
# read and written, and the reads and writes of the upgraded sockets, all per
# session; and the extensions the upgrades offered (Sec-WebSocket-Extensions).
# Counting costs the server a little CPU: compare CPU figures of runs with
# the same WIRE. WIRE=1 implies SERVER=fresh.
#
# Environment: ACK_VUS (100) ACKS (50) THINK_MS (50) ARRIVAL_RATE (100)
# ARRIVAL_SECONDS (10) IDLE_VUS (1000) IDLE_RAMP (10) IDLE_HOLD (20) RUNS (1:
# with more, the medians are compared) BENCH_ONLY (subset of: ack arrivals
# idle) GENERATORS (sockload naive nodeclient; naive-clean adds the naive
# client leaving cleanly, -leave clean, in a column of its own) PING_INTERVAL (5000, the
# server's, ms) SERVER (fresh, or shared) WARMUP (0 with a fresh server, 1
# with a shared one) WIRE (0) BENCH_WORK (bench/work-naive) SETTLE (3: the
# seconds the server's CPU is still counted, apart, after an idle run's
# generator exited) PIN (0; 1 runs the server on core 0 and each generator
# on core 1, with taskset: on 2 cores, two processes left to the scheduler
# compete for the same core at times, which moved the server's CPU by 5-7%
# between clients that make it do the same work; compare the server's CPU
# of clients with PIN=1).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_WORK:-$ROOT/bench/work-naive}
ACK_VUS=${ACK_VUS:-100} ACKS=${ACKS:-50} THINK_MS=${THINK_MS:-50}
ARRIVAL_RATE=${ARRIVAL_RATE:-100} ARRIVAL_SECONDS=${ARRIVAL_SECONDS:-10}
IDLE_VUS=${IDLE_VUS:-1000} IDLE_RAMP=${IDLE_RAMP:-10} IDLE_HOLD=${IDLE_HOLD:-20}
RUNS=${RUNS:-1}
BENCHES=${BENCH_ONLY:-ack arrivals idle}
GENERATORS=${GENERATORS:-sockload naive nodeclient}
PING_INTERVAL=${PING_INTERVAL:-5000}
WIRE=${WIRE:-0}
SETTLE=${SETTLE:-3}
SERVER=${SERVER:-fresh}
PIN=${PIN:-0}
SERVER_ON=() CLIENT_ON=()
if [[ $PIN == 1 ]]; then
  command -v taskset >/dev/null || { echo "PIN=1 needs taskset (util-linux)" >&2; exit 2; }
  (($(nproc) >= 2)) || { echo "PIN=1 needs 2 cores, this machine has $(nproc)" >&2; exit 2; }
  SERVER_ON=(taskset -c 0) CLIENT_ON=(taskset -c 1)
fi
[[ $WIRE == 1 ]] && SERVER=fresh
[[ $SERVER == fresh || $SERVER == shared ]] || { echo "SERVER is fresh or shared, not $SERVER" >&2; exit 2; }
if [[ $SERVER == fresh ]]; then WARMUP=${WARMUP:-0}; else WARMUP=${WARMUP:-1}; fi
LOCUST=${LOCUST:-/usr/bin/locust}
CLIENT_DIR="$ROOT/target/testdata/node-client-v4"
SERVER_PID="" TARGET=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

prepare() {
  for needed in go node npm; do
    command -v "$needed" >/dev/null || die "$needed is needed: install it and run again"
  done
  [[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
  local want=$((IDLE_VUS * 2 + 100))
  if (($(ulimit -n) < want)); then
    ulimit -n "$want" 2>/dev/null || die "open-file limit $(ulimit -n) is below $want: raise it or lower IDLE_VUS"
  fi
  mkdir -p "$WORK"
  [[ -d "$ROOT/testdata/node/v4/node_modules" ]] ||
    (cd "$ROOT/testdata/node/v4" && npm ci --no-audit --no-fund --loglevel=error) >&2
  if [[ " $GENERATORS " == *" locust "* ]]; then
    [[ -x "$LOCUST" ]] && /usr/bin/python3 -c 'import socketio, websocket' 2>/dev/null ||
      die "locust with python-socketio is needed: apt-get install python3-locust python3-socketio python3-websocket"
  fi
  if [[ " $GENERATORS " == *" nodeclient"* && ! -d "$CLIENT_DIR/node_modules" ]]; then
    (cd "$CLIENT_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  (cd "$ROOT" && go build -o "$WORK/sockload" ./cmd/sockload && go build -o "$WORK/naiveclient" ./bench/naiveclient) ||
    die "the programs do not build"
}

start_server() {
  local preload=()
  if [[ $WIRE == 1 ]]; then
    preload=(-r "$ROOT/bench/wire-count.js")
    : >"$WORK/wire.jsonl"
  fi
  : >"$WORK/server.log"
  WIRE_COUNT_OUT=$WORK/wire.jsonl "${SERVER_ON[@]}" node "${preload[@]}" "$ROOT/testdata/node/v4/server.js" --port 0 \
    --ping-interval "$PING_INTERVAL" --ping-timeout 20000 >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/server.log")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || die "the reference server did not start: $(cat "$WORK/server.log")"
  TARGET="http://127.0.0.1:$port"
}

# stop_server: ends the server (with WIRE=1 its counts are then final).
stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# fresh_server: with SERVER=fresh, a new server for the next run (after a
# naive warm-up when WARMUP=1).
fresh_server() {
  [[ $SERVER == fresh ]] || return 0
  stop_server
  start_server
  if [[ $WARMUP == 1 ]]; then
    timeout -k 10 120 "$WORK/naiveclient" -target "$TARGET" -shape idle -vus $(((IDLE_VUS + 3) / 4)) -duration 2s -hold 1s \
      >"$WORK/warmup.log" 2>&1 || log "warning: the warm-up run failed: $(tail -n 1 "$WORK/warmup.log")"
    [[ $WIRE == 1 ]] && kill -HUP "$SERVER_PID" # the counts start after the warm-up
  fi
  return 0
}

# server_cpu: the server's user + system CPU so far, in clock ticks.
server_cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# scenario SHAPE [TRANSPORTS]: sockload's scenario for a shape, over
# websocket only, or with the default transports when TRANSPORTS is default.
scenario() {
  local phase flow transports='transports: ["websocket"]'
  [[ ${2:-} == default ]] && transports="# default transports: polling, then the upgrade"
  case $1 in
    startup) phase="duration: 1
      arrivalCount: 1" flow='- emit: ["ping"]
        acknowledge: {data: "pong"}' ;;
    ack) phase="duration: 1
      arrivalCount: $ACK_VUS" flow="- loop:
          - emit: [\"ping\"]
            acknowledge: {data: \"pong\"}
          - think: \"${THINK_MS}ms\"
        count: $ACKS" ;;
    arrivals) phase="duration: $ARRIVAL_SECONDS
      arrivalRate: $ARRIVAL_RATE" flow='- emit: ["ping"]
        acknowledge: {data: "pong"}' ;;
    idle) phase="duration: $IDLE_RAMP
      arrivalCount: $IDLE_VUS" flow="- emit: [\"ping\"]
        acknowledge: {data: \"pong\"}
      - think: $IDLE_HOLD" ;;
  esac
  cat <<YAML
config:
  target: "$TARGET"
  timeout: 30
  phases:
    - $phase
  socketio:
    $transports
    reconnection: false
scenarios:
  - engine: socketio
    flow:
      $flow
YAML
}

# command GENERATOR SHAPE: the command line for one run.
command_for() {
  case $1/$2 in
    sockload/*) scenario "$2" >"$WORK/$2.yml"; echo "$WORK/sockload run -q -o $WORK/$2.json $WORK/$2.yml" ;;
    sockload-base/*) [[ -x ${SOCKLOAD_BASE:-} ]] || die "sockload-base runs SOCKLOAD_BASE, a sockload binary to compare with"
      scenario "$2" >"$WORK/$2.base.yml"; echo "$SOCKLOAD_BASE run -q -o $WORK/$2.base.json $WORK/$2.base.yml" ;;
    sockload-default/startup | sockload-default/idle)
      scenario "$2" default >"$WORK/$2.default.yml"; echo "$WORK/sockload run -q -o $WORK/$2.default.json $WORK/$2.default.yml" ;;
    naive/startup) echo "$WORK/naiveclient -target $TARGET -shape ack -vus 1 -acks 1 -think 0" ;;
    naive/ack) echo "$WORK/naiveclient -target $TARGET -shape ack -vus $ACK_VUS -acks $ACKS -think ${THINK_MS}ms" ;;
    naive/arrivals) echo "$WORK/naiveclient -target $TARGET -shape arrivals -rate $ARRIVAL_RATE -duration ${ARRIVAL_SECONDS}s" ;;
    naive/idle) echo "$WORK/naiveclient -target $TARGET -shape idle -vus $IDLE_VUS -duration ${IDLE_RAMP}s -hold ${IDLE_HOLD}s" ;;
    naive-clean/*) echo "$(command_for naive "$2") -leave clean" ;;
    nodeclient/startup) echo "node $ROOT/bench/idle-client.js $TARGET 1 0 0" ;;
    nodeclient/idle) echo "node $ROOT/bench/idle-client.js $TARGET $IDLE_VUS $IDLE_RAMP $IDLE_HOLD" ;;
    nodeclient-default/startup) echo "node $ROOT/bench/idle-client.js $TARGET 1 0 0 default" ;;
    nodeclient-default/idle) echo "node $ROOT/bench/idle-client.js $TARGET $IDLE_VUS $IDLE_RAMP $IDLE_HOLD default" ;;
    locust/startup) locust_command 1 1 0 ;;
    locust/idle) locust_command "$IDLE_VUS" "$IDLE_RAMP" "$IDLE_HOLD" ;;
    *) echo "" ;;
  esac
}

# locust_command COUNT RAMP HOLD: Locust spawning COUNT users over RAMP s,
# each idle HOLD s after its ack; the run ends 5 s after the last one's hold.
locust_command() {
  echo "env IDLE_HOLD=$3 $LOCUST -f $ROOT/bench/locust/idle_locustfile.py --headless --only-summary" \
    "-u $1 -r $(awk -v n="$1" -v r="$2" 'BEGIN { print (r > 0 ? n / r : n) }') -t $(($2 + $3 + 5))s --host $TARGET"
}

# measure GENERATOR SHAPE: one run, appended to results.tsv as
# generator shape cpu_s maxrss_kib wall_s server_cpu_s.
# An idle run in which connections failed is kept, with their count, for the
# server's table (a polling-first client on a loaded machine may lose some);
# any other failed run stops the script. LABEL names the row (GENERATOR).
measure() {
  local cmd before after label=${3:-$1} failed=0 ok=1 sampler=
  [[ -n "$(command_for "$1" "$2")" ]] || return 0
  fresh_server
  cmd=$(command_for "$1" "$2")
  log "$2: $label"
  before=$(server_cpu)
  # The server's CPU also at the end of the arrivals and before the first
  # idle connection leaves (it arrived at 0 and leaves at IDLE_HOLD), for
  # the split by phase.
  if [[ $2 == idle ]] && ((IDLE_HOLD > IDLE_RAMP + 2)); then
    (sleep $((IDLE_RAMP + 1)); server_cpu; sleep $((IDLE_HOLD - IDLE_RAMP - 2)); server_cpu) >"$WORK/phases" 2>/dev/null &
    sampler=$!
  else
    : >"$WORK/phases"
  fi
  # shellcheck disable=SC2086
  timeout -k 10 300 /usr/bin/time -o "$WORK/time" -f '%e %U %S %M' "${CLIENT_ON[@]}" $cmd >"$WORK/$1.$2.log" 2>&1 || ok=0
  after=$(server_cpu)
  if [[ -n $sampler ]]; then
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
  fi
  # What the server still does once the generator has exited (the ends of
  # connections it did not close cleanly, its garbage collection), not in
  # the run's figure: SETTLE s more.
  local settled=$after
  if [[ $2 == idle ]] && ((SETTLE > 0)); then
    sleep "$SETTLE"
    settled=$(server_cpu)
  fi
  if [[ $WIRE == 1 && $2 == idle ]]; then
    stop_server
    wire_counts "$label" >>"$WORK/wire.tsv"
  fi
  failed=$(failures "$1" "$2" "$ok")
  if [[ $failed != 0 ]]; then
    [[ $2 == idle ]] || die "$1 failed on $2: $(tail -n 5 "$WORK/$1.$2.log")"
    log "warning: $failed of $IDLE_VUS connections of $label failed: $(grep -m 1 -i 'error\|fail' "$WORK/$1.$2.log" | cut -c1-200)"
  fi
  read -r wall user sys maxrss < <(tail -n 1 "$WORK/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$2" "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" \
    "$maxrss" "$wall" "$(awk -v a="$after" -v b="$before" -v hz="$(getconf CLK_TCK)" 'BEGIN {print (a - b) / hz}')" \
    "$failed" "$(phases "$2" "$before" "$after")" \
    "$(awk -v a="$settled" -v b="$after" -v hz="$(getconf CLK_TCK)" 'BEGIN {print (a - b) / hz}')" >>"$WORK/results.tsv"
}

# phases SHAPE BEFORE AFTER: the server's CPU (s) over an idle run's arrivals, its
# idle time and its leaving, as "a/i/l" ("-" for other shapes or when a run
# ended before the samples).
phases() {
  local s1 s2
  [[ $1 == idle && -s "$WORK/phases" ]] || { echo -; return; }
  { read -r s1 && read -r s2; } <"$WORK/phases" || { echo -; return; }
  awk -v b="$2" -v s1="$s1" -v s2="$s2" -v a="$3" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.2f/%.2f/%.2f\n", (s1 - b) / hz, (s2 - s1) / hz, (a - s2) / hz }'
}

# failures GENERATOR SHAPE OK: how many connections of the run failed (from
# sockload's report, the clients' count lines, or "all" when a generator
# without either exited non-zero).
failures() {
  local report=$WORK/$2.json
  [[ $1 == sockload-default ]] && report=$WORK/$2.default.json
  [[ $1 == sockload-base ]] && report=$WORK/$2.base.json
  case $1 in
    sockload*) node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).aggregate.counters;
        console.log((c["vusers.failed"] || 0) + (c["vusers.created"] - c["vusers.completed"] - (c["vusers.failed"] || 0)))' \
        "$report" 2>/dev/null || echo all ;;
    naive* | nodeclient*) sed -n 's/^connections [0-9]* ok [0-9]* failed \([0-9]*\)$/\1/p' "$WORK/$1.$2.log" | grep . || echo all ;;
    *) [[ $3 == 1 ]] && echo 0 || echo all ;;
  esac
}

# table: the medians of each generator and shape, marginal over startup.
table() {
  awk -F'\t' -v acks=$((ACK_VUS * ACKS)) -v arrivals=$((ARRIVAL_RATE * ARRIVAL_SECONDS)) -v idle="$IDLE_VUS" '
    function median(key,   n, i, j, t, v) {
      n = split(runs[key], v, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      return n ? v[int((n + 1) / 2)] : ""
    }
    { gens[$1] = 1; runs[$1 "/" $2 "/cpu"] = runs[$1 "/" $2 "/cpu"] " " $3
      runs[$1 "/" $2 "/rss"] = runs[$1 "/" $2 "/rss"] " " $4
      runs[$1 "/" $2 "/srv"] = runs[$1 "/" $2 "/srv"] " " $6 }
    function fig(g, what,   s, x) {
      x = median(g "/" what "/" (what == "idle" ? "rss" : "cpu")); s = median(g "/startup/" (what == "idle" ? "rss" : "cpu"))
      if (x == "") return ""
      if (what == "ack") return (x - s) * 1e6 / acks
      if (what == "arrivals") return (x - s) * 1e6 / arrivals
      return (x - s) / idle
    }
    function cell(v, unit) { if (v == "") printf " |"; else printf " %.1f %s |", v, unit }
    function ratio(v, base) { if (v == "" || base == "" || base <= 0) printf " |\n"; else printf " %.2fx |\n", v / base }
    function clean(v, base) { if (!("naive-clean" in gens)) return; if (v == "" || base == "" || base <= 0) printf " |"; else printf " %.2fx |", v / base }
    function row(label, what, unit,   g) {
      printf "| %s |", label
      for (g = 1; g <= cols; g++) cell(fig(order[g], what), unit)
      clean(fig("sockload", what), fig("naive-clean", what))
      ratio(fig("sockload", what), fig("naive", what))
    }
    END {
      order[1] = "sockload"; order[2] = "naive"; order[3] = "nodeclient"; cols = 3
      # The naive client leaving cleanly (-leave clean: a close frame and
      # the server'"'"'s before the TCP close, as sockload and socket.io-client
      # leave), when GENERATORS names naive-clean.
      if ("naive-clean" in gens) {
        order[4] = "naive-clean"; cols = 4
        print "| work | sockload | naive Go client | Node socket.io-client | naive, clean leave | sockload / naive clean | sockload / naive |"
        print "| --- | --- | --- | --- | --- | --- | --- |"
      } else {
        print "| work | sockload | naive Go client | Node socket.io-client | sockload / naive |"
        print "| --- | --- | --- | --- | --- |"
      }
      row("CPU per acked emit (" acks " acks)", "ack", "µs")
      row("CPU per arrival (" arrivals " arrivals)", "arrivals", "µs")
      row("RSS per idle connection (" idle " connections)", "idle", "KiB")
      printf "| server CPU over the idle run |"
      for (g = 1; g <= cols; g++) cell(median(order[g] "/idle/srv"), "s")
      clean(median("sockload/idle/srv"), median("naive-clean/idle/srv"))
      ratio(median("sockload/idle/srv"), median("naive/idle/srv"))
    }' "$WORK/results.tsv"
}

main() {
  prepare
  [[ $SERVER == shared ]] && start_server
  log "server: $SERVER$([[ $SERVER == fresh ]] && echo ' for every run')$([[ $WARMUP == 1 ]] && echo ', warmed up'); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  : >"$WORK/results.tsv"
  : >"$WORK/wire.tsv"
  local run shape gen gens
  read -r -a gens <<<"$GENERATORS"
  # With one shared server, the first idle run against it pays for its JIT
  # and for growing its heap to hold the connections: one naive run of the
  # idle shape comes first (WARMUP=0: none) and is listed apart.
  if [[ $SERVER == shared && $WARMUP == 1 && " $BENCHES " == *" idle "* ]]; then
    measure naive idle "naive (warm-up, first against the fresh server)"
  fi
  for run in $(seq "$RUNS"); do
    for shape in startup $BENCHES; do
      # Each run starts with the next generator: the first run after the
      # server starts pays its JIT's warm-up, and each run may leave the
      # server garbage to collect during the next.
      for i in "${!gens[@]}"; do
        gen=${gens[$(((i + run - 1) % ${#gens[@]}))]}
        measure "$gen" "$shape"
      done
    done
  done
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); sockload at $(git -C "$ROOT" rev-parse --short=12 HEAD)$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' with local changes');" \
    "$RUNS run(s); $(nproc) cores$([[ $PIN == 1 ]] && echo ', the server on core 0 and the generators on core 1'); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  table
  echo
  server_table
  if [[ $WIRE == 1 ]]; then
    echo
    wire_table
  fi
}

# wire_counts LABEL: the server's counts (bench/wire-count.js) of the run
# that just ended, per session, as one line of wire.tsv: label, then
# name=value pairs.
wire_counts() {
  node -e '
    const fs = require("fs");
    const lines = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean);
    if (!lines.length) process.exit(0);
    const c = JSON.parse(lines[lines.length - 1]);
    const n = Number(process.argv[3]);
    const req = (k) => c.requests[k] || 0;
    const per = (v) => (v / n).toFixed(2);
    const sessions = req("GET polling open") + req("GET websocket open");
    const out = {
      sessions, tcp: per(c.tcp), "polling GET open": per(req("GET polling open")),
      "polling GET": per(req("GET polling sid")), "polling POST": per(req("POST polling sid")),
      upgrades: per(c.upgrades), "kept-alive requests": per(c.reusedRequests),
      "closed by server": per(c.closedByServer), "reset by client": per((c.socketErrors || {}).ECONNRESET || 0),
      "HTTP bytes in/out": per(c.http.bytesRead) + "/" + per(c.http.bytesWritten),
      "websocket bytes in/out": per(c.ws.bytesRead) + "/" + per(c.ws.bytesWritten),
      "websocket reads/writes": per(c.ws.reads) + "/" + per(c.ws.writes),
      "request head bytes": per(c.headBytes),
      extensions: Object.entries(c.extensionsOffered).map(([k, v]) => `${k} (${v})`).join("; "),
      "first messages": (c.firstMessages || []).map((m) => JSON.stringify(m)).join(" "),
    };
    for (const [kind, head] of Object.entries(c.heads || {})) out[kind + " head"] = head;
    console.log([process.argv[2], ...Object.entries(out).map(([k, v]) => `${k}=${v}`)].join("\t"));
  ' "$WORK/wire.jsonl" "$1" "$IDLE_VUS"
}

# wire_table: what each client made the server do per session, medians
# over the runs (the extensions offered: those of the last run).
wire_table() {
  [[ -s "$WORK/wire.tsv" ]] || return 0
  awk -F'\t' '
    function median(s,   n, v, i, j, t) {
      n = split(s, v, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return n ? v[int((n + 1) / 2)] : ""
    }
    { if (!($1 in seen)) { seen[$1] = 1; order[++g] = $1 }
      for (i = 2; i <= NF; i++) { k = substr($i, 1, index($i, "=") - 1); v = substr($i, index($i, "=") + 1)
        if (k == "extensions" || k ~ / head$/ || k == "first messages") { heads[$1, k] = v; if (!(k in hk)) { hk[k] = 1; hks[++nh] = k }; continue }
        if (!(k in col)) { col[k] = ++nc; cols[nc] = k }
        if (v ~ /\//) last[$1, k] = v; else vals[$1, k] = vals[$1, k] " " v } }
    END {
      printf "| per session, idle run (server side) |"; for (c = 1; c <= nc; c++) printf " %s |", cols[c]; print ""
      printf "| --- |"; for (c = 1; c <= nc; c++) printf " ---: |"; print ""
      for (i = 1; i <= g; i++) {
        printf "| %s |", order[i]
        for (c = 1; c <= nc; c++) { k = cols[c]; printf " %s |", ((order[i], k) in last) ? last[order[i], k] : median(vals[order[i], k]) }
        print ""
      }
      # What the clients send, from the last run of each: the extensions
      # offered, the first websocket messages, the first request heads.
      for (h = 1; h <= nh; h++) {
        print ""; print "- " hks[h] ":"
        for (i = 1; i <= g; i++) if ((order[i], hks[h]) in heads) print "  - " order[i] ": `" heads[order[i], hks[h]] "`"
      }
    }' "$WORK/wire.tsv"
}

# server_table: every generator's idle run: the server's CPU, the
# generator's own CPU and peak RSS (medians), and the server's CPU per run.
server_table() {
  awk -F'\t' '
    function median(s,   n, v, i, j, t) {
      n = split(s, v, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return n ? v[int((n + 1) / 2)] : ""
    }
    $2 == "idle" { if (!($1 in srv)) order[++g] = $1
      srv[$1] = srv[$1] " " $6; cpu[$1] = cpu[$1] " " $3; rss[$1] = rss[$1] " " $4; wall[$1] = wall[$1] " " $5
      lost[$1] = lost[$1] " " $7; post[$1] = post[$1] " " $9
      if (split($8, p, "/") == 3) { pa[$1] = pa[$1] " " p[1]; pi[$1] = pi[$1] " " p[2]; pl[$1] = pl[$1] " " p[3] }
      runs_[$1] = runs_[$1] (runs_[$1] == "" ? "" : ", ") $6 " (" $8 "/" $9 ")" }
    END {
      if (!g) exit
      print "| generator (idle run) | server CPU | arrivals / idle / leaving | after the generator exited | generator CPU | generator peak RSS | wall | server CPU, run by run (arrivals/idle/leaving/after) | failed connections, run by run |"
      print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
      for (i = 1; i <= g; i++) {
        k = order[i]
        split_ = (k in pa) ? sprintf("%.2f / %.2f / %.2f s", median(pa[k]), median(pi[k]), median(pl[k])) : ""
        printf "| %s | %.2f s | %s | %.2f s | %.2f s | %.0f MiB | %.1f s | %s | %s |\n", k, median(srv[k]), split_, median(post[k]),
          median(cpu[k]), median(rss[k]) / 1024, median(wall[k]), runs_[k], substr(lost[k], 2)
      }
    }' "$WORK/results.tsv"
}

main "$@"
