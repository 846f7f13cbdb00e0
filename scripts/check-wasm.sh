#!/usr/bin/env bash
# Validate every artifacts/*.wasm with cosmwasm-check (the static checks a chain runs on upload:
# required exports, imports, no bulk-memory/reference-types/floats, size limits...).
# Installs cosmwasm-check with cargo when missing (once: ~4 minutes on 2 cores, it builds wasmer).
#
# Usage: scripts/check-wasm.sh [file.wasm...]       (default: artifacts/*.wasm)
#        scripts/check-wasm.sh --install-only      only make sure cosmwasm-check is installed
#
# Environment:
#   COSMWASM_CHECK_VERSION   version to use (default 2.3.5, matching cosmwasm-std =2.3.5)
#   KEEL_CARGO_INSTALL_ROOT  cargo install --root for it, and the only place where it is looked
#                            for (default: cargo's root ~/.cargo, or any on the PATH)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CALLER_DIR=$PWD
cd "$ROOT"

VERSION=${COSMWASM_CHECK_VERSION:-2.3.5}
INSTALL_ROOT=${KEEL_CARGO_INSTALL_ROOT:-${CARGO_HOME:-${HOME:-/root}/.cargo}}
BIN=$INSTALL_ROOT/bin/cosmwasm-check

log() { echo "[check-wasm] $*" >&2; }
die() {
  echo "[check-wasm] ERROR: $*" >&2
  exit 1
}

INSTALL_ONLY=
if [ "${1:-}" = --install-only ]; then
  INSTALL_ONLY=1
  shift
fi

if [ -n "$INSTALL_ONLY" ]; then
  FILES=()
elif [ $# -gt 0 ]; then
  FILES=()
  for f in "$@"; do
    case "$f" in
    /*) FILES+=("$f") ;;
    *) FILES+=("$CALLER_DIR/$f") ;;
    esac
  done
else
  shopt -s nullglob
  FILES=(artifacts/*.wasm)
  shopt -u nullglob
fi
[ -n "$INSTALL_ONLY" ] || [ ${#FILES[@]} -gt 0 ] || die "no artifacts/*.wasm: run scripts/build-wasm.sh first"

# "cosmwasm-check 2.3.5" -> 2.3.5
installed_version() { "$1" --version 2>/dev/null | awk '{ print $NF; exit }'; }

CANDIDATES=("$BIN")
# one on the PATH will do too, unless an install root was asked for
[ -n "${KEEL_CARGO_INSTALL_ROOT:-}" ] || CANDIDATES+=("$(command -v cosmwasm-check 2>/dev/null || true)")
CHECK=
for cand in "${CANDIDATES[@]}"; do
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
if [ -n "$INSTALL_ONLY" ]; then
  echo "[check-wasm] $CHECK: cosmwasm-check $VERSION"
  exit 0
fi

# cosmwasm-check does not require the entry points: a contract built with its "library" feature
# on (say, through a dependency) passes it with no instantiate/execute/query. Check them too,
# when python3 is there to read the export section.
missing_entry_points() {
  command -v python3 >/dev/null 2>&1 || return 0
  python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
def leb(i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7F) << s; s += 7
        if x < 0x80: return r, i
i, funcs = 8, set()
while i < len(b):
    sid = b[i]; size, j = leb(i + 1); end = j + size
    if sid == 7:
        n, j = leb(j)
        for _ in range(n):
            ln, j = leb(j); name = b[j:j + ln].decode("utf-8", "replace"); j += ln
            kind = b[j]; j += 1; _, j = leb(j)
            if kind == 0: funcs.add(name)
    i = end
print(" ".join(e for e in ("instantiate", "execute", "query") if e not in funcs))
PY
}

failed=()
for f in "${FILES[@]}"; do
  [ -f "$f" ] || die "$f: no such file"
  missing=$(missing_entry_points "$f")
  if [ -n "$missing" ]; then
    printf '[check-wasm] FAIL  %s\nno exported entry point: %s (built with the "library" feature?)\n' \
      "$f" "$missing" >&2
    failed+=("$f")
    continue
  fi
  if out=$("$CHECK" "$f" 2>&1); then
    printf '[check-wasm] ok    %s\n' "$f"
  else
    printf '[check-wasm] FAIL  %s\n%s\n' "$f" "$out" >&2
    failed+=("$f")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  die "failed: ${failed[*]}"
fi
echo "[check-wasm] all ${#FILES[@]} contract(s) pass cosmwasm-check $VERSION"
