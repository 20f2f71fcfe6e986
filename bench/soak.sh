#!/usr/bin/env bash
# Soak: does the generator's memory stay flat over a long run with
# reconnection churn? VUS virtual users connect over the first minute and
# stay for the whole run, each emitting "ping" (acknowledged) every 5 s; the
# built-in target is stopped and started again on its port every
# RESTART_EVERY seconds, so every VU loses its connection and reconnects.
# The generator's RSS is sampled every SAMPLE seconds.
#
#   bash bench/soak.sh                           # the full soak: 30 min, 2,000 VUs
#   DURATION=240 VUS=500 RESTART_EVERY=60 bash bench/soak.sh   # a short one
#
# It prints the samples (seconds, RSS in MB) and, from 30 s after the first
# restart until the flows end, the lowest and highest RSS and their spread;
# it exits 1 when the spread exceeds 10%. Not run in CI. Everything stays on
# 127.0.0.0/8 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

DURATION=${DURATION:-1800}          # seconds
VUS=${VUS:-2000}
RESTART_EVERY=${RESTART_EVERY:-300} # seconds
SAMPLE=${SAMPLE:-10}                # seconds
PORT=${PORT:-3911}

work=$(mktemp -d)
target_pid=""
run_pid=""
cleanup() {
  for pid in $run_pid $target_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/sockload" ./cmd/sockload
ulimit -n "$(ulimit -Hn)"

start_target() {
  "$work/sockload" serve --addr "127.0.0.1:$PORT" --reuse-port >>"$work/serve.log" 2>&1 &
  target_pid=$!
}

loops=$((DURATION / 5))
cat >"$work/soak.yml" <<YAML
config:
  target: "http://127.0.0.1:$PORT"
  timeout: 10
  phases:
    - duration: 60
      arrivalCount: $VUS
  socketio:
    transports: ["websocket"]
    reconnection: true
scenarios:
  - engine: socketio
    flow:
      - loop:
          - emit: ["ping"]
            acknowledge: true
          - think: 5
        count: $loops
YAML

start_target
sleep 1
"$work/sockload" run -q --allow-dead-run --grace "${DURATION}s" -o "$work/soak.json" "$work/soak.yml" >"$work/run.log" 2>&1 &
run_pid=$!

echo "seconds,rss_mb"
elapsed=0
next_restart=$RESTART_EVERY
samples=()
while kill -0 "$run_pid" 2>/dev/null && [ "$elapsed" -le $((DURATION + 60)) ]; do
  rss_kb=$(ps -o rss= -p "$run_pid" 2>/dev/null | tr -d ' ' || true)
  [ -n "$rss_kb" ] || break
  echo "$elapsed,$((rss_kb / 1024))"
  # Judged from 30 s after the first restart (the warm-up) to the end of
  # the flows, when VUs start to finish.
  if [ "$elapsed" -ge $((RESTART_EVERY + 30)) ] && [ "$elapsed" -le $((DURATION - 10)) ]; then
    samples+=("$rss_kb")
  fi
  sleep "$SAMPLE"
  elapsed=$((elapsed + SAMPLE))
  if [ "$elapsed" -ge "$next_restart" ] && [ "$elapsed" -lt "$DURATION" ]; then
    kill "$target_pid" 2>/dev/null || true
    wait "$target_pid" 2>/dev/null || true
    start_target
    next_restart=$((next_restart + RESTART_EVERY))
  fi
done
kill -TERM "$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || true
grep -E "vusers\.(created|completed|failed)|socketio\.(emit|reconnects)|errors\." "$work/run.log" | sed 's/^/# /' || true

if [ "${#samples[@]}" -lt 2 ]; then
  echo "# too few samples after the warm-up to judge" >&2
  exit 1
fi
lo=${samples[0]} hi=${samples[0]}
for s in "${samples[@]}"; do
  [ "$s" -lt "$lo" ] && lo=$s
  [ "$s" -gt "$hi" ] && hi=$s
done
spread=$(((hi - lo) * 1000 / lo))
printf '# after warm-up: RSS %d..%d MB, spread %d.%d%% over %d samples\n' \
  $((lo / 1024)) $((hi / 1024)) $((spread / 10)) $((spread % 10)) "${#samples[@]}"
[ "$spread" -le 100 ]
