#!/usr/bin/env bash
# Runs the official Socket.IO and Engine.IO protocol test suites against the
# built-in target (sockload serve), when they are present locally. It
# fetches nothing. To get them, clone the two repositories outside this one
# and install each suite's own dependencies:
#
#   git clone https://github.com/socketio/socket.io-protocol  ~/suites/socket.io-protocol
#   git clone https://github.com/socketio/engine.io-protocol  ~/suites/engine.io-protocol
#   (cd ~/suites/socket.io-protocol/test-suite && npm ci)
#   (cd ~/suites/engine.io-protocol/test-suite && npm ci)
#   # the Engine.IO v3 suite is the v3 branch of engine.io-protocol:
#   git -C ~/suites/engine.io-protocol worktree add ../engine.io-protocol-v3 v3
#   (cd ~/suites/engine.io-protocol-v3/test-suite && npm ci)
#
#   SUITES=~/suites bash bench/protocol-suites.sh
#   SUITES=~/suites RUNS=10 bash bench/protocol-suites.sh   # each suite 10 times
#
# Each suite runs against a target started with the configuration its README
# asks of a server (ping interval 300 ms, timeout 200 ms; the Socket.IO
# suite's handlers and /custom namespace; a bare Engine.IO echo server for
# the Engine.IO suites), on 127.0.0.1:3000, started afresh for every run;
# the script prints mocha's pass, fail and pending counts of every run, the
# failing tests with their errors, and how many runs passed in full. A
# missing suite is skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
SUITES=${SUITES:-$HOME/suites}
RUNS=${RUNS:-1}

work=$(mktemp -d)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/sockload" ./cmd/sockload

run_suite() { # name dir serve-flags...
  local name=$1 dir=$2
  shift 2
  if [ ! -f "$dir/test-suite.js" ] || [ ! -d "$dir/node_modules" ]; then
    echo "$name: not found at $dir (see the top of this script for how to get it)"
    return
  fi
  echo "== $name"
  local run full=0
  for run in $(seq 1 "$RUNS"); do
    "$work/sockload" serve --addr 127.0.0.1:3000 --ping-interval 300ms --ping-timeout 200ms "$@" >"$work/serve.log" 2>&1 &
    serve_pid=$!
    sleep 1
    (cd "$dir" && npx mocha test-suite.js >"$work/mocha.log" 2>&1 || true)
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
    serve_pid=""
    local passing failing pending
    passing=$(sed -nE 's/^ +([0-9]+) passing.*/\1/p' "$work/mocha.log")
    failing=$(sed -nE 's/^ +([0-9]+) failing.*/\1/p' "$work/mocha.log")
    pending=$(sed -nE 's/^ +([0-9]+) pending.*/\1/p' "$work/mocha.log")
    echo "run $run: ${passing:-0} passing, ${failing:-0} failing, ${pending:-0} pending"
    if [ -z "$failing" ] && [ -n "$passing" ]; then
      full=$((full + 1))
    else
      # The failures' titles and errors, from mocha's closing list.
      sed -n '/^ *[0-9]* failing/,$p' "$work/mocha.log" | grep -vE '^ +at ' | sed 's/^/    /' | head -60
    fi
  done
  echo "$name: $full of $RUNS runs without a failure"
}

# The suite's Readme configures its Node server with connectTimeout: 1000;
# no test depends on it (a connection without a CONNECT is closed by the
# ping timeout first), but its two heartbeat tests hold a session without
# a CONNECT for three ping intervals, 900 ms and six round trips, and fail
# whenever that passes 1 s (as they do against socket.io itself): 2 s
# leaves them room.
run_suite "socket.io-protocol" "$SUITES/socket.io-protocol/test-suite" \
  --protocol-suite --namespaces /custom --connect-timeout 2s
run_suite "engine.io-protocol (v4)" "$SUITES/engine.io-protocol/test-suite" \
  --engine-only --path /engine.io/
run_suite "engine.io-protocol (v3)" "$SUITES/engine.io-protocol-v3/test-suite" \
  --engine-only --eio 3 --path /engine.io/
