#!/usr/bin/env bash
# The dashboard's browser tests (ts/dashboard/test/browser.test.ts) in headless Chromium: starts a
# fresh wasmd chain in a temporary folder with its own chain id and ports (as scripts/e2e.sh
# does), deploys and seeds the sample market on it, runs the tests (they build and serve the
# dashboard themselves, on free ports), and stops and deletes the chain however the script ends.
# A developer's own chain (.localnet/, ports 26657...) is never touched.
#
# Usage: scripts/dashboard-test.sh [--deployment FILE]
#   --deployment FILE   run against a chain that is already up (e.g. deployments/keel-local.json of
#                       scripts/localnet.sh up --no-feeder) instead of a fresh one; the tests open
#                       positions and move FLOW's price there (a background feeder would move it
#                       back)
# Needs: Chromium (Debian's package, installed with apt-get when missing: no browser download),
# and for the fresh chain what scripts/e2e.sh needs (the wasm artifacts, Go for wasmd, Node 20.19+).
# Environment:
#   KEEL_CHROMIUM                  the browser (default /usr/bin/chromium)
#   KEEL_SCREENSHOTS               where the screenshots go (default target/dashboard-screenshots/)
#   KEEL_DASHBOARD_TEST_PORT_OFFSET  first port offset tried (default 6000: RPC 32657; the next free
#                                  offset in steps of 100 is taken when one of its ports is busy)
#   KEEL_DASHBOARD_TEST_KEEP=1     leave the chain running and its folder in place
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { echo "[dashboard-test] $*" >&2; }
die() {
  echo "[dashboard-test] ERROR: $*" >&2
  exit 1
}
now() { date +%s; }
export DEBIAN_FRONTEND=noninteractive

deployment=
while [ $# -gt 0 ]; do
  case "$1" in
  --deployment) deployment=$(realpath "${2:?--deployment needs a file}") && shift 2 ;;
  -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
  *) die "unknown option $1 (scripts/dashboard-test.sh --help)" ;;
  esac
done

T0=$(now)
TIMES=()

# Chromium: Debian's package (playwright-core drives it; Playwright's own browser downloads are
# not used). Installed without the recommended desktop packages, with a font for the screenshots.
CHROMIUM=${KEEL_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  [ -z "${KEEL_CHROMIUM:-}" ] || die "KEEL_CHROMIUM=$KEEL_CHROMIUM is not an executable"
  command -v apt-get >/dev/null 2>&1 || die "no $CHROMIUM and no apt-get to install Debian's chromium"
  SUDO=
  [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  t=$(now)
  log "installing chromium (apt-get)"
  if ! $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
    $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null ||
      die "apt-get install chromium failed"
  fi
  [ -x "$CHROMIUM" ] || die "apt-get installed chromium, but there is no $CHROMIUM"
  TIMES+=("chromium install $(($(now) - t)) s")
fi
log "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

WORK=
stop_chain() {
  [ -n "$WORK" ] || return 0
  if [ "${KEEL_DASHBOARD_TEST_KEEP:-}" = 1 ]; then
    log "chain left running (KEEL_DASHBOARD_TEST_KEEP=1): KEEL_LOCALNET_HOME=$KEEL_LOCALNET_HOME scripts/localnet.sh down; rm -rf $WORK"
    return
  fi
  if [ -d "$KEEL_LOCALNET_HOME" ]; then
    scripts/localnet.sh down >/dev/null 2>&1 || log "could not stop the test chain in $KEEL_LOCALNET_HOME"
  fi
  rm -rf "$WORK"
}
trap stop_chain EXIT
trap 'exit 130' INT TERM

if [ -z "$deployment" ]; then
  # shellcheck source=scripts/port-offset.sh
  source "$ROOT/scripts/port-offset.sh"
  offset=${KEEL_DASHBOARD_TEST_PORT_OFFSET:-6000}
  [[ "$offset" =~ ^[0-9]+$ ]] || die "KEEL_DASHBOARD_TEST_PORT_OFFSET must be a number"
  offset=$(free_port_offset "$offset") || die "no free ports found for the test chain"

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-dashboard-test.XXXXXX")
  export KEEL_LOCALNET_HOME=$WORK/chain
  export KEEL_CHAIN_ID=keel-dashboard-test
  export KEEL_LOCALNET_PORT_OFFSET=$offset
  export KEEL_DEPLOYMENT_OUT=$WORK/deployments/keel-dashboard-test.json
  # the tests serve the dashboard themselves: localnet's own one is not wanted here
  export KEEL_LOCALNET_DASHBOARD=0
  deployment=$KEEL_DEPLOYMENT_OUT

  t=$(now)
  scripts/localnet.sh build
  log "starting a fresh chain $KEEL_CHAIN_ID in $KEEL_LOCALNET_HOME (port offset $offset), deploying the sample market"
  # without the background feeder: the tests run the feeder themselves, one round at a time, with
  # the prices they need
  scripts/localnet.sh up --no-feeder
  TIMES+=("chain up + deploy + seed $(($(now) - t)) s")
fi
[ -f "$deployment" ] || die "no deployment record at $deployment"

# shellcheck source=scripts/npm-deps.sh
source "$ROOT/scripts/npm-deps.sh"
npm_deps || die "cannot install the TypeScript tools' dependencies"
t=$(now)
(cd ts && npx --no-install tsc -b client ops dashboard) || die "compiling ts/dashboard (and ts/ops, whose feeder the tests run) failed"
log "running the browser tests against $deployment (screenshots: ${KEEL_SCREENSHOTS:-target/dashboard-screenshots})"
rc=0
KEEL_DEPLOYMENT=$deployment KEEL_CHROMIUM=$CHROMIUM node --test --test-concurrency=1 ts/dashboard/dist-node/test/browser.test.js || rc=$?
TIMES+=("browser tests $(($(now) - t)) s")
log "timings: ${TIMES[*]}; total $(($(now) - T0)) s"
if [ "$rc" != 0 ]; then
  [ -z "$WORK" ] || log "the test chain's log: $KEEL_LOCALNET_HOME/wasmd.log (deleted on exit: KEEL_DASHBOARD_TEST_KEEP=1 keeps it)"
  die "browser tests failed (exit $rc)"
fi
