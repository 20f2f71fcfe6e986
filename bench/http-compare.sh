#!/usr/bin/env bash
# http-compare.sh: CPU per HTTP request of sockload and Artillery on the same
# login flow (bench/scenarios/http-login.yml: 40 VUs, each one login, 50
# GET /me and an acknowledged emit on /private with the token), against one
# Node reference server (socket.io 4.x) on 127.0.0.1.
#
#   bash bench/http-compare.sh          # RUNS=3 repeats, tools alternating
#
# Each generator's CPU (user + sys, /usr/bin/time, the whole process tree it
# waited for) is divided by the HTTP requests the server counted during its
# run (GET /__stats, httpRequests): Artillery's socketio-v3 engine runs HTTP
# steps but reports no http.* metrics (its built-in socketio engine does, but
# fails this flow's connect with auth). Every VU must complete. The total
# includes each tool's startup; the marginal figure subtracts a run of one
# VU (51 requests) of the same flow, measured beside it. Takes about 1.5
# minutes a run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WORK=${BENCH_WORK:-$BENCH/work}
ARTILLERY_DIR="$BENCH/artillery"
SCENARIO="$BENCH/scenarios/http-login.yml"
RUNS=${RUNS:-3}
SERVER_PID=""

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() { if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

prepare_artillery_bench go node npm curl /usr/bin/time
export ARTILLERY_DISABLE_TELEMETRY=true

node "$ROOT/testdata/node/v4/server.js" --port 0 --namespaces /,/private >"$WORK/http-server.log" 2>&1 &
SERVER_PID=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/http-server.log")
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || die "the reference server did not start: $(cat "$WORK/http-server.log")"
TARGET="http://127.0.0.1:$port"
log "reference server at $TARGET; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# http_requests: the HTTP requests the server has answered so far.
http_requests() { curl -sf "$TARGET/__stats" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).httpRequests)'; }

# measure TOOL RUN SIZE: appends "tool size cpu_seconds http_requests completed
# created" to the results; SIZE is "full" (the scenario) or "one" (one VU).
measure() {
  local tool=$1 name="http.$1.$2.$3" cmd before
  local -a size=()
  [[ $3 == one ]] && size=(--overrides '{"config":{"phases":[{"duration":1,"arrivalCount":1}]}}')
  before=$(http_requests)
  case $tool in
    sockload) cmd=("$WORK/sockload" run -q -o "$WORK/$name.json" -t "$TARGET" "${size[@]}" "$SCENARIO") ;;
    artillery) cmd=("$ARTILLERY_DIR/node_modules/.bin/artillery" run -o "$WORK/$name.json" -t "$TARGET" "${size[@]}" "$SCENARIO") ;;
  esac
  log "$tool, $3, run $2 of $RUNS"
  timeout -s TERM -k 15 150 /usr/bin/time -o "$WORK/$name.time" -f '%U %S' "${cmd[@]}" >"$WORK/$name.log" 2>&1 ||
    die "$tool failed: see $WORK/$name.log"
  local user sys after
  read -r user sys < <(tail -n 1 "$WORK/$name.time")
  after=$(http_requests)
  node -e '
    const r = require(process.argv[1]).aggregate.counters;
    const [tool, size, user, sys, requests] = process.argv.slice(2);
    console.log([tool, size, (Number(user) + Number(sys)).toFixed(2), requests,
      r["vusers.completed"] || 0, r["vusers.created"] || 0].join("\t"));
  ' "$WORK/$name.json" "$tool" "$3" "$user" "$sys" "$((after - before))" | tee -a "$WORK/http-results.tsv" >&2
}

: >"$WORK/http-results.tsv"
for run in $(seq 1 "$RUNS"); do
  for size in full one; do
    if (( run % 2 )); then
      measure artillery "$run" "$size"; measure sockload "$run" "$size"
    else
      measure sockload "$run" "$size"; measure artillery "$run" "$size"
    fi
  done
done
log "done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split("\t"));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const cpu = {}, req = {};
  for (const [tool, size, c, r, done, created] of rows) {
    if (Number(done) !== Number(created) || Number(r) !== 51 * Number(created)) console.error(`WARNING: ${tool} ${size} run not clean: ${r} requests, ${done}/${created} VUs`);
    const k = tool + " " + size;
    (cpu[k] = cpu[k] || []).push(Number(c));
    (req[k] = req[k] || []).push(Number(r));
  }
  const fig = (tool) => {
    const c = median(cpu[tool + " full"]), r = median(req[tool + " full"]);
    const c1 = median(cpu[tool + " one"]), r1 = median(req[tool + " one"]);
    return { total: (c * 1e6) / r, marginal: ((c - c1) * 1e6) / (r - r1), c, c1 };
  };
  const s = fig("sockload"), a = fig("artillery");
  const n = cpu["sockload full"].length;
  console.log(`| figure (medians of ${n} runs) | Artillery 2.0.34 | sockload | Artillery / sockload |`);
  console.log("| --- | ---: | ---: | ---: |");
  console.log(`| CPU of the run (40 VUs, 2,040 requests) | ${a.c.toFixed(2)} s | ${s.c.toFixed(2)} s | ${(a.c / s.c).toFixed(1)}x |`);
  console.log(`| CPU of one VU (51 requests) | ${a.c1.toFixed(2)} s | ${s.c1.toFixed(2)} s | ${(a.c1 / s.c1).toFixed(1)}x |`);
  console.log(`| CPU per HTTP request (total / requests) | ${a.total.toFixed(0)} µs | ${s.total.toFixed(0)} µs | ${(a.total / s.total).toFixed(1)}x |`);
  console.log(`| CPU per HTTP request, marginal (one-VU run subtracted) | ${a.marginal.toFixed(0)} µs | ${s.marginal.toFixed(0)} µs | ${(a.marginal / s.marginal).toFixed(1)}x |`);
' "$WORK/http-results.tsv"
