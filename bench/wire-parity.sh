#!/usr/bin/env bash
# wire-parity.sh: what a socket.io 4.x server receives from Artillery and
# from sockload for every emit form of bench/scenarios/wire-parity.yml,
# recorded by the reference server (testdata/node, --record), as a table:
#
#   bash bench/wire-parity.sh            # prints the table, fails on a difference
#   bash bench/wire-parity.sh -update    # also rewrites testdata/wire/parity.json
#
# The table is the golden of engine.TestWireParityWithArtillery. Each tool
# runs one VU against a fresh server; it takes about 15 seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WORK=${BENCH_WORK:-$BENCH/work}
ARTILLERY_DIR="$BENCH/artillery"
SCENARIO="$BENCH/scenarios/wire-parity.yml"
GOLDEN="$ROOT/testdata/wire/parity.json"
SERVER_PID=""

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() { if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

prepare_artillery_bench go node npm curl

# record TOOL: run the scenario with TOOL against a fresh recording server
# and write what the server received to $WORK/wire.TOOL.json.
record() {
  local tool=$1 port=""
  node "$ROOT/testdata/node/v4/server.js" --port 0 --record >"$WORK/wire-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/wire-server.log")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || die "the reference server did not start: $(cat "$WORK/wire-server.log")"
  log "$tool against 127.0.0.1:$port"
  case $tool in
    artillery) timeout 60 "$ARTILLERY_DIR/node_modules/.bin/artillery" run -t "http://127.0.0.1:$port" "$SCENARIO" >"$WORK/wire.$tool.log" 2>&1 ;;
    sockload) timeout 60 "$WORK/sockload" run -q -t "http://127.0.0.1:$port" "$SCENARIO" >"$WORK/wire.$tool.log" 2>&1 ;;
  esac || die "$tool failed: see $WORK/wire.$tool.log"
  curl -sf "http://127.0.0.1:$port/__received" >"$WORK/wire.$tool.json"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

record artillery
record sockload
version=$(node -p "require('$ROOT/testdata/node/v4/node_modules/socket.io/package.json').version")
status=0
node "$BENCH/wire-parity.js" "$WORK/wire.artillery.json" "$WORK/wire.sockload.json" "$version" >"$WORK/parity.json" || status=$?
cat "$WORK/parity.json"
if [[ "${1:-}" == "-update" ]]; then
  cp "$WORK/parity.json" "$GOLDEN"
  log "wrote $GOLDEN"
fi
exit "$status"
