#!/usr/bin/env bash
# artillery-compare.sh: sockload and Artillery side by side, against one
# reference socket.io 4.x server on 127.0.0.1.
#
#   bash bench/artillery-compare.sh
#
# Runs four scenarios (bench/scenarios/*.yml) with each generator, one after
# the other, and measures each generator's CPU time (user + sys, from
# /usr/bin/time, which counts every process of it that was waited for) and the
# peak resident memory of its whole process tree (sampled from ps every 500 ms):
#
#   startup   one VU, one acknowledged ping: the fixed cost of the generator
#   ack-loop  10 VUs each emitting "ping" 2,000 times with an acknowledgement
#   arrivals  100 new VUs a second for 20 s, each one acknowledged ping
#   idle      2,000 VUs over 20 s, each connected and idle for 40 s
#
# It checks from both generators' JSON reports and from the server's own event
# counts that the emits happened, then prints a Markdown table of the
# figures and the ratios Artillery / sockload. Takes about 6 minutes a run.
#
# Environment:
#   ARTILLERY_ENGINE  socketio-v3 (default, the plugin) or socketio (Artillery's
#                     built-in engine)
#   BENCH_ONLY        space-separated subset of: startup ack-loop arrivals idle
#   RUNS              times to run each benchmark with each generator (default 1);
#                     the table compares the medians
#   BENCH_WORK        work directory (default bench/work)
#   SOCKLOAD_REV      build sockload at this commit (e.g. HEAD) instead of the
#                     working tree
#   SOCKLOAD_BIN      use this sockload binary instead of building one
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WORK=${BENCH_WORK:-$BENCH/work}
ARTILLERY_DIR="$BENCH/artillery"
ARTILLERY_ENGINE=${ARTILLERY_ENGINE:-socketio-v3}
BENCHES=${BENCH_ONLY:-startup ack-loop arrivals idle}
RUNS=${RUNS:-1}
RUN_LIMIT=150 # seconds any one generator run may take before it is interrupted

SERVER_PID=""
SOCKLOAD_BUILT=""
RUN_PID=""
SAMPLER_PID=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# descendants PID: every process below PID, deepest last.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# stop_tree PID: end PID and every process below it.
stop_tree() {
  local pid=$1
  [[ -n "$pid" ]] || return 0
  local pids
  pids="$(descendants "$pid") $pid"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  sleep 1
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

cleanup() {
  if [[ -n "$SAMPLER_PID" ]]; then kill "$SAMPLER_PID" 2>/dev/null || true; fi
  stop_tree "$RUN_PID"
  stop_tree "$SERVER_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check_prerequisites() {
  local needed
  for needed in go node npm ps; do
    command -v "$needed" >/dev/null || die "$needed is needed: install it and run again"
  done
  if [[ ! -x /usr/bin/time ]]; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      log "installing GNU time"
      apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
    fi
    [[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
  fi
  # Each generator holds 2,000 sockets in the idle benchmark.
  local want=8192
  if (( $(ulimit -n) < want )); then
    ulimit -n "$want" 2>/dev/null || die "open-file limit $(ulimit -n) is below $want: raise it (ulimit -n $want)"
  fi
  log "open-file limit $(ulimit -n)"
}

install_artillery() {
  local artillery="$ARTILLERY_DIR/node_modules/.bin/artillery"
  if [[ ! -x "$artillery" || "$ARTILLERY_DIR/package-lock.json" -nt "$ARTILLERY_DIR/node_modules" ]]; then
    log "installing Artillery from bench/artillery/package-lock.json (npm ci)"
    # A dependency would otherwise download a browser build, which fails offline.
    (cd "$ARTILLERY_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >&2
    touch "$ARTILLERY_DIR/node_modules"
  fi
  if [[ ! -d "$ROOT/testdata/node/v4/node_modules" ]]; then
    log "installing the reference server (npm ci in testdata/node/v4)"
    (cd "$ROOT/testdata/node/v4" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
}

# build_sockload builds the working tree, or the commit SOCKLOAD_REV names
# (from git archive, leaving the working tree alone), or takes SOCKLOAD_BIN.
build_sockload() {
  if [[ -n "${SOCKLOAD_BIN:-}" ]]; then
    [[ -x "$SOCKLOAD_BIN" ]] || die "SOCKLOAD_BIN=$SOCKLOAD_BIN is not an executable"
    cp "$SOCKLOAD_BIN" "$WORK/sockload"
    SOCKLOAD_BUILT="binary $SOCKLOAD_BIN"
  elif [[ -n "${SOCKLOAD_REV:-}" ]]; then
    local commit src="$WORK/src"
    commit=$(git -C "$ROOT" rev-parse --verify "$SOCKLOAD_REV^{commit}") || die "SOCKLOAD_REV=$SOCKLOAD_REV is not a commit"
    log "building sockload at ${commit:0:12}"
    rm -rf "$src" && mkdir -p "$src"
    git -C "$ROOT" archive "$commit" | tar -x -C "$src"
    (cd "$src" && go build -o "$WORK/sockload" ./cmd/sockload) || die "sockload at ${commit:0:12} does not build"
    SOCKLOAD_BUILT="commit ${commit:0:12}"
  else
    log "building sockload from the working tree"
    (cd "$ROOT" && go build -o "$WORK/sockload" ./cmd/sockload) ||
      die "sockload does not build: fix it, or bench a commit with SOCKLOAD_REV=HEAD"
    SOCKLOAD_BUILT="working tree at $(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' with local changes')"
  fi
}

start_server() {
  node "$ROOT/testdata/node/v4/server.js" --port 0 >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/server.log")
    [[ -n "$port" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the reference server exited: $(cat "$WORK/server.log")"
    sleep 0.1
  done
  [[ -n "$port" ]] || die "the reference server did not start in 10 s"
  TARGET="http://127.0.0.1:$port"
  log "reference server (socket.io 4.x, pid $SERVER_PID) at $TARGET"
}

# scenario BENCH GENERATOR: the scenario file the generator runs. Artillery's
# built-in engine gets a copy that names it instead of the plugin.
scenario() {
  local file="$BENCH/scenarios/$1.yml"
  if [[ "$2" == artillery && "$ARTILLERY_ENGINE" != socketio-v3 ]]; then
    sed "s/socketio-v3/$ARTILLERY_ENGINE/g" "$file" >"$WORK/$1.$ARTILLERY_ENGINE.yml"
    file="$WORK/$1.$ARTILLERY_ENGINE.yml"
  fi
  echo "$file"
}

# sample_rss PID OUT: every 500 ms, the summed RSS (KB) of the processes
# below PID, except the timeout and time wrappers; the peak goes to OUT.
sample_rss() {
  local pid=$1 out=$2 peak=0 sum
  while kill -0 "$pid" 2>/dev/null; do
    sum=$(ps -e -o pid=,ppid=,rss=,comm= | awk -v root="$pid" '
      { parent[$1] = $2; rss[$1] = $3; name[$1] = $4 }
      END {
        total = 0
        for (p in parent) {
          if (name[p] == "timeout" || name[p] == "time") continue
          for (q = parent[p]; q != "" && q > 1; q = parent[q]) if (q == root) { total += rss[p]; break }
        }
        print total
      }')
    (( sum > peak )) && peak=$sum
    echo "$peak" >"$out"
    sleep 0.5
  done
}

# measure GENERATOR BENCH RUN: run one scenario with one generator and append
# a line to results.tsv.
measure() {
  local generator=$1 bench=$2 name="$2.$1.$3"
  local file report="$WORK/$name.json" timing="$WORK/$name.time" rssfile="$WORK/$name.rss" logfile="$WORK/$name.log"
  file=$(scenario "$bench" "$generator")
  local cmd
  case $generator in
    sockload) cmd=("$WORK/sockload" run -q -o "$report" -t "$TARGET" "$file") ;;
    artillery) cmd=("$ARTILLERY_DIR/node_modules/.bin/artillery" run -o "$report" -t "$TARGET" "$file") ;;
  esac
  rm -f "$report" "$timing"
  node "$BENCH/compare.js" stats "$TARGET" >"$WORK/stats.before"
  log "$bench: $generator (run $3 of $RUNS)"
  timeout -s TERM -k 15 "$RUN_LIMIT" /usr/bin/time -o "$timing" -f '%e %U %S %M' "${cmd[@]}" \
    >"$logfile" 2>&1 &
  RUN_PID=$!
  echo 0 >"$rssfile"
  sample_rss "$RUN_PID" "$rssfile" &
  SAMPLER_PID=$!
  local rc=0
  wait "$RUN_PID" || rc=$?
  wait "$SAMPLER_PID" 2>/dev/null || true
  RUN_PID="" SAMPLER_PID=""
  (( rc == 0 )) || die "$generator exited with $rc on $bench: see $logfile"
  [[ -s "$report" ]] || die "$generator wrote no report for $bench: see $logfile"
  node "$BENCH/compare.js" stats "$TARGET" >"$WORK/stats.after"

  local wall user sys maxrss rss pings emits created completed failed errors
  # time writes "Command exited with non-zero status" first when it did.
  read -r wall user sys maxrss < <(tail -n 1 "$timing")
  rss=$(cat "$rssfile")
  pings=$(node "$BENCH/compare.js" pings "$WORK/stats.before" "$WORK/stats.after")
  read -r emits created completed failed errors < <(node "$BENCH/compare.js" counters "$report")
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  log "  cpu ${cpu}s (user $user, sys $sys), peak tree RSS $((rss / 1024)) MB, wall ${wall}s;" \
    "VUs $created created, $completed completed, $failed failed; emits $emits (report), $pings (server); errors $errors"
  if (( failed != 0 || completed != created || emits != pings )); then
    log "  WARNING: $generator's $bench run is not clean: its figures are not comparable"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$generator" "$bench" "$cpu" "$rss" "$maxrss" "$wall" \
    "$emits" "$created" "$completed" "$failed" "$pings" >>"$WORK/results.tsv"
}

main() {
  mkdir -p "$WORK"
  check_prerequisites
  install_artillery
  build_sockload
  export ARTILLERY_DISABLE_TELEMETRY=true
  log "Artillery $(cd "$ARTILLERY_DIR" && node -p 'require("artillery/package.json").version')" \
    "with engine $ARTILLERY_ENGINE; node $(node --version); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  start_server
  : >"$WORK/results.tsv"
  local run bench
  for run in $(seq 1 "$RUNS"); do
    for bench in $BENCHES; do
      # Alternate which generator goes first, so that neither always follows the other.
      if (( run % 2 )); then
        measure artillery "$bench" "$run"
        measure sockload "$bench" "$run"
      else
        measure sockload "$bench" "$run"
        measure artillery "$bench" "$run"
      fi
    done
  done
  log "done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); sockload $SOCKLOAD_BUILT; Artillery 2.0.34, engine $ARTILLERY_ENGINE; $RUNS run(s);" \
    "node $(node --version); $(nproc) cores; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  node "$BENCH/compare.js" table "$WORK/results.tsv"
}

main "$@"
