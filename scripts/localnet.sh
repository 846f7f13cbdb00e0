#!/usr/bin/env bash
# A local single-validator wasmd chain for Keel (docs/BUILD.md "The local chain").
#
# Usage: scripts/localnet.sh up [--no-deploy] [--no-feeder] [--keeper] [--liquidator] | down | status | reset | build | env
#   up       build wasmd if missing, init the chain if missing, start it in the background, wait
#            for blocks, print the RPC URL, chain id and accounts, then run the deploy step
#            (scripts/deploy.sh when it exists and is executable; --no-deploy skips it), then
#            start the operators' services (keel-ops, ts/ops) in the background: the price
#            feeder on a simulated path unless --no-feeder, the keeper with --keeper, the
#            liquidation bot with --liquidator (logs and PID files in the chain folder).
#            When the chain is already running it only reports (and starts the services asked
#            for that are not running).
#   down     stop the services and the wasmd that `up` started (their PID files; nothing else is
#            ever signalled)
#   status   running or not, height, block time, RPC URL, the services running (exit 0 when
#            running, 3 when not)
#   reset    down, then delete the chain folder (the cached wasmd binary is kept)
#   build    only build (or check) the cached wasmd binary
#   env      print the chain's settings as KEY='value' lines (the file .localnet/localnet.env)
#
# wasmd is built from the Go module proxy at $WASMD_VERSION and cached outside the checkout in
# ${KEEL_CACHE:-~/.cache/keel}/wasmd/<version>/ (the binary and its libwasmvm, found by rpath).
#
# Environment (read by `up`; the other commands read .localnet/localnet.env written by `up`):
#   KEEL_CACHE                    cache folder (default ~/.cache/keel)
#   KEEL_LOCALNET_HOME            chain folder (default <repo>/.localnet)
#   KEEL_CHAIN_ID                 chain id given at init (default keel-local)
#   KEEL_LOCALNET_RPC_PORT        CometBFT RPC on 127.0.0.1 (default 26657)
#   KEEL_LOCALNET_P2P_PORT        CometBFT p2p on 127.0.0.1 (default 26656)
#   KEEL_LOCALNET_GRPC_PORT       Cosmos gRPC on 127.0.0.1 (default 9090)
#   KEEL_LOCALNET_API_PORT        Cosmos REST (LCD) on 127.0.0.1 (default 1317)
#   KEEL_LOCALNET_PORT_OFFSET     added to the four default ports (a second chain: 10000)
#   KEEL_LOCALNET_BLOCK_TIME      CometBFT timeout_commit (default 200ms)
#   KEEL_LOCALNET_TIMEOUT         seconds `up` waits for blocks (default 60)
#   KEEL_LOCALNET_LOG_LEVEL       wasmd's log_level (default: info, but no per-block lines)
#   KEEL_WASMD_VERSION            build another wasmd release (default $WASMD_VERSION; for trials)
#   KEEL_OPS_CONFIG               the services' config (default deployments/config/keel-local.ops.json);
#                                 their metrics are on 127.0.0.1:9464 (feeder), 9465 (keeper) and
#                                 9466 (liquidator), plus KEEL_LOCALNET_PORT_OFFSET
#
# The accounts' mnemonics (scripts/localnet/accounts.json) are PUBLIC, TEST-ONLY keys.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { echo "[localnet] $*" >&2; }
die() {
  echo "[localnet] ERROR: $*" >&2
  exit 1
}
now() { date +%s; }

# The pinned wasmd release. v0.60 is the line of wasmvm 2.3 (the VM of our cosmwasm-vm 2.3.5) and
# CometBFT 0.38 (which CosmJS 0.38 speaks); docs/BUILD.md "The local chain" says what else was tried.
WASMD_VERSION=${KEEL_WASMD_VERSION:-v0.60.8}
WASMD_MODULE=github.com/CosmWasm/wasmd
# Module upgrades applied to the build's copy of wasmd's go.mod: sonic v1.14 (through
# cosmossdk.io/log and the SDK) does not compile with Go 1.26 ("undefined: GoMapIterator");
# v1.15 knows Go 1.26's maps.
WASMD_GO_GET=(github.com/bytedance/sonic@v1.15.5)

CACHE=${KEEL_CACHE:-${HOME:-/root}/.cache/keel}
BIN_DIR=$CACHE/wasmd/$WASMD_VERSION
WASMD=$BIN_DIR/wasmd

LOCALNET=${KEEL_LOCALNET_HOME:-$ROOT/.localnet}
case "$LOCALNET" in /*) ;; *) LOCALNET=$PWD/$LOCALNET ;; esac
NODE_HOME=$LOCALNET/node
PID_FILE=$LOCALNET/wasmd.pid
LOG_FILE=$LOCALNET/wasmd.log
ENV_FILE=$LOCALNET/localnet.env
ACCOUNTS_OUT=$LOCALNET/accounts.json
MARKER=$LOCALNET/.keel-localnet
ACCOUNTS_SRC=$ROOT/scripts/localnet/accounts.json

CHAIN_ID=${KEEL_CHAIN_ID:-keel-local}
PORT_OFFSET=${KEEL_LOCALNET_PORT_OFFSET:-0}
[[ "$PORT_OFFSET" =~ ^[0-9]+$ ]] || die "KEEL_LOCALNET_PORT_OFFSET must be a number"
RPC_PORT=${KEEL_LOCALNET_RPC_PORT:-$((26657 + PORT_OFFSET))}
P2P_PORT=${KEEL_LOCALNET_P2P_PORT:-$((26656 + PORT_OFFSET))}
GRPC_PORT=${KEEL_LOCALNET_GRPC_PORT:-$((9090 + PORT_OFFSET))}
API_PORT=${KEEL_LOCALNET_API_PORT:-$((1317 + PORT_OFFSET))}
BLOCK_TIME=${KEEL_LOCALNET_BLOCK_TIME:-200ms}
UP_TIMEOUT=${KEEL_LOCALNET_TIMEOUT:-60}
LOG_LEVEL=${KEEL_LOCALNET_LOG_LEVEL:-*:info,consensus:warn,state:warn,txindex:warn}
STOP_TIMEOUT=20

FEE_DENOM=ustake
GAS_PRICE=0.025$FEE_DENOM
# Genesis balances: every account gets these; the validator bonds VALIDATOR_BOND of its ustake.
ACCOUNT_COINS=1000000000000000ustake,1000000000000000uflow,1000000000000000uusdc
VALIDATOR_BOND=1000000000000ustake

export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------------------------------------
# Tools: jq and curl come from apt when missing (as scripts/build-wasm.sh installs binaryen).
# ---------------------------------------------------------------------------------------------
SUDO=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
fi
APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "$1 is missing and there is no apt-get to install it"
  log "installing $1 (apt-get)"
  if ! $SUDO apt-get install -y -qq "$1" >/dev/null 2>&1; then
    if [ -z "$APT_UPDATED" ]; then
      $SUDO apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
      APT_UPDATED=1
    fi
    $SUDO apt-get install -y -qq "$1" >/dev/null 2>&1 || die "apt-get install $1 failed"
  fi
}
need_tools() {
  local t
  for t in jq curl; do
    command -v "$t" >/dev/null 2>&1 || apt_install "$t"
  done
}

# ---------------------------------------------------------------------------------------------
# Building wasmd (once per version; shared by every checkout through the cache).
# ---------------------------------------------------------------------------------------------
wasmd_ok() {
  [ -x "$WASMD" ] && [ "$(wasmd version 2>/dev/null)" = "$WASMD_VERSION" ]
}

# The build's temporary folder, removed however the script ends.
BUILD_WORK=
cleanup_build() { [ -z "$BUILD_WORK" ] || rm -rf "$BUILD_WORK"; }
trap cleanup_build EXIT

# with_progress LABEL LOG UNIT PATTERN TOTAL CMD...: run CMD with its output appended to LOG,
# and every 30 s print how long it has run and how many new lines of LOG match the regex PATTERN
# (modules fetched, packages compiled), "of ~TOTAL" when TOTAL is not empty.
with_progress() {
  local label=$1 logf=$2 unit=$3 pattern=$4 total=$5 pid t0 last skip n rc=0
  shift 5
  t0=$(now)
  last=$t0
  skip=$(($(wc -l <"$logf") + 1))
  "$@" >>"$logf" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $(($(now) - last)) -ge 30 ]; then
      last=$(now)
      n=$(tail -n +"$skip" "$logf" | grep -cE "$pattern" || true)
      log "  $label: $((last - t0)) s, $n${total:+ of ~$total} $unit so far"
    fi
  done
  wait "$pid" || rc=$?
  if [ "$rc" = 0 ]; then
    log "  $label: done in $(($(now) - t0)) s"
  else
    log "  $label: FAILED after $(($(now) - t0)) s"
  fi
  return "$rc"
}

build_wasmd() {
  wasmd_ok && return 0
  command -v go >/dev/null 2>&1 ||
    die "go not found: building wasmd $WASMD_VERSION needs Go (1.26 is what docs/BUILD.md used)"
  case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) local lib=libwasmvm.x86_64.so ;;
  Linux/aarch64) local lib=libwasmvm.aarch64.so ;;
  *) die "no prebuilt libwasmvm for $(uname -s)/$(uname -m) in wasmvm's module" ;;
  esac
  mkdir -p "$CACHE/wasmd"
  # one build at a time: several checkouts on one machine share the cache
  exec 9>"$CACHE/wasmd/.build.lock"
  if ! flock -n 9; then
    log "another wasmd build holds $CACHE/wasmd/.build.lock: waiting for it"
    flock 9
  fi
  if wasmd_ok; then
    exec 9>&-
    return 0
  fi

  local t0 work blog dir vm_dir goflags
  t0=$(now)
  blog=$CACHE/wasmd/build-$WASMD_VERSION.log
  : >"$blog"
  log "building wasmd $WASMD_VERSION with $(go env GOVERSION) (first time only, several minutes on 2 cores; log: $blog)"
  work=$(mktemp -d "$CACHE/wasmd/.build-$WASMD_VERSION.XXXXXX")
  BUILD_WORK=$work
  # Keep the build in a copy of the module: `go install` refuses a module with replace
  # directives, and the module cache is read-only. -mod=mod lets go.mod/go.sum be updated there.
  goflags="${GOFLAGS:-} -mod=mod"
  export GOWORK=off

  log "  downloading the $WASMD_MODULE@$WASMD_VERSION module"
  # -json reports a failure in its "Error" field, on stdout
  go mod download -json "$WASMD_MODULE@$WASMD_VERSION" >"$work/module.json" 2>>"$blog" || true
  cat "$work/module.json" >>"$blog"
  dir=$(jq -r '.Dir // empty' "$work/module.json" 2>/dev/null || true)
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    die "go mod download $WASMD_MODULE@$WASMD_VERSION failed (GOPROXY=$(go env GOPROXY)): $(jq -r '.Error // empty' "$work/module.json" 2>/dev/null || tail -n 3 "$blog")"
  fi
  cp -R "$dir" "$work/src"
  chmod -R u+w "$work/src"

  local need have
  need=$(awk '$1 == "go" { print $2; exit }' "$work/src/go.mod")
  have=$(go env GOVERSION)
  have=${have#go}
  if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" != "$need" ]; then
    die "wasmd $WASMD_VERSION needs Go >= $need, this is Go $have"
  fi

  log "  downloading wasmd's dependencies (go mod download)"
  export GOFLAGS=$goflags
  (cd "$work/src" && with_progress "go mod download" "$blog" modules '\.zip: 200 ' '' go mod download -x) ||
    die "downloading wasmd's dependencies failed; see $blog"
  if [ ${#WASMD_GO_GET[@]} -gt 0 ]; then
    log "  upgrading ${WASMD_GO_GET[*]} in the build's go.mod (Go $have)"
    (cd "$work/src" && go get "${WASMD_GO_GET[@]}" >>"$blog" 2>&1) ||
      die "go get ${WASMD_GO_GET[*]} failed; see $blog"
  fi

  # The link flags of wasmd's Makefile (version, bech32 prefix "wasm"), plus:
  #  - -s -w: no symbol table nor DWARF (170 MB -> ~120 MB; Go's own stack traces still work);
  #  - -checklinkname=0: Go 1.23+ linkers refuse the runtime symbols that sonic pulls in with
  #    go:linkname unless told not to check;
  #  - rpath $ORIGIN: libwasmvm is looked up next to the binary (cgo also records the module
  #    cache's folder, which may be cleaned).
  # Tags: netgo as the Makefile; no `ledger` (no hardware wallet here) and not muslc (glibc).
  local ldflags="-s -w -checklinkname=0 -X github.com/cosmos/cosmos-sdk/version.Name=wasm"
  ldflags+=" -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd"
  ldflags+=" -X github.com/cosmos/cosmos-sdk/version.Version=$WASMD_VERSION"
  ldflags+=" -X github.com/cosmos/cosmos-sdk/version.BuildTags=netgo"
  ldflags+=" -X github.com/CosmWasm/wasmd/app.Bech32Prefix=wasm"
  # shellcheck disable=SC2016 # a literal $ORIGIN for the linker
  ldflags+=' -extldflags=-Wl,-rpath,$ORIGIN'
  local npkg
  npkg=$(cd "$work/src" && go list -deps -tags netgo ./cmd/wasmd 2>>"$blog" | wc -l) || npkg=
  log "  compiling ./cmd/wasmd and its ${npkg:-?} packages (go build)"
  (cd "$work/src" && CGO_ENABLED=1 with_progress "go build" "$blog" packages '^[a-zA-Z0-9_./~-]+$' "$npkg" \
    go build -v -tags netgo -trimpath -ldflags "$ldflags" -o "$work/out/wasmd" ./cmd/wasmd) ||
    die "go build of wasmd $WASMD_VERSION failed; last lines of $blog:
$(tail -n 15 "$blog")"

  vm_dir=$(cd "$work/src" && go list -m -f '{{.Path}} {{.Dir}}' all 2>>"$blog" |
    awk '$1 ~ /^github\.com\/CosmWasm\/wasmvm(\/v[0-9]+)?$/ { print $2; exit }')
  [ -f "${vm_dir:-/nonexistent}/internal/api/$lib" ] ||
    die "cannot find $lib in wasmd's wasmvm module (${vm_dir:-not found})"
  cp "$vm_dir/internal/api/$lib" "$work/out/"
  chmod 755 "$work/out/$lib"
  (cd "$work/src" && go list -m all >"$work/out/modules.txt" 2>>"$blog") || true
  cp "$blog" "$work/out/build.log"
  # the binary must run from its folder with no LD_LIBRARY_PATH (rpath $ORIGIN)
  [ "$(env -u LD_LIBRARY_PATH "$work/out/wasmd" version 2>&1)" = "$WASMD_VERSION" ] ||
    die "the built wasmd does not run: $(env -u LD_LIBRARY_PATH "$work/out/wasmd" version 2>&1 | tail -n 3)"

  rm -rf "$BIN_DIR"
  mv "$work/out" "$BIN_DIR"
  rm -rf "$work"
  BUILD_WORK=
  exec 9>&-
  log "wasmd $WASMD_VERSION built in $(($(now) - t0)) s: $WASMD (+ $lib)"
}

# The cached wasmd, with its libwasmvm also on LD_LIBRARY_PATH in case rpath is ignored.
wasmd() {
  LD_LIBRARY_PATH="$BIN_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$WASMD" "$@"
}

# ---------------------------------------------------------------------------------------------
# Chain init (once; into a temporary folder renamed at the end, so a failed init leaves nothing).
# ---------------------------------------------------------------------------------------------
# Set `key = value` (value as TOML text) in [section] of a TOML file ("" = before any section).
toml_set() {
  local file=$1 section=$2 key=$3 value=$4
  awk -v sec="$section" -v key="$key" -v val="$value" '
    BEGIN { cur = ""; done = 0 }
    /^[[:space:]]*\[[^]]*\][[:space:]]*$/ { cur = $0; gsub(/^[[:space:]]*\[|\][[:space:]]*$/, "", cur) }
    !done && cur == sec && $0 ~ ("^[[:space:]]*" key "[[:space:]]*=") { print key " = " val; done = 1; next }
    { print }
    END { if (!done) exit 3 }' "$file" >"$file.tmp" ||
    die "no key '$key' in [${section:-top level}] of $file (did wasmd's config layout change?)"
  mv "$file.tmp" "$file"
}

# Settings written at every `up` (so ports and block time follow the environment).
configure_node() {
  local cfg=$1/config/config.toml app=$1/config/app.toml client=$1/config/client.toml
  # CometBFT: everything on loopback; no pprof/prometheus listeners (two instances would clash).
  toml_set "$cfg" rpc laddr "\"tcp://127.0.0.1:$RPC_PORT\""
  toml_set "$cfg" rpc pprof_laddr '""'
  # loopback only, so any origin may call it (a browser front end on another port)
  toml_set "$cfg" rpc cors_allowed_origins '["*"]'
  toml_set "$cfg" p2p laddr "\"tcp://127.0.0.1:$P2P_PORT\""
  toml_set "$cfg" p2p pex false
  toml_set "$cfg" instrumentation prometheus false
  # No lines for every block (4 a second): consensus, state and txindex log warnings only.
  toml_set "$cfg" '' log_level "\"$LOG_LEVEL\""
  # Fast blocks: a lone validator never waits for peers, so the block time is about
  # timeout_commit plus the block's execution; the other timeouts only bound a stall.
  toml_set "$cfg" consensus timeout_propose '"1s"'
  toml_set "$cfg" consensus timeout_propose_delta '"200ms"'
  toml_set "$cfg" consensus timeout_prevote '"200ms"'
  toml_set "$cfg" consensus timeout_prevote_delta '"100ms"'
  toml_set "$cfg" consensus timeout_precommit '"200ms"'
  toml_set "$cfg" consensus timeout_precommit_delta '"100ms"'
  toml_set "$cfg" consensus timeout_commit "\"$BLOCK_TIME\""
  # Cosmos app: fees required (as on a real chain), REST and gRPC on loopback.
  toml_set "$app" '' minimum-gas-prices "\"$GAS_PRICE\""
  toml_set "$app" api enable true
  toml_set "$app" api address "\"tcp://127.0.0.1:$API_PORT\""
  toml_set "$app" grpc enable true
  toml_set "$app" grpc address "\"127.0.0.1:$GRPC_PORT\""
  toml_set "$app" telemetry enabled false
  # CLI defaults, so that `wasmd --home .localnet/node tx ...` needs no more flags.
  toml_set "$client" '' chain-id "\"$CHAIN_ID\""
  toml_set "$client" '' keyring-backend '"test"'
  toml_set "$client" '' node "\"tcp://127.0.0.1:$RPC_PORT\""
}

init_chain() {
  [ -f "$ACCOUNTS_SRC" ] || die "missing $ACCOUNTS_SRC (the fixed test mnemonics)"
  local t0 tmp name mnemonic addr gen
  t0=$(now)
  log "initializing chain $CHAIN_ID in $NODE_HOME"
  mkdir -p "$LOCALNET"
  touch "$MARKER"
  tmp=$LOCALNET/node.init
  rm -rf "$tmp"
  wasmd init keel-localnet --chain-id "$CHAIN_ID" --default-denom "$FEE_DENOM" --home "$tmp" \
    >/dev/null 2>&1 || die "wasmd init failed"

  local accounts='[]'
  while IFS=$'\t' read -r name mnemonic; do
    addr=$(printf '%s\n' "$mnemonic" | wasmd keys add "$name" --recover --keyring-backend test \
      --home "$tmp" --output json 2>/dev/null | jq -r '.address // empty') || true
    [ -n "$addr" ] || die "cannot import the mnemonic of $name (from $ACCOUNTS_SRC)"
    wasmd genesis add-genesis-account "$addr" "$ACCOUNT_COINS" --home "$tmp" >/dev/null 2>&1 ||
      die "add-genesis-account $name failed"
    accounts=$(jq -c --arg n "$name" --arg a "$addr" --arg m "$mnemonic" \
      '. + [{name: $n, address: $a, mnemonic: $m}]' <<<"$accounts")
  done < <(jq -r '.accounts[] | [.name, .mnemonic] | @tsv' "$ACCOUNTS_SRC")
  jq -e 'map(.name) | index("validator") != null' <<<"$accounts" >/dev/null ||
    die "$ACCOUNTS_SRC has no account named validator"

  wasmd genesis gentx validator "$VALIDATOR_BOND" --chain-id "$CHAIN_ID" --keyring-backend test \
    --home "$tmp" >/dev/null 2>&1 || die "gentx failed"
  wasmd genesis collect-gentxs --home "$tmp" >/dev/null 2>&1 || die "collect-gentxs failed"

  # Anybody may upload and instantiate code (wasmd's default, made explicit); short governance
  # periods so that a proposal can be tested in seconds.
  gen=$tmp/config/genesis.json
  jq '.app_state.wasm.params.code_upload_access = {permission: "Everybody", addresses: []}
    | .app_state.wasm.params.instantiate_default_permission = "Everybody"
    | .app_state.gov.params.voting_period = "20s"
    | .app_state.gov.params.expedited_voting_period = "10s"' "$gen" >"$gen.tmp" ||
    die "cannot edit $gen"
  mv "$gen.tmp" "$gen"
  wasmd genesis validate-genesis --home "$tmp" >/dev/null 2>&1 ||
    die "the genesis does not validate: $(wasmd genesis validate-genesis --home "$tmp" 2>&1 | tail -n 3)"

  rm -rf "$NODE_HOME"
  mv "$tmp" "$NODE_HOME"
  echo "$WASMD_VERSION" >"$LOCALNET/wasmd.version"
  jq . <<<"$accounts" >"$ACCOUNTS_OUT"
  log "chain initialized in $(($(now) - t0)) s"
}

# ---------------------------------------------------------------------------------------------
# The running node.
# ---------------------------------------------------------------------------------------------
# Alive and not a zombie (a stopped node whose parent has not reaped it yet counts as gone).
pid_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# The arguments `up` starts wasmd with; its home makes it ours.
START_ARGS=(start --home "$NODE_HOME" --log_no_color)

# The PID file's PID if it is running and is our wasmd: a program named wasmd with exactly
# START_ARGS, so a reused PID is never mistaken for it (whichever KEEL_CACHE built the binary).
our_pid() {
  local pid argv0 args
  [ -f "$PID_FILE" ] || return 1
  pid=$(tr -dc 0-9 <"$PID_FILE")
  [ -n "$pid" ] && pid_running "$pid" || return 1
  args=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  argv0=${args%%$'\n'*}
  [ "${argv0##*/}" = wasmd ] || return 1
  [ "${args#*$'\n'}" = "$(printf '%s\n' "${START_ARGS[@]}")" ] || return 1
  echo "$pid"
}

rpc_url() { echo "http://127.0.0.1:$RPC_PORT"; }

rpc_height() {
  curl -fsS --max-time 2 "$(rpc_url)/status" 2>/dev/null |
    jq -er '.result.sync_info.latest_block_height | tonumber' 2>/dev/null
}

# Median time between the last (up to) 20 blocks (seconds), from their header times. The median
# ignores the gap of a restart; block 1 is left out (its time is the genesis time, set at init).
block_time() {
  local h=$1 from
  from=$((h > 22 ? h - 20 : 2))
  [ "$h" -gt "$from" ] || return 1
  curl -fsS --max-time 2 "$(rpc_url)/blockchain?minHeight=$from&maxHeight=$h" 2>/dev/null | jq -er '
    def secs: (.[0:19] + "Z" | fromdateiso8601) + ("0" + (.[19:] | sub("Z$"; "")) | tonumber);
    [.result.block_metas[].header.time | secs] | sort | [range(1; length) as $i | .[$i] - .[$i - 1]]
    | sort | .[length / 2 | floor] | . * 1000 | round / 1000'
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_ports() {
  local p name
  for p in "rpc:$RPC_PORT" "p2p:$P2P_PORT" "grpc:$GRPC_PORT" "api:$API_PORT"; do
    name=${p%%:*}
    [[ "${p#*:}" =~ ^[0-9]+$ ]] || die "KEEL_LOCALNET_${name^^}_PORT must be a port number, not ${p#*:}"
    ! port_busy "${p#*:}" ||
      die "port ${p#*:} ($name) on 127.0.0.1 is in use (another localnet? scripts/localnet.sh status): stop whatever holds it or set KEEL_LOCALNET_${name^^}_PORT"
  done
}

start_node() {
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) scripts/localnet.sh up: wasmd $WASMD_VERSION" >>"$LOG_FILE"
  rm -f "$PID_FILE"
  # setsid: the node outlives this script and is not in the terminal's process group (a ^C
  # here does not reach it). The inner shell writes its own PID, then becomes wasmd with exec.
  # shellcheck disable=SC2016 # $$, $1 and $@ are the inner shell's
  LD_LIBRARY_PATH="$BIN_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" setsid bash -c \
    'echo $$ >"$1" && shift && exec "$@"' _ "$PID_FILE" "$WASMD" "${START_ARGS[@]}" \
    </dev/null >>"$LOG_FILE" 2>&1 &
}

wait_for_blocks() {
  local deadline first='' h pid
  deadline=$(($(now) + UP_TIMEOUT))
  while :; do
    h=$(rpc_height || true)
    if [ -n "$h" ] && [ "$h" -ge 1 ]; then
      [ -n "$first" ] || first=$h
      [ "$h" -le "$first" ] || return 0
    fi
    pid=$(tr -dc 0-9 <"$PID_FILE" 2>/dev/null || true)
    if [ -n "$pid" ] && ! pid_running "$pid"; then
      die "wasmd exited during startup; last lines of $LOG_FILE:
$(tail -n 20 "$LOG_FILE")"
    fi
    [ "$(now)" -lt "$deadline" ] ||
      die "no new block within ${UP_TIMEOUT}s (height ${h:-none}) at $(rpc_url); see $LOG_FILE"
    sleep 0.2
  done
}

stop_node() {
  local pid t0
  dashboard_step stop
  if ! pid=$(our_pid); then
    if [ -f "$PID_FILE" ]; then
      log "stale PID file (PID $(cat "$PID_FILE") is not our running wasmd): removed, nothing stopped"
      rm -f "$PID_FILE"
    else
      log "not running"
    fi
    return 0
  fi
  log "stopping wasmd (PID $pid)"
  kill -TERM "$pid"
  t0=$(now)
  while pid_running "$pid"; do
    if [ $(($(now) - t0)) -ge "$STOP_TIMEOUT" ]; then
      log "wasmd did not stop within ${STOP_TIMEOUT}s of SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
  log "stopped"
}

# ---------------------------------------------------------------------------------------------
# What `up` tells the deploy step and the user.
# ---------------------------------------------------------------------------------------------
write_env() {
  local k v
  {
    echo "# written by scripts/localnet.sh up; KEY='value' lines (bash and dotenv)"
    for k in KEEL_RPC KEEL_CHAIN_ID KEEL_LOCALNET_HOME KEEL_NODE_HOME KEEL_WASMD KEEL_GAS_PRICE \
      KEEL_FEE_DENOM KEEL_ACCOUNTS KEEL_REST KEEL_GRPC KEEL_WASMD_VERSION; do
      v=${!k}
      [[ "$v" != *"'"* ]] || die "a quote in $k=$v"
      echo "$k='$v'"
    done
  } >"$ENV_FILE"
}

export_env() {
  export KEEL_RPC KEEL_CHAIN_ID KEEL_LOCALNET_HOME KEEL_NODE_HOME KEEL_WASMD KEEL_GAS_PRICE \
    KEEL_FEE_DENOM KEEL_ACCOUNTS KEEL_REST KEEL_GRPC KEEL_WASMD_VERSION
  KEEL_RPC=$(rpc_url)
  KEEL_CHAIN_ID=$CHAIN_ID
  KEEL_LOCALNET_HOME=$LOCALNET
  KEEL_NODE_HOME=$NODE_HOME
  KEEL_WASMD=$WASMD
  KEEL_GAS_PRICE=$GAS_PRICE
  KEEL_FEE_DENOM=$FEE_DENOM
  KEEL_ACCOUNTS=$ACCOUNTS_OUT
  KEEL_REST=http://127.0.0.1:$API_PORT
  KEEL_GRPC=127.0.0.1:$GRPC_PORT
  KEEL_WASMD_VERSION=$WASMD_VERSION
}

# A running chain's settings are those `up` wrote, whatever this shell's environment says.
load_env() {
  [ -f "$ENV_FILE" ] || return 0
  local k v
  while IFS='=' read -r k v; do
    v=${v#\'}
    v=${v%\'}
    case "$k" in
    KEEL_RPC) RPC_PORT=${v##*:} ;;
    KEEL_CHAIN_ID) CHAIN_ID=$v ;;
    KEEL_REST) API_PORT=${v##*:} ;;
    KEEL_GRPC) GRPC_PORT=${v##*:} ;;
    esac
  done < <(grep -E "^KEEL_[A-Z_]+='" "$ENV_FILE")
}

print_summary() {
  local h bt
  h=$(rpc_height || echo '?')
  bt=$(block_time "$h" 2>/dev/null || echo '?')
  echo "chain $CHAIN_ID is live: height $h, block time ~${bt}s (wasmd $WASMD_VERSION, PID $(our_pid || echo '?'))"
  echo "  RPC        $(rpc_url)"
  echo "  REST       http://127.0.0.1:$API_PORT    gRPC 127.0.0.1:$GRPC_PORT"
  echo "  chain id   $CHAIN_ID"
  echo "  gas price  $GAS_PRICE    native denoms: ustake (fees, staking), uflow, uusdc"
  echo "  home       $LOCALNET   (log wasmd.log, settings localnet.env)"
  echo "  wasmd CLI  $WASMD --home $NODE_HOME ..."
  echo "  accounts   $ACCOUNTS_OUT   (TEST-ONLY mnemonics: public, never use them elsewhere)"
  jq -r '.[] | "    \(.name | . + " " * (11 - length))\(.address)"' "$ACCOUNTS_OUT"
}

# The deployment record's contracts, when the deploy step wrote one (an `up` of a running chain
# reports it again; the deploy step prints it itself after a deploy).
print_deployment() {
  local record=${KEEL_DEPLOYMENT_OUT:-$ROOT/deployments/$CHAIN_ID.json}
  [ -f "$record" ] || return 0
  echo "Keel deployment ($record):"
  jq -r '"  market      \(.contracts.market)", "  oracle      \(.contracts.oracle)",
    "  liquidator  \(.contracts.liquidator)", "  MOET        \(.contracts.moet)",
    "  assets      \([.assets[] | "\(.symbol) \(.denom)"] | join(", "))"' "$record" ||
    log "cannot read $record"
}

# ---------------------------------------------------------------------------------------------
# DASHBOARD: the web dashboard (scripts/dashboard.sh, docs/DASHBOARD.md) served in the background
# in development mode (the Actions page signs with the accounts file's test keys) on
# KEEL_DASHBOARD_PORT (default 5173), its PID file and log in the chain folder; `start` (after
# the deploy step) prints its URL, `stop` (with the node: down, reset) ends it.
# KEEL_LOCALNET_DASHBOARD=0 starts none (the e2e and browser-test chains). A failure to start is
# reported and leaves the chain as it is.
# ---------------------------------------------------------------------------------------------
dashboard_step() {
  local hook=$ROOT/scripts/dashboard.sh
  [ -x "$hook" ] || return 0
  [ "$1" = stop ] || [ "${KEEL_LOCALNET_DASHBOARD:-1}" != 0 ] || return 0
  KEEL_LOCALNET_HOME=$LOCALNET "$hook" "$1" --dev ||
    log "the dashboard did not $1 (scripts/dashboard.sh $1 --dev; see $LOCALNET/dashboard.log)"
}

# ---------------------------------------------------------------------------------------------
# DEPLOY STEP: called by `up` once the chain produces blocks (skipped with --no-deploy).
# The deploy tool lives in scripts/deploy.sh; it gets KEEL_RPC, KEEL_CHAIN_ID, KEEL_LOCALNET_HOME
# and the rest of localnet.env in its environment.
# ---------------------------------------------------------------------------------------------
deploy_step() {
  local hook=$ROOT/scripts/deploy.sh rc=0
  if [ -x "$hook" ]; then
    log "deploying: scripts/deploy.sh (KEEL_RPC=$KEEL_RPC KEEL_CHAIN_ID=$KEEL_CHAIN_ID)"
    "$hook" || rc=$?
    [ "$rc" = 0 ] ||
      die "scripts/deploy.sh failed (exit $rc); the chain is still running (scripts/localnet.sh down stops it)"
  elif [ -e "$hook" ]; then
    log "scripts/deploy.sh is not executable: deploy skipped"
  else
    log "no scripts/deploy.sh yet: deploy skipped"
  fi
}

# ---------------------------------------------------------------------------------------------
# SERVICES: the operators' services of the local market (keel-ops, ts/ops; docs/OPERATORS.md),
# started after the deploy step from the deployment record and the accounts file next to it.
# Each runs in the background in its own session, with a PID file and a log (JSON lines) in the
# chain folder: $LOCALNET/<service>.pid and $LOCALNET/<service>.log.
# ---------------------------------------------------------------------------------------------
OPS_CONFIG=${KEEL_OPS_CONFIG:-$ROOT/deployments/config/keel-local.ops.json}
OPS_CLI=$ROOT/ts/ops/dist/cli.js
OPS_SERVICES=(feeder keeper liquidator)
OPS_START_TIMEOUT=30

ops_pid_file() { echo "$LOCALNET/$1.pid"; }
ops_log_file() { echo "$LOCALNET/$1.log"; }

# The PID file's PID if it is running and is our `keel-ops <service>` (node running OPS_CLI with
# that service), so that a reused PID is never signalled.
ops_pid() {
  local svc=$1 file pid args
  file=$(ops_pid_file "$svc")
  [ -f "$file" ] || return 1
  pid=$(tr -dc 0-9 <"$file")
  [ -n "$pid" ] && pid_running "$pid" || return 1
  args=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  grep -qxF "$OPS_CLI" <<<"$args" && grep -qxF "$svc" <<<"$args" || return 1
  echo "$pid"
}

# Compiles ts/ops (incremental; the deploy step installed ts/node_modules and compiled the client).
build_ops() {
  # shellcheck source=scripts/npm-deps.sh
  source "$ROOT/scripts/npm-deps.sh"
  npm_deps || die "cannot install the TypeScript tools' dependencies"
  (cd "$ROOT/ts" && npx --no-install tsc -b ops) || die "compiling ts/ops failed (cd ts && npx tsc -b ops)"
}

# start_service SERVICE: starts `keel-ops SERVICE` unless it runs, then waits until it has
# started its first round (its "<service> started" line) or exited (then its log's last lines).
start_service() {
  local svc=$1 record pid pid_file log_file port t0 args skip
  record=${KEEL_DEPLOYMENT_OUT:-$ROOT/deployments/$CHAIN_ID.json}
  if pid=$(ops_pid "$svc"); then
    log "$svc already running (PID $pid; log $(ops_log_file "$svc"))"
    return 0
  fi
  [ -f "$record" ] || {
    log "no deployment record $record: $svc not started (deploy first: scripts/deploy.sh)"
    return 0
  }
  pid_file=$(ops_pid_file "$svc")
  log_file=$(ops_log_file "$svc")
  case "$svc" in
  feeder) port=$((9464 + PORT_OFFSET)) ;;
  keeper) port=$((9465 + PORT_OFFSET)) ;;
  liquidator) port=$((9466 + PORT_OFFSET)) ;;
  esac
  args=("$svc" --config "$OPS_CONFIG" --deployment "$record" --metrics-port "$port")
  # the keeper's index lives with the chain it indexes
  [ "$svc" != keeper ] || args+=(--set "keeper.state_file=$LOCALNET/keeper-state.json")
  rm -f "$pid_file"
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) scripts/localnet.sh up: keel-ops ${args[*]}" >>"$log_file"
  skip=$(($(wc -l <"$log_file") + 1))
  # shellcheck disable=SC2016 # $$, $1 and $@ are the inner shell's
  setsid bash -c 'echo $$ >"$1" && shift && exec "$@"' _ "$pid_file" node "$OPS_CLI" "${args[@]}" \
    </dev/null >>"$log_file" 2>&1 &
  t0=$(now)
  while :; do
    pid=$(tr -dc 0-9 2>/dev/null <"$pid_file" || true)
    if [ -n "$pid" ] && ! pid_running "$pid"; then
      rm -f "$pid_file"
      die "keel-ops $svc exited at start; last lines of $log_file:
$(tail -n 5 "$log_file")"
    fi
    # connected and set up: its "feeder started", "keeper started..." or "liquidation bot started"
    if [ -n "$pid" ] && tail -n +"$skip" "$log_file" | grep -qE '"msg":"(feeder|keeper|liquidation bot) started'; then break; fi
    [ $(($(now) - t0)) -lt "$OPS_START_TIMEOUT" ] ||
      die "keel-ops $svc did not start within ${OPS_START_TIMEOUT}s; see $log_file"
    sleep 0.2
  done
  log "$svc started (PID $pid; log $log_file; metrics http://127.0.0.1:$port/metrics)"
}

# start_services FEEDER KEEPER LIQUIDATOR: starts those given as 1.
start_services() {
  local want=("$@") i any=
  for i in 0 1 2; do [ "${want[$i]}" != 1 ] || any=1; done
  [ -n "$any" ] || return 0
  build_ops
  for i in 0 1 2; do
    [ "${want[$i]}" != 1 ] || start_service "${OPS_SERVICES[$i]}"
  done
}

# Stops every service `up` started (SIGTERM: each finishes its round and exits), then removes
# their PID files.
stop_services() {
  local svc pid t0
  for svc in "${OPS_SERVICES[@]}"; do
    if ! pid=$(ops_pid "$svc"); then
      rm -f "$(ops_pid_file "$svc")"
      continue
    fi
    log "stopping $svc (PID $pid)"
    kill -TERM "$pid"
    t0=$(now)
    while pid_running "$pid"; do
      if [ $(($(now) - t0)) -ge "$STOP_TIMEOUT" ]; then
        log "$svc did not stop within ${STOP_TIMEOUT}s of SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    rm -f "$(ops_pid_file "$svc")"
  done
}

# status, then one line per running service.
status_with_services() {
  local rc=0 svc pid
  cmd_status || rc=$?
  for svc in "${OPS_SERVICES[@]}"; do
    if pid=$(ops_pid "$svc"); then
      echo "  $svc running: PID $pid, log $(ops_log_file "$svc")"
    fi
  done
  return "$rc"
}

# ---------------------------------------------------------------------------------------------
# Commands.
# ---------------------------------------------------------------------------------------------
cmd_up() {
  local deploy=1 arg t0 pid feeder=1 keeper=0 liquidator=0
  for arg in "$@"; do
    case "$arg" in
    --no-deploy) deploy= ;;
    --no-feeder) feeder=0 ;;
    --keeper) keeper=1 ;;
    --liquidator) liquidator=1 ;;
    *) die "unknown option for up: $arg (usage: $0 up [--no-deploy] [--no-feeder] [--keeper] [--liquidator])" ;;
    esac
  done
  t0=$(now)
  need_tools
  if pid=$(our_pid); then
    load_env
    log "already running (PID $pid)"
    dashboard_step start
    print_summary
    print_deployment
    start_services "$feeder" "$keeper" "$liquidator"
    return 0
  fi
  check_ports
  build_wasmd
  if [ -f "$NODE_HOME/config/genesis.json" ]; then
    local was id
    was=$(cat "$LOCALNET/wasmd.version" 2>/dev/null || echo unknown)
    [ "$was" = "$WASMD_VERSION" ] ||
      die "$LOCALNET was initialized by wasmd $was, this is $WASMD_VERSION: scripts/localnet.sh reset"
    [ -f "$ACCOUNTS_OUT" ] || die "$ACCOUNTS_OUT is missing: scripts/localnet.sh reset"
    # the chain id is the genesis's: KEEL_CHAIN_ID only names a new chain
    id=$(jq -r '.chain_id' "$NODE_HOME/config/genesis.json")
    [ -z "${KEEL_CHAIN_ID:-}" ] || [ "$KEEL_CHAIN_ID" = "$id" ] ||
      die "$LOCALNET holds chain $id, not KEEL_CHAIN_ID=$KEEL_CHAIN_ID: scripts/localnet.sh reset first"
    CHAIN_ID=$id
  else
    init_chain
  fi
  configure_node "$NODE_HOME"
  export_env
  write_env
  log "starting wasmd (log: $LOG_FILE)"
  start_node
  wait_for_blocks
  log "up in $(($(now) - t0)) s"
  print_summary
  if [ -n "$deploy" ]; then
    deploy_step
    dashboard_step start
  else
    log "deploy skipped (--no-deploy)"
  fi
  # SERVICES: the off-chain services of the local market (the price feeder first: prices go stale
  # max_age = 300 s after the last push) start here, after the deploy step, from the deployment
  # record (deployments/$CHAIN_ID.json, or KEEL_DEPLOYMENT_OUT) and the accounts file next to it.
  if [ -n "$deploy" ]; then
    start_services "$feeder" "$keeper" "$liquidator"
  else
    log "services not started (--no-deploy: no deployment to serve)"
  fi
}

cmd_status() {
  need_tools
  load_env
  local pid h bt
  if pid=$(our_pid); then
    if h=$(rpc_height); then
      bt=$(block_time "$h" 2>/dev/null || echo '?')
      echo "running: PID $pid, chain $CHAIN_ID, height $h, block time ~${bt}s, RPC $(rpc_url)"
    else
      echo "running: PID $pid, but the RPC at $(rpc_url) does not answer (see $LOG_FILE)"
    fi
    return 0
  fi
  if [ -f "$NODE_HOME/config/genesis.json" ]; then
    echo "stopped (chain initialized in $LOCALNET; scripts/localnet.sh up starts it)"
  else
    echo "stopped (no chain in $LOCALNET yet; scripts/localnet.sh up creates it)"
  fi
  return 3
}

cmd_reset() {
  stop_node
  [ -e "$LOCALNET" ] || {
    log "nothing to delete ($LOCALNET does not exist)"
    return 0
  }
  # never wipe a folder this script did not create
  [ -f "$MARKER" ] || [ -z "$(ls -A "$LOCALNET")" ] ||
    die "$LOCALNET has no $(basename "$MARKER") marker: not deleting a folder this script did not create"
  rm -rf "$LOCALNET"
  log "deleted $LOCALNET (the wasmd binary stays cached in $BIN_DIR)"
}

cmd_env() {
  [ -f "$ENV_FILE" ] || die "no $ENV_FILE yet: scripts/localnet.sh up writes it"
  grep -E "^KEEL_[A-Z_]+='" "$ENV_FILE"
}

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
up) cmd_up "$@" ;;
down) [ $# -eq 0 ] || usage && stop_services && stop_node ;;
status) [ $# -eq 0 ] || usage && status_with_services ;;
reset) [ $# -eq 0 ] || usage && stop_services && cmd_reset ;;
build) [ $# -eq 0 ] || usage && need_tools && build_wasmd && log "wasmd $WASMD_VERSION: $WASMD" ;;
env) [ $# -eq 0 ] || usage && cmd_env ;;
-h | --help | help) usage 0 ;;
*) usage ;;
esac
