#!/usr/bin/env bash
# Deploys Keel on the local chain and seeds the sample market: the deploy step of
# `scripts/localnet.sh up` (which exports KEEL_RPC, KEEL_CHAIN_ID, KEEL_GAS_PRICE, KEEL_ACCOUNTS
# and the rest of .localnet/localnet.env). Runs by itself too, on a running local chain:
#   scripts/deploy.sh              (reads .localnet/localnet.env when KEEL_RPC is not set)
#
# Steps: build the wasm artifacts if one is missing (scripts/build-wasm.sh; KEEL_BUILD_WASM=1
# rebuilds them first anyway), install ts/node_modules if needed, compile the TypeScript tools
# (tsc -b, incremental), then `keel-deploy deploy --seed` with the sample config: it finds what
# the chain already has (a re-run deploys nothing new and pushes fresh prices) and writes
#   deployments/<chain-id>.json            the deployment record (contracts, code ids, assets)
#   deployments/<chain-id>.accounts.json   the test accounts [{name, address, mnemonic}]
# For another chain use the tool itself: docs/DEPLOY.md.
#
# Environment:
#   KEEL_DEPLOY_CONFIG    deployment config (default deployments/config/keel-local.json)
#   KEEL_DEPLOYMENT_OUT   where the record goes (default deployments/<chain-id>.json; the accounts
#                         file goes next to it)
#   KEEL_BUILD_WASM=1     run scripts/build-wasm.sh even when the artifacts exist
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { echo "[deploy] $*" >&2; }
die() {
  echo "[deploy] ERROR: $*" >&2
  exit 1
}

if [ -z "${KEEL_RPC:-}" ]; then
  env_file=${KEEL_LOCALNET_HOME:-$ROOT/.localnet}/localnet.env
  [ -f "$env_file" ] || die "KEEL_RPC is not set and there is no $env_file: start the chain with scripts/localnet.sh up"
  set -a
  # shellcheck source=/dev/null
  source "$env_file"
  set +a
fi
for v in KEEL_RPC KEEL_CHAIN_ID KEEL_GAS_PRICE KEEL_ACCOUNTS; do
  [ -n "${!v:-}" ] || die "$v is not set (scripts/localnet.sh up exports it)"
done

missing=
for f in keel_market keel_oracle keel_liquidator keel_moet; do
  [ -f "artifacts/$f.wasm" ] || missing+=" $f.wasm"
done
[ -f artifacts/checksums.txt ] || missing+=" checksums.txt"
if [ -n "$missing" ] || [ "${KEEL_BUILD_WASM:-}" = 1 ]; then
  log "building the wasm artifacts (scripts/build-wasm.sh;${missing:+ missing:$missing})"
  scripts/build-wasm.sh || die "scripts/build-wasm.sh failed"
fi

# shellcheck source=scripts/npm-deps.sh
source "$ROOT/scripts/npm-deps.sh"
npm_deps || die "cannot install the TypeScript tools' dependencies"
(cd ts && npx --no-install tsc -b client deploy) || die "compiling the TypeScript tools failed (cd ts && npx tsc -b)"

out=${KEEL_DEPLOYMENT_OUT:-$ROOT/deployments/$KEEL_CHAIN_ID.json}
node ts/deploy/dist/cli.js deploy --seed \
  --config "${KEEL_DEPLOY_CONFIG:-$ROOT/deployments/config/keel-local.json}" \
  --accounts "$KEEL_ACCOUNTS" --deployer deployer --publish-accounts \
  --out "$out"
