# shellcheck shell=bash
# Sourced by the scripts that walk the contract crates (build-wasm.sh, schema.sh): what cargo
# itself says about the workspace's packages (`cargo metadata`, read with jq), rather than a
# hand-written reading of Cargo.toml. Needs $ROOT; installs jq from apt when it is missing.

if ! command -v jq >/dev/null 2>&1; then
  echo "[cargo-manifest] installing jq (apt-get)" >&2
  _sudo=
  [ "$(id -u)" = 0 ] || _sudo="sudo -n"
  $_sudo apt-get install -y -qq jq >/dev/null 2>&1 ||
    { $_sudo apt-get update -qq >/dev/null 2>&1 && $_sudo apt-get install -y -qq jq >/dev/null 2>&1; } ||
    { echo "[cargo-manifest] ERROR: jq is missing and could not be installed" >&2; exit 1; }
fi

# The workspace's packages, once per script run.
CARGO_METADATA=$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml") || {
  echo "[cargo-manifest] ERROR: cargo metadata failed" >&2
  exit 1
}

# The package of manifest $1 (a path relative to $ROOT), as JSON.
_package() {
  jq -c --arg m "$ROOT/$1" '.packages[] | select(.manifest_path == $m)' <<<"$CARGO_METADATA"
}

# The package name of manifest $1.
package_name() {
  _package "$1" | jq -r '.name'
}

# Whether the package of manifest $1 builds a cdylib (a contract's wasm).
is_cdylib() {
  [ "$(_package "$1" | jq '[.targets[] | select(.crate_types | index("cdylib"))] | length')" -gt 0 ]
}

# The name of the bin target built from src/bin/schema.rs of manifest $1 (empty if none).
schema_bin_name() {
  local dir
  dir=$(dirname "$ROOT/$1")
  _package "$1" | jq -r --arg src "$dir/src/bin/schema.rs" \
    '.targets[] | select(.src_path == $src and (.kind | index("bin"))) | .name'
}

# The value of `key` in the [package.metadata.keel] table of manifest $1 (empty if none).
keel_metadata() {
  _package "$1" | jq -r --arg key "$2" '.metadata.keel[$key] // empty'
}

# The strings of the list `key` in the [package.metadata.keel] table of manifest $1, one a line.
keel_metadata_list() {
  _package "$1" | jq -r --arg key "$2" '(.metadata.keel[$key] // [])[]'
}
