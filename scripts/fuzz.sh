#!/usr/bin/env bash
# Stateful invariant fuzzing of the whole deployment (docs/SECURITY.md).
#
# Usage: scripts/fuzz.sh OPS SEED [--json-every N] [--shrink-secs S] [--progress N] [--strict]
#        scripts/fuzz.sh --replay FILE [--verbose]
#
# Runs OPS random operations generated from SEED against the real contracts in cw-multi-test,
# checks every invariant (SPEC section 6 and more) after every operation, and prints the ops
# run, the invariants checked and the violations; on a violation it shrinks the sequence and
# prints a minimal reproducing one (also written to target/fuzz-repro-SEED.json, for --replay).
# Exit status: 0 no violation, 1 violation, 2 usage.
#
# Built in release with unwinding panics (a contract panic is reported as a violation, not an
# abort) in its own target dir (KEEL_FUZZ_TARGET_DIR, default target/fuzz) so that it does not
# disturb the wasm/release builds. KEEL_FUZZ_TRACE=1 prints every operation and its outcome.
#
# Examples: scripts/fuzz.sh 100000 7        (the long run: a few minutes)
#           scripts/fuzz.sh 2000 $RANDOM
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [ $# -lt 1 ]; then
  sed -n '2,18p' "$0" >&2
  exit 2
fi
export CARGO_TARGET_DIR=${KEEL_FUZZ_TARGET_DIR:-$ROOT/target/fuzz}
export CARGO_PROFILE_RELEASE_PANIC=unwind
export CARGO_PROFILE_RELEASE_LTO=false
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true
exec cargo run --release -q -p keel-tests --bin fuzz -- "$@"
