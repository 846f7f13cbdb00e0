#!/usr/bin/env bash
# Gas report of Keel on real wasm: builds artifacts/*.wasm (scripts/build-wasm.sh), runs the fixed
# scenario in cosmwasm-vm (bench/, crate keel-bench: its own workspace, since it compiles wasmer),
# prints the tables, writes them into docs/GAS.md, and runs the budget test (bench/budgets.json).
#
# Usage: scripts/gas.sh [--no-build] [--check] [--update-budgets] [--detail]
#   --no-build         use the artifacts/*.wasm already there
#   --check            do not rewrite docs/GAS.md (CI)
#   --update-budgets   rewrite bench/budgets.json from this run (measured + 3%), then test
#   --detail           also print every contract call of every message
#
# Environment:
#   KEEL_ARTIFACTS            the wasm to measure (default artifacts/)
#   KEEL_BENCH_TARGET_DIR     cargo target dir of the bench (default $KEEL_CACHE/bench-target, i.e.
#                             ~/.cache/keel/bench-target): outside the clone, so that a fresh clone
#                             on the same machine (CI) reuses the compiled wasmer (~17 min CPU cold)
#   KEEL_VM_CACHE             cosmwasm-vm's module cache (default <bench target dir>/vm-cache)
# Times: see docs/GAS.md ("Running it").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD=1
WRITE=1
BENCH_ARGS=()
for arg in "$@"; do
  case "$arg" in
  --no-build) BUILD= ;;
  --check) WRITE= ;;
  --update-budgets) BENCH_ARGS+=(--update-budgets) ;;
  --detail) BENCH_ARGS+=(--detail) ;;
  *)
    echo "usage: $0 [--no-build] [--check] [--update-budgets] [--detail]" >&2
    exit 2
    ;;
  esac
done
[ -n "$WRITE" ] && BENCH_ARGS+=(--write-docs)

log() { echo "[gas] $*" >&2; }
T0=$(date +%s)
CACHE=${KEEL_CACHE:-${HOME:-/root}/.cache/keel}
export CARGO_TARGET_DIR=${KEEL_BENCH_TARGET_DIR:-$CACHE/bench-target}
export KEEL_VM_CACHE=${KEEL_VM_CACHE:-$CARGO_TARGET_DIR/vm-cache}
mkdir -p "$CARGO_TARGET_DIR"

if [ -n "$BUILD" ]; then
  log "building the wasm artifacts"
  scripts/build-wasm.sh
fi
T_WASM=$(date +%s)

MANIFEST=bench/Cargo.toml
log "compiling keel-bench (cosmwasm-vm + wasmer: several minutes the first time)"
cargo build --quiet --manifest-path "$MANIFEST" --bins --tests
T_BUILD=$(date +%s)

log "running the scenario"
cargo run --quiet --manifest-path "$MANIFEST" --bin keel-bench -- "${BENCH_ARGS[@]}"
T_RUN=$(date +%s)

log "budget test"
cargo test --manifest-path "$MANIFEST" 2>&1
T_TEST=$(date +%s)

log "times: wasm build $((T_WASM - T0))s, bench build $((T_BUILD - T_WASM))s, report $((T_RUN - T_BUILD))s, budget test $((T_TEST - T_RUN))s, total $((T_TEST - T0))s"
