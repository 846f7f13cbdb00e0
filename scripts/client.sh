#!/usr/bin/env bash
# Generate the TypeScript client (ts/client/src/generated/) from schema/ with @cosmwasm/ts-codegen
# (pinned in ts/package.json; ts/client/scripts/generate.js says what it adjusts), the way
# scripts/schema.sh generates schema/ from the Rust types.
#
# Usage: scripts/client.sh            regenerate ts/client/src/generated/
#        scripts/client.sh --check    regenerate into a temp dir; fail with a diff if it is stale
#
# After changing a message type: scripts/schema.sh, then scripts/client.sh, and commit both.
# Needs Node 20.19+ and npm; installs ts/node_modules (npm ci) when it is missing or older than
# ts/package-lock.json.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CHECK=
case "${1:-}" in
"") ;;
--check) CHECK=1 ;;
*)
  echo "usage: $0 [--check]" >&2
  exit 2
  ;;
esac

log() { echo "[client] $*" >&2; }
die() {
  echo "[client] ERROR: $*" >&2
  exit 1
}

# shellcheck source=scripts/npm-deps.sh
source "$ROOT/scripts/npm-deps.sh"
npm_deps

GEN=ts/client/src/generated
if [ -n "$CHECK" ]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-client.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  node ts/client/scripts/generate.js --out "$WORK/generated" || die "the generator failed"
  if ! diff -ru "$GEN" "$WORK/generated" >"$WORK/diff"; then
    sed -e "s#$WORK/generated#<generated>#g" "$WORK/diff" | head -n 200 >&2
    die "$GEN is stale: run scripts/client.sh and commit it (after scripts/schema.sh when a type changed)"
  fi
  echo "[client] $GEN is up to date"
else
  node ts/client/scripts/generate.js --out "$GEN" || die "the generator failed"
fi
