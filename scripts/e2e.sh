#!/usr/bin/env bash
# End-to-end tests of Keel on a real chain: starts a fresh wasmd chain (scripts/localnet.sh) in a
# temporary folder with its own chain id and ports, deploys and seeds the sample market on it
# (scripts/deploy.sh), runs the TypeScript e2e tests (ts/e2e, through @keel/client), then the
# operators' services' e2e tests (ts/ops/dist/tests/e2e: keel-ops feeder, keeper and liquidator
# run as child processes against the same chain), and stops and deletes the chain however the
# script ends. A developer's own chain (.localnet/, ports 26657...) is never touched. The chain
# is started without the background feeder of `localnet.sh up`: the tests set every price
# themselves.
#
# Usage: scripts/e2e.sh
# Needs: the wasm artifacts (scripts/build-wasm.sh builds them when missing), Go (wasmd is built
# once into ~/.cache/keel), Node 20.19+.
# Environment:
#   KEEL_E2E_PORT_OFFSET   first port offset tried (default 5000: RPC 31657; the next free offset
#                          in steps of 100 is taken when one of its four ports is busy)
#   KEEL_E2E_GAS_OUT       the gas record (default target/e2e-gas.json); then
#                          `node ts/e2e/dist/gas-table.js --write` updates docs/GAS.md from it
#   KEEL_E2E_KEEP=1        leave the chain running and its folder in place (prints how to stop it)
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { echo "[e2e] $*" >&2; }
die() {
  echo "[e2e] ERROR: $*" >&2
  exit 1
}
now() { date +%s; }

# shellcheck source=scripts/port-offset.sh
source "$ROOT/scripts/port-offset.sh"
offset=${KEEL_E2E_PORT_OFFSET:-5000}
[[ "$offset" =~ ^[0-9]+$ ]] || die "KEEL_E2E_PORT_OFFSET must be a number"
offset=$(free_port_offset "$offset") || die "no free ports found for the e2e chain"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-e2e.XXXXXX")
export KEEL_LOCALNET_HOME=$WORK/chain
export KEEL_CHAIN_ID=keel-e2e
export KEEL_LOCALNET_PORT_OFFSET=$offset
export KEEL_DEPLOYMENT_OUT=$WORK/deployments/keel-e2e.json
# no web dashboard for this chain (scripts/dashboard-test.sh tests it on a chain of its own)
export KEEL_LOCALNET_DASHBOARD=0

T0=$(now)
TIMES=()
stop_chain() {
  if [ "${KEEL_E2E_KEEP:-}" = 1 ]; then
    log "chain left running (KEEL_E2E_KEEP=1): KEEL_LOCALNET_HOME=$KEEL_LOCALNET_HOME scripts/localnet.sh down; rm -rf $WORK"
    return
  fi
  if [ -d "$KEEL_LOCALNET_HOME" ]; then
    scripts/localnet.sh down >/dev/null 2>&1 || log "could not stop the e2e chain in $KEEL_LOCALNET_HOME"
  fi
  rm -rf "$WORK"
}
trap stop_chain EXIT
trap 'exit 130' INT TERM

t=$(now)
scripts/localnet.sh build
TIMES+=("wasmd build/check $(($(now) - t)) s")

t=$(now)
log "starting a fresh chain keel-e2e in $KEEL_LOCALNET_HOME (port offset $offset), deploying the sample market"
scripts/localnet.sh up --no-feeder
TIMES+=("chain up + deploy + seed $(($(now) - t)) s")

t=$(now)
(cd ts && npx --no-install tsc -b e2e ops) || die "compiling ts/e2e and ts/ops failed"
log "running the e2e tests against $KEEL_DEPLOYMENT_OUT"
rc=0
KEEL_DEPLOYMENT=$KEEL_DEPLOYMENT_OUT node --test --test-concurrency=1 ts/e2e/dist/ || rc=$?
TIMES+=("e2e tests $(($(now) - t)) s")

# the services' tests after the contracts' ones: they move prices and the oracle's max_age (and
# restore them), which the contracts' tests must not see
t=$(now)
log "running the services' e2e tests (keel-ops) against $KEEL_DEPLOYMENT_OUT"
ops_rc=0
KEEL_DEPLOYMENT=$KEEL_DEPLOYMENT_OUT node --test --test-concurrency=1 ts/ops/dist/tests/e2e/ || ops_rc=$?
TIMES+=("services' e2e tests $(($(now) - t)) s")
log "timings: ${TIMES[*]}; total $(($(now) - T0)) s"
[ "$rc" = 0 ] || die "e2e tests failed (exit $rc); the chain's log: $KEEL_LOCALNET_HOME/wasmd.log (deleted on exit: KEEL_E2E_KEEP=1 keeps it)"
[ "$ops_rc" = 0 ] || die "the services' e2e tests failed (exit $ops_rc); the chain's log: $KEEL_LOCALNET_HOME/wasmd.log (deleted on exit: KEEL_E2E_KEEP=1 keeps it)"
