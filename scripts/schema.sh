#!/usr/bin/env bash
# Generate the JSON schema of every contract's messages into schema/<contract>/, from the
# contracts/<contract>/src/bin/schema.rs binaries (cosmwasm_schema::write_api!).
#
# Usage: scripts/schema.sh            regenerate schema/
#        scripts/schema.sh --check    regenerate into a temp dir; fail with a diff if schema/ is stale
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

log() { echo "[schema] $*" >&2; }
die() {
  echo "[schema] ERROR: $*" >&2
  exit 1
}

# shellcheck source=scripts/cargo-manifest.sh
source "$ROOT/scripts/cargo-manifest.sh"


WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-schema.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out
mkdir -p "$OUT"

contracts=()
for bin_src in contracts/*/src/bin/schema.rs; do
  [ -f "$bin_src" ] || continue
  dir=${bin_src#contracts/}
  contract=${dir%%/*}
  manifest=contracts/$contract/Cargo.toml
  pkg=$(package_name "$manifest")
  bin=$(schema_bin_name "$manifest")
  [ -n "$bin" ] || die "$manifest has no bin target for src/bin/schema.rs"
  log "$contract: cargo run -p $pkg --bin $bin"
  run_dir=$WORK/run-$contract
  mkdir -p "$run_dir"
  # write_api! writes into ./schema: run from an empty dir and move the result
  (cd "$run_dir" && cargo run --quiet --manifest-path "$ROOT/Cargo.toml" -p "$pkg" --bin "$bin" >/dev/null) ||
    die "the schema generator of $contract ($pkg, bin $bin) failed"
  [ -d "$run_dir/schema" ] || die "$pkg --bin $bin wrote no ./schema folder"
  mv "$run_dir/schema" "$OUT/$contract"
  contracts+=("$contract")
done
[ ${#contracts[@]} -gt 0 ] || die "no contracts/*/src/bin/schema.rs"

if [ -n "$CHECK" ]; then
  mkdir -p schema
  if ! diff -ru --exclude=.gitkeep schema "$OUT" >"$WORK/diff"; then
    sed -e "s#$OUT#<generated>#g" "$WORK/diff" | head -n 200 >&2
    die "schema/ is stale: run scripts/schema.sh and commit schema/"
  fi
  echo "[schema] schema/ is up to date (${contracts[*]})"
else
  mkdir -p schema
  # schema/ holds only generated folders: drop those of contracts that no longer have a generator
  for d in schema/*/; do
    [ -d "$d" ] || continue
    name=$(basename "$d")
    [ -d "$OUT/$name" ] || {
      log "removing stale schema/$name"
      rm -rf "$d"
    }
  done
  for contract in "${contracts[@]}"; do
    rm -rf "schema/$contract"
    mv "$OUT/$contract" "schema/$contract"
  done
  echo "[schema] wrote schema/ (${contracts[*]})"
fi
