#!/usr/bin/env bash
# Keel's web dashboard (ts/dashboard; docs/DASHBOARD.md): builds it when its sources changed and
# serves it on 127.0.0.1, pointed at a deployment record.
#
# Usage: scripts/dashboard.sh [serve] [--deployment FILE] [--dev] [--proxy-rpc] [--port PORT] [--host HOST]
#        scripts/dashboard.sh build [--dev]        only build (ts/dashboard/dist/, dist-dev/ with --dev)
#        scripts/dashboard.sh dev [...]            Vite's dev server (for work on the dashboard itself)
#        scripts/dashboard.sh start [...]          serve in the background: PID file, log and URL
#                                                  under $KEEL_LOCALNET_HOME (default .localnet/)
#        scripts/dashboard.sh stop | status        stop / report the background one
#
#   --deployment FILE  the deployment record (default deployments/<chain id>.json of the local
#                      chain: $KEEL_DEPLOYMENT_OUT, else from .localnet/localnet.env, else
#                      deployments/keel-local.json)
#   --dev              development mode: the Actions page signs with the record's accounts file
#                      (the local chain's PUBLIC test keys; --accounts FILE names another). Never
#                      for a chain with real funds.
#   --proxy-rpc        forward /rpc to the record's RPC (for an RPC that does not allow the page's
#                      origin); the local chain's RPC allows any origin, so it needs none
#   --port PORT        default $KEEL_DASHBOARD_PORT or 5173
#
# The page takes ?deployment=URL and ?rpc=URL to look at another deployment or endpoint.
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "[dashboard] $*" >&2; }
die() {
  echo "[dashboard] ERROR: $*" >&2
  exit 1
}

LOCALNET=${KEEL_LOCALNET_HOME:-$ROOT/.localnet}
case "$LOCALNET" in /*) ;; *) LOCALNET=$PWD/$LOCALNET ;; esac
PID_FILE=$LOCALNET/dashboard.pid
LOG_FILE=$LOCALNET/dashboard.log
URL_FILE=$LOCALNET/dashboard.url
SERVE_JS=$ROOT/ts/dashboard/dist-node/server/serve.js

cmd=serve
case "${1:-}" in serve | build | dev | start | stop | status) cmd=$1 && shift ;; esac

# The options, with the defaults filled in (the record of the local chain, the port).
args=()
deployment=
port=${KEEL_DASHBOARD_PORT:-5173}
while [ $# -gt 0 ]; do
  case "$1" in
  --deployment) deployment=${2:?--deployment needs a file} && shift 2 ;;
  --port) port=${2:?--port needs a number} && shift 2 ;;
  --accounts | --host) args+=("$1" "${2:?$1 needs a value}") && shift 2 ;;
  --dev | --proxy-rpc | --rebuild) args+=("$1") && shift ;;
  -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
  *) die "unknown option $1 (scripts/dashboard.sh --help)" ;;
  esac
done
if [ -z "$deployment" ]; then
  chain=keel-local
  if [ -f "$LOCALNET/localnet.env" ]; then
    chain=$(sed -n "s/^KEEL_CHAIN_ID='\(.*\)'$/\1/p" "$LOCALNET/localnet.env")
  fi
  deployment=${KEEL_DEPLOYMENT_OUT:-$ROOT/deployments/${chain:-keel-local}.json}
fi
[[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number"

# Our background server: the PID file's process, if it is still node running serve.js.
our_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid=$(tr -dc 0-9 <"$PID_FILE")
  [ -n "$pid" ] && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$SERVE_JS" || return 1
  echo "$pid"
}

case "$cmd" in
stop)
  if pid=$(our_pid); then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break && sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped (PID $pid)"
  fi
  rm -f "$PID_FILE" "$URL_FILE"
  exit 0
  ;;
status)
  if pid=$(our_pid); then
    echo "running: PID $pid, $(cat "$URL_FILE" 2>/dev/null || echo '?') (log $LOG_FILE)"
    exit 0
  fi
  echo "not running"
  exit 3
  ;;
esac

# shellcheck source=scripts/npm-deps.sh
source "$ROOT/scripts/npm-deps.sh"
npm_deps || die "cannot install the TypeScript tools' dependencies"
(cd "$ROOT/ts" && npx --no-install tsc -b client dashboard) || die "compiling the dashboard failed (cd ts && npx tsc -b dashboard)"

case "$cmd" in
build) exec node "$SERVE_JS" build "${args[@]}" ;;
serve | dev) exec node "$SERVE_JS" "$cmd" --deployment "$deployment" --port "$port" "${args[@]}" ;;
start)
  if pid=$(our_pid); then
    log "already running (PID $pid): $(cat "$URL_FILE" 2>/dev/null)"
    exit 0
  fi
  mkdir -p "$LOCALNET"
  [ -f "$deployment" ] || die "no deployment record at $deployment"
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port on 127.0.0.1 is in use (KEEL_DASHBOARD_PORT or --port picks another)"
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) scripts/dashboard.sh start" >>"$LOG_FILE"
  # setsid: the server outlives this script, outside the terminal's process group (as wasmd)
  setsid node "$SERVE_JS" serve --deployment "$deployment" --port "$port" "${args[@]}" </dev/null >>"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  # wait for it to answer (a first build takes a few seconds); node's fetch, so no curl is needed
  answers() {
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(1000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      "http://127.0.0.1:$port/keel/deployment.json"
  }
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || die "the dashboard exited; last lines of $LOG_FILE:
$(tail -n 15 "$LOG_FILE")"
    answers && break
    sleep 0.2
  done
  answers || die "the dashboard does not answer on port $port after a minute (log $LOG_FILE)"
  echo "http://127.0.0.1:$port/" >"$URL_FILE"
  log "http://127.0.0.1:$port/ (PID $pid, log $LOG_FILE)"
  ;;
esac
