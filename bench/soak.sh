#!/usr/bin/env bash
# Soak: does the generator's memory stay flat over a long run with
# reconnection churn? VUS virtual users connect over the first minute and
# stay for the whole run, each emitting "ping" (acknowledged) every 5 s; the
# built-in target is stopped and started again on its port every
# RESTART_EVERY seconds, so every VU loses its connection and reconnects.
# The generator's RSS is sampled every SAMPLE seconds, beside its live heap
# (the heap marked live by its last collection, from GODEBUG=gctrace=1),
# its goroutine stacks, the part of the RSS that is the binary's pages
# (RssFile), and where its memory is by the runtime's classes (from
# --listen's /debug/memory: the heap's objects, the unused slots of their
# spans, its free pages kept and returned, all stacks, the rest, and the
# heap goal).
#
#   bash bench/soak.sh                           # the full soak: 30 min, 2,000 VUs
#   DURATION=240 VUS=500 RESTART_EVERY=60 bash bench/soak.sh   # a short one
#
# It prints the samples (seconds, then those figures in MB) and, from
# 30 s after the first restart until the flows end (the warm-up is the
# first connections and the first reconnection of every VU), the lowest and
# highest RSS and live heap and their spread; it exits 1 when the RSS's
# spread exceeds 10%. With OUT=dir it keeps there the run's log and a heap
# profile of sockload taken 30 s after every restart and at the flows' end
# (heap-<seconds>.pprof, from --listen's /debug/pprof/heap?gc=0, as of the
# runtime's last collection), to compare with `go tool pprof -base`;
# MEMPROFILERATE=65536 samples the heap every
# 64 KiB allocated instead of Go's 512 KiB, for finer profiles. It also
# prints, for every interval between restarts, the median RSS and the
# highest live heap, and the RSS's spread over the samples taken 60 s or
# more after a restart (the reconnection of every VU at once is a
# transient peak). Not run in CI. Everything stays on 127.0.0.0/8
# and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

DURATION=${DURATION:-1800}          # seconds
VUS=${VUS:-2000}
RESTART_EVERY=${RESTART_EVERY:-300} # seconds
SAMPLE=${SAMPLE:-10}                # seconds
PORT=${PORT:-3911}
LISTEN=${LISTEN:-127.0.0.1:3912}
OUT=${OUT:-}
MEMPROFILERATE=${MEMPROFILERATE:-}
BURST_PROFILE_AFTER=${BURST_PROFILE_AFTER:-} # seconds after each restart
GODEBUG_EXTRA=${GODEBUG_EXTRA:-}             # e.g. scavtrace=1

work=$(mktemp -d)
target_pid=""
run_pid=""
cleanup() {
  for pid in $run_pid $target_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -z "$OUT" ] || mkdir -p "$OUT"

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
godebug=gctrace=1${GODEBUG_EXTRA:+,$GODEBUG_EXTRA}
[ -z "$MEMPROFILERATE" ] || godebug="$godebug,memprofilerate=$MEMPROFILERATE"
# The grace leaves the flows time to finish: each reconnection costs a VU
# its reconnection delay on top of the 5 s thinks.
GODEBUG=$godebug "$work/sockload" run -q --allow-dead-run --grace "$((DURATION + 300))s" --listen "$LISTEN" \
  -o "$work/soak.json" "$work/soak.yml" >"$work/run.log" 2>"$work/gctrace.log" &
run_pid=$!

# last_gc prints the live heap and the stacks (MB) of the latest gctrace
# line: "gc N @t s P%: ... ms cpu, 40->42->20 MB, 44 MB goal, 1 MB stacks, ...".
last_gc() {
  grep '^gc ' "$work/gctrace.log" 2>/dev/null | tail -1 |
    sed -nE 's/.*->([0-9]+) MB, [0-9]+ MB goal, ([0-9]+) MB stacks.*/\1 \2/p'
}
# The profiles force no collection (gc=0): they are of the live heap as of
# the runtime's last one. A forced one let the runtime return pages the heap
# then grew back into: the RSS fell by 5-6 MB and took about 45 s to regrow,
# and those samples were judged. The burst profiles force one, to see the
# burst (opt-in).
profile() { # name [query]
  [ -z "$OUT" ] || curl -sf -o "$OUT/heap-$1.pprof" "http://$LISTEN/debug/pprof/heap${2-?gc=0}" || true
}

# memory_classes prints, in MB with a decimal, the runtime's memory
# classes: the heap's objects, unused slots, free pages kept, free pages
# returned, stacks, everything else (metadata, buffers), and the heap goal.
memory_classes() {
  curl -sf "http://$LISTEN/debug/memory" 2>/dev/null | awk '
    { v[$1] = $2 / 1048576 }
    END {
      stacks = v["/memory/classes/heap/stacks:bytes"] + v["/memory/classes/os-stacks:bytes"]
      rest = v["/memory/classes/total:bytes"] - v["/memory/classes/heap/objects:bytes"] - v["/memory/classes/heap/unused:bytes"] \
        - v["/memory/classes/heap/free:bytes"] - v["/memory/classes/heap/released:bytes"] - stacks
      printf "%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n", v["/memory/classes/heap/objects:bytes"], v["/memory/classes/heap/unused:bytes"],
        v["/memory/classes/heap/free:bytes"], v["/memory/classes/heap/released:bytes"], stacks, rest, v["/gc/heap/goal:bytes"]
    }' || true
}

echo "seconds,rss_mb,live_heap_mb,stacks_mb,file_mb,objects_mb,unused_mb,free_mb,released_mb,all_stacks_mb,rest_mb,goal_mb"
started=$SECONDS
elapsed=0
next_restart=$RESTART_EVERY
samples=() heaps=()
while kill -0 "$run_pid" 2>/dev/null && [ "$elapsed" -le $((DURATION + 360)) ]; do
  rss_kb=$(ps -o rss= -p "$run_pid" 2>/dev/null | tr -d ' ' || true)
  [ -n "$rss_kb" ] || break
  read -r live stacks <<<"$(last_gc)" || true
  file_kb=$(awk '/^RssFile:/ { print $2 }' "/proc/$run_pid/status" 2>/dev/null || true)
  echo "$elapsed,$((rss_kb / 1024)),${live:-},${stacks:-},$(((${file_kb:-0} + 512) / 1024)),$(memory_classes)"
  # Judged from 30 s after the first restart (the warm-up) to the end of
  # the flows, when VUs start to finish.
  if [ "$elapsed" -ge $((RESTART_EVERY + 30)) ] && [ "$elapsed" -le $((DURATION - 10)) ]; then
    samples+=("$rss_kb")
    [ -z "${live:-}" ] || heaps+=("$live")
    echo "$elapsed $rss_kb ${live:-0}" >>"$work/judged"
  fi
  if [ $(((elapsed - 30) % RESTART_EVERY)) -eq 0 ] && [ "$elapsed" -gt 30 ]; then
    profile "$elapsed"
  fi
  if [ "$elapsed" -ge $((DURATION - 10)) ] && [ "$elapsed" -lt $((DURATION - 10 + SAMPLE)) ]; then
    profile "$elapsed"
  fi
  # The next sample on the wall clock's next multiple of SAMPLE: the
  # sampling itself takes time on a loaded machine.
  sleep $((SAMPLE - (SECONDS - started) % SAMPLE))
  elapsed=$(((SECONDS - started) / SAMPLE * SAMPLE))
  if [ "$elapsed" -ge "$next_restart" ] && [ "$elapsed" -lt "$DURATION" ]; then
    kill "$target_pid" 2>/dev/null || true
    wait "$target_pid" 2>/dev/null || true
    start_target
    # What the reconnection of every VU holds while it is under way (the
    # profile's forced collection changes the peak it looks at: opt-in).
    [ -z "$BURST_PROFILE_AFTER" ] || { sleep "$BURST_PROFILE_AFTER" && profile "$elapsed-burst" ""; } &
    next_restart=$((next_restart + RESTART_EVERY))
  fi
done
kill -TERM "$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || true
grep -E "vusers\.(created|completed|failed)|socketio\.(emit|reconnects)|errors\." "$work/run.log" | sed 's/^/# /' || true
[ -z "$OUT" ] || cp "$work/run.log" "$work/gctrace.log" "$work/soak.json" "$OUT/" 2>/dev/null || true

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
if [ "${#heaps[@]}" -ge 2 ]; then
  hlo=${heaps[0]} hhi=${heaps[0]}
  for h in "${heaps[@]}"; do
    [ "$h" -lt "$hlo" ] && hlo=$h
    [ "$h" -gt "$hhi" ] && hhi=$h
  done
  printf '# after warm-up: live heap %d..%d MB (at the last collection before each sample)\n' "$hlo" "$hhi"
fi
# Per interval between restarts: the median RSS and the highest live heap;
# then the spread of the samples 60 s or more after a restart.
awk -v every="$RESTART_EVERY" '
  { cycle = int($1 / every); rss[cycle] = rss[cycle] " " int($2 / 1024)
    if ($3 > live[cycle]) live[cycle] = $3
    if ($1 % every >= 60) { s = $2; if (!n++ || s < lo) lo = s; if (s > hi) hi = s } }
  END {
    for (c in rss) {
      k = split(substr(rss[c], 2), v, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      printf "# from %d s: median RSS %d MB over %d samples, live heap at most %d MB\n", c * every, v[int((k + 1) / 2)], k, live[c]
    }
    if (n) printf "# 60 s or more after a restart: RSS %d..%d MB, spread %.1f%% over %d samples\n", lo / 1024, hi / 1024, (hi - lo) * 100 / lo, n
  }' "$work/judged" | sort -t' ' -k3n
[ "$spread" -le 100 ]
