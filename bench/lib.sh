# Shared set-up of the bench scripts that run sockload beside Artillery
# against the Node reference server. Source it after setting ROOT, WORK and
# ARTILLERY_DIR; it defines log and die, and prepare_artillery_bench, which
# checks the tools it is given, installs Artillery and the reference server
# from their lockfiles when missing, and builds sockload into $WORK.

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

prepare_artillery_bench() {
  local needed
  mkdir -p "$WORK"
  for needed in "$@"; do
    command -v "$needed" >/dev/null || die "$needed is needed: install it (GNU time: apt-get install time) and run again"
  done
  if [[ ! -x "$ARTILLERY_DIR/node_modules/.bin/artillery" ]]; then
    log "installing Artillery from bench/artillery/package-lock.json (npm ci)"
    (cd "$ARTILLERY_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  if [[ ! -d "$ROOT/testdata/node/v4/node_modules" ]]; then
    (cd "$ROOT/testdata/node/v4" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  log "building sockload"
  (cd "$ROOT" && go build -o "$WORK/sockload" ./cmd/sockload)
}
