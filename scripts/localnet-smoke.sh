#!/usr/bin/env bash
# Smoke test of the local chain with Keel's real artifacts, through the wasmd CLI:
#   1. store artifacts/keel_oracle.wasm, instantiate it (owner: deployer) and query {"config":{}};
#   2. store artifacts/keel_moet.wasm (cw20-base), instantiate MOET with a balance for the
#      deployer and query token_info and balance;
#   3. store artifacts/keel_market.wasm and artifacts/keel_liquidator.wasm (the VM accepts them).
# Exits non-zero at the first failure. Needs a running chain (scripts/localnet.sh up) and the
# artifacts (scripts/build-wasm.sh).
#
# Usage: scripts/localnet-smoke.sh
# Environment: KEEL_LOCALNET_HOME (default <repo>/.localnet), KEEL_ARTIFACTS (default <repo>/artifacts)
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCALNET=${KEEL_LOCALNET_HOME:-$ROOT/.localnet}
ARTIFACTS=${KEEL_ARTIFACTS:-$ROOT/artifacts}

log() { echo "[smoke] $*" >&2; }
die() {
  echo "[smoke] FAILED: $*" >&2
  exit 1
}
now() { date +%s; }

"$ROOT/scripts/localnet.sh" status >/dev/null ||
  die "the local chain is not running: scripts/localnet.sh up --no-deploy"
[ -f "$LOCALNET/localnet.env" ] || die "no $LOCALNET/localnet.env"
# shellcheck source=/dev/null
source "$LOCALNET/localnet.env"
for f in keel_oracle.wasm keel_moet.wasm keel_market.wasm keel_liquidator.wasm; do
  [ -f "$ARTIFACTS/$f" ] || die "no $ARTIFACTS/$f: scripts/build-wasm.sh builds it"
done

wasmd() { "$KEEL_WASMD" "$@"; }
# Flags of every transaction: fees from simulation at the chain's gas price, sync broadcast.
TX=(--from deployer --keyring-backend test --home "$KEEL_NODE_HOME" --chain-id "$KEEL_CHAIN_ID"
  --node "$KEEL_RPC" --gas auto --gas-adjustment 1.4 --gas-prices "$KEEL_GAS_PRICE"
  --broadcast-mode sync --output json -y)
Q=(--node "$KEEL_RPC" --output json)
DEPLOYER=$(jq -r '.[] | select(.name == "deployer") | .address' "$KEEL_ACCOUNTS")
[ -n "$DEPLOYER" ] || die "no deployer in $KEEL_ACCOUNTS"

# Broadcast a transaction (the wasmd tx arguments), wait for its block, print the result JSON.
tx() {
  local out hash res t0 err
  err=$(mktemp)
  # stdout is the JSON result; stderr has "gas estimate: N" and any error
  out=$(wasmd tx "$@" "${TX[@]}" 2>"$err") || die "wasmd tx $1 $2 failed: $(cat "$err")"
  rm -f "$err"
  [ "$(jq -r '.code' <<<"$out")" = 0 ] || die "wasmd tx $1 $2 rejected: $out"
  hash=$(jq -r '.txhash' <<<"$out")
  t0=$(now)
  until res=$(wasmd query tx "$hash" "${Q[@]}" 2>/dev/null); do
    [ $(($(now) - t0)) -lt 30 ] || die "tx $hash not in a block after 30 s"
    sleep 0.3
  done
  [ "$(jq -r '.code' <<<"$res")" = 0 ] || die "tx $hash failed: $(jq -r '.raw_log' <<<"$res")"
  log "  tx $1 $2: height $(jq -r '.height' <<<"$res"), gas used $(jq -r '.gas_used' <<<"$res")"
  echo "$res"
}
# The value of attribute $3 of the first event of type $2 in tx result $1.
event_attr() {
  jq -r --arg t "$2" --arg k "$3" \
    '[.events[] | select(.type == $t) | .attributes[] | select(.key == $k) | .value][0] // empty' <<<"$1"
}
store() {
  local res id
  res=$(tx wasm store "$1")
  id=$(event_attr "$res" store_code code_id)
  [ -n "$id" ] || die "no code_id in the store of $1"
  echo "$id"
}
instantiate() {
  local res addr
  res=$(tx wasm instantiate "$1" "$2" --label "$3" --admin "$DEPLOYER")
  addr=$(event_attr "$res" instantiate _contract_address)
  [ -n "$addr" ] || die "no contract address in the instantiation of $3"
  echo "$addr"
}
query() {
  wasmd query wasm contract-state smart "$1" "$2" "${Q[@]}" | jq -c '.data' ||
    die "query $2 of $1 failed"
}

T0=$(now)
log "chain $KEEL_CHAIN_ID at $KEEL_RPC; deployer $DEPLOYER"

log "oracle: store $(stat -c %s "$ARTIFACTS/keel_oracle.wasm") bytes"
ORACLE_CODE=$(store "$ARTIFACTS/keel_oracle.wasm")
ORACLE=$(instantiate "$ORACLE_CODE" \
  "{\"owner\":\"$DEPLOYER\",\"base_denom\":\"moet\",\"max_age\":300,\"max_deviation\":\"0.1\",\"twap_window\":1800}" \
  keel-oracle-smoke)
CONFIG=$(query "$ORACLE" '{"config":{}}')
log "oracle: code $ORACLE_CODE, contract $ORACLE, config $CONFIG"
jq -e --arg o "$DEPLOYER" '.owner == $o and .base_denom == "moet" and .max_age == 300' \
  <<<"$CONFIG" >/dev/null || die "unexpected oracle config: $CONFIG"

log "moet (cw20-base): store $(stat -c %s "$ARTIFACTS/keel_moet.wasm") bytes"
MOET_CODE=$(store "$ARTIFACTS/keel_moet.wasm")
MOET=$(instantiate "$MOET_CODE" \
  "{\"name\":\"Keel MOET\",\"symbol\":\"MOET\",\"decimals\":6,\"initial_balances\":[{\"address\":\"$DEPLOYER\",\"amount\":\"1000000\"}],\"mint\":{\"minter\":\"$DEPLOYER\"}}" \
  keel-moet-smoke)
INFO=$(query "$MOET" '{"token_info":{}}')
BALANCE=$(query "$MOET" "{\"balance\":{\"address\":\"$DEPLOYER\"}}")
log "moet: code $MOET_CODE, contract $MOET, token_info $INFO, deployer balance $BALANCE"
jq -e '.symbol == "MOET" and .total_supply == "1000000"' <<<"$INFO" >/dev/null ||
  die "unexpected token_info: $INFO"
jq -e '.balance == "1000000"' <<<"$BALANCE" >/dev/null || die "unexpected balance: $BALANCE"

# The other contracts: the chain's VM accepts their code (instantiating them is the deploy's job).
for f in keel_market.wasm keel_liquidator.wasm; do
  [ -f "$ARTIFACTS/$f" ] || die "no $ARTIFACTS/$f: scripts/build-wasm.sh builds it"
  log "${f%.wasm}: store $(stat -c %s "$ARTIFACTS/$f") bytes"
  log "${f%.wasm}: code $(store "$ARTIFACTS/$f")"
done

log "OK in $(($(now) - T0)) s"
