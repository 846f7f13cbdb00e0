#!/usr/bin/env bash
# Validate every artifacts/*.wasm with cosmwasm-check (the static checks a chain runs on upload:
# required exports, imports, no bulk-memory/reference-types/floats, size limits...).
# Installs cosmwasm-check with cargo when missing (once: ~4 minutes on 2 cores, it builds wasmer).
#
# Usage: scripts/check-wasm.sh [file.wasm...]       (default: artifacts/*.wasm)
#
# Environment:
#   COSMWASM_CHECK_VERSION   version to use (default 2.3.5, matching cosmwasm-std =2.3.5)
#   KEEL_CARGO_INSTALL_ROOT  cargo install --root for it (default: cargo's, i.e. ~/.cargo)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

VERSION=${COSMWASM_CHECK_VERSION:-2.3.5}
INSTALL_ROOT=${KEEL_CARGO_INSTALL_ROOT:-${CARGO_HOME:-${HOME:-/root}/.cargo}}
BIN=$INSTALL_ROOT/bin/cosmwasm-check

log() { echo "[check-wasm] $*" >&2; }
die() {
  echo "[check-wasm] ERROR: $*" >&2
  exit 1
}

if [ $# -gt 0 ]; then
  FILES=("$@")
else
  shopt -s nullglob
  FILES=(artifacts/*.wasm)
  shopt -u nullglob
fi
[ ${#FILES[@]} -gt 0 ] || die "no artifacts/*.wasm: run scripts/build-wasm.sh first"

# "cosmwasm-check 2.3.5" -> 2.3.5
installed_version() { "$1" --version 2>/dev/null | awk '{ print $NF; exit }'; }

CHECK=
for cand in "$BIN" "$(command -v cosmwasm-check 2>/dev/null || true)"; do
  if [ -n "$cand" ] && [ -x "$cand" ] && [ "$(installed_version "$cand")" = "$VERSION" ]; then
    CHECK=$cand
    break
  fi
done
if [ -z "$CHECK" ]; then
  log "installing cosmwasm-check $VERSION into $INSTALL_ROOT (takes a few minutes, once)"
  t0=$(date +%s)
  cargo install --quiet --locked --root "$INSTALL_ROOT" cosmwasm-check --version "=$VERSION" ||
    die "cargo install cosmwasm-check $VERSION failed"
  log "installed in $(($(date +%s) - t0)) s"
  CHECK=$BIN
  [ "$(installed_version "$CHECK")" = "$VERSION" ] || die "$CHECK does not report version $VERSION"
fi

failed=()
for f in "${FILES[@]}"; do
  [ -f "$f" ] || die "$f: no such file"
  if out=$("$CHECK" "$f" 2>&1); then
    printf '[check-wasm] ok    %s\n' "$f"
  else
    printf '[check-wasm] FAIL  %s\n%s\n' "$f" "$out" >&2
    failed+=("$f")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  die "cosmwasm-check $VERSION rejected: ${failed[*]}"
fi
echo "[check-wasm] all ${#FILES[@]} contract(s) pass cosmwasm-check $VERSION"
