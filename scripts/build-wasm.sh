#!/usr/bin/env bash
# Build the release wasm of every CosmWasm contract crate under contracts/ (every crate whose
# Cargo.toml declares a "cdylib" crate-type) into artifacts/<crate_name>.wasm, shrink it with
# wasm-opt and write artifacts/checksums.txt (sha256sum).
#
# Usage: scripts/build-wasm.sh [crate-name...]     (default: every cdylib crate under contracts/)
#
# Toolchain (see docs/BUILD.md):
#   - if the active rustup toolchain has the wasm32-unknown-unknown target, plain cargo is used;
#   - otherwise Debian's rustc-web (with its rust-src) is fetched with `apt-get download`,
#     unpacked into $KEEL_CACHE/rustc-web (default ~/.cache/keel) and used with -Zbuild-std,
#     linking with the rust-lld of the rustup toolchain.
# Everything is compiled with -C target-cpu=mvp: CosmWasm VMs reject bulk-memory, reference-types
# and the other post-MVP features that current rustc enables by default.
# A contract may set, under [package.metadata.keel] in its Cargo.toml, `wasm-opt-level = "s"`
# (0-3, s, z): the opt-level of its whole wasm build (std and every dependency), and
# `wasm-opt3-packages = [...]`: the packages kept at opt-level 3 within it (docs/BUILD.md "Size").
#
# Environment:
#   KEEL_CACHE                 cache folder (default ~/.cache/keel)
#   KEEL_WASM_TARGET_DIR       cargo target dir for the wasm build (default target/wasm)
#   KEEL_WASM_TOOLCHAIN        force "rustup" or "rustc-web" (default: auto)
#   KEEL_REFRESH_TOOLCHAIN=1   fetch rustc-web again even if the cached one works
#   KEEL_WASM_UNPATCHED_STD=1  build with cosmwasm-std as published (by default its wasm backtrace
#                              box is patched to its no-std stub, see docs/BUILD.md "Size")
#   KEEL_WASM_PANIC_MESSAGES=1 keep the panic messages (rustc-web builds abort at once on a panic,
#                              see docs/BUILD.md "Size"): for debugging a contract that panics
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

WASM_TARGET=wasm32-unknown-unknown
CACHE=${KEEL_CACHE:-${HOME:-/root}/.cache/keel}
WEB_DIR=$CACHE/rustc-web
TARGET_DIR=${KEEL_WASM_TARGET_DIR:-$ROOT/target/wasm}
ARTIFACTS=$ROOT/artifacts
export DEBIAN_FRONTEND=noninteractive

log() { echo "[build-wasm] $*" >&2; }
die() {
  echo "[build-wasm] ERROR: $*" >&2
  exit 1
}
now() { date +%s; }

# ---------------------------------------------------------------------------------------------
# Contracts: every contracts/*/Cargo.toml with a cdylib crate-type.
# ---------------------------------------------------------------------------------------------
# shellcheck source=scripts/cargo-manifest.sh
source "$ROOT/scripts/cargo-manifest.sh"

ALL_CRATES=()
declare -A MANIFEST=()
for manifest in contracts/*/Cargo.toml; do
  [ -f "$manifest" ] || continue
  is_cdylib "$manifest" || continue
  name=$(package_name "$manifest")
  [ -n "$name" ] || die "cannot read the package name of $manifest"
  ALL_CRATES+=("$name")
  MANIFEST[$name]=$manifest
done
[ ${#ALL_CRATES[@]} -gt 0 ] || die "no cdylib crate under contracts/"

if [ $# -gt 0 ]; then
  CRATES=()
  for want in "$@"; do
    found=
    for c in "${ALL_CRATES[@]}"; do [ "$c" = "$want" ] && found=1; done
    [ -n "$found" ] || die "$want is not a cdylib crate under contracts/ (have: ${ALL_CRATES[*]})"
    CRATES+=("$want")
  done
else
  CRATES=("${ALL_CRATES[@]}")
fi

# ---------------------------------------------------------------------------------------------
# apt helpers (we run as root; a fresh machine needs `apt-get update` before anything else).
# ---------------------------------------------------------------------------------------------
SUDO=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
fi
APT_UPDATED=
apt_update() {
  [ -n "$APT_UPDATED" ] && return 0
  log "apt-get update"
  $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
  APT_UPDATED=1
}

# Print the first dependency of package $1 whose name matches the regex $2 (candidate version).
apt_dep() {
  apt-cache depends "$1" 2>/dev/null |
    awk -v re="$2" '$1 ~ /^(Pre)?Depends:$/ && $2 ~ re { print $2; exit }'
}

# The packages that make up rustc-web with its std sources. Names carry versions
# (libstd-rust-web-1.96, libllvm22) that the security archive bumps, so read them off the
# dependencies of the current candidates instead of hardcoding them.
# Lists without bookworm-security (never updated) offer an older rustc-web whose std sources the
# host cargo cannot build: ask for one at least as new as the host rustc.
rustc_web_packages() {
  local std llvm host
  std=$(apt_dep libstd-rust-web-dev '^libstd-rust-web-[0-9]')
  [ -n "$std" ] || return 1
  host=$(rustc -V | awk '{ split($2, v, "."); print v[1] "." v[2] }')
  if [ "$(printf '%s\n%s\n' "$host" "${std#libstd-rust-web-}" | sort -V | head -n 1)" != "$host" ]; then
    log "apt offers $std, older than the host rustc $host"
    return 1
  fi
  llvm=$(apt_dep "$std" '^libllvm[0-9]')
  [ -n "$llvm" ] || return 1
  echo rustc-web "$std" libstd-rust-web-dev rust-web-src "$llvm"
}

fetch_rustc_web() {
  local t0 pkgs tmp
  t0=$(now)
  command -v apt-get >/dev/null 2>&1 || die "no rustup wasm32 target and no apt-get to fetch rustc-web"
  pkgs=$(rustc_web_packages || true)
  if [ -z "$pkgs" ]; then
    apt_update
    pkgs=$(rustc_web_packages) || die "cannot resolve the rustc-web packages with apt-cache"
  fi
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/.rustc-web.XXXXXX")
  chmod 755 "$tmp" # so that apt's sandbox user may write into it
  log "fetching Debian rustc-web: $pkgs"
  # shellcheck disable=SC2086
  if ! (cd "$tmp" && apt-get download -qq $pkgs >/dev/null 2>&1); then
    # stale package lists (the security archive replaces old versions): refresh and retry
    apt_update
    pkgs=$(rustc_web_packages) || die "cannot resolve the rustc-web packages with apt-cache"
    rm -f "$tmp"/*.deb
    # shellcheck disable=SC2086
    (cd "$tmp" && apt-get download -qq $pkgs >/dev/null) || die "apt-get download $pkgs failed"
  fi
  mkdir -p "$tmp/root"
  for deb in "$tmp"/*.deb; do
    dpkg -x "$deb" "$tmp/root"
  done
  # shellcheck disable=SC2086
  (cd "$tmp" && ls -1 *.deb) >"$tmp/root/PACKAGES"
  rm -f "$tmp"/*.deb
  rm -rf "$WEB_DIR"
  mv "$tmp/root" "$WEB_DIR"
  rmdir "$tmp"
  log "rustc-web unpacked into $WEB_DIR in $(($(now) - t0)) s"
}

web_rustc_works() {
  [ -x "$WEB_DIR/usr/bin/rustc" ] &&
    [ -d "$WEB_DIR/usr/lib/rustlib/src/rust/library" ] &&
    LD_LIBRARY_PATH="$WEB_DIR/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      "$WEB_DIR/usr/bin/rustc" -V >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
# Choose the toolchain and build.
# ---------------------------------------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found"
MODE=${KEEL_WASM_TOOLCHAIN:-}
if [ -z "$MODE" ]; then
  if command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    MODE=rustup
  else
    MODE=rustc-web
  fi
fi

# Paths end up in the wasm (panic locations): map the checkout and cargo's registry (and the std
# sources, below) to fixed names so that the artifacts' checksums do not depend on where they were
# built. The flags go through CARGO_ENCODED_RUSTFLAGS (separated by 0x1f) so that paths may hold
# spaces.
CARGO_DIR=${CARGO_HOME:-${HOME:-/root}/.cargo}
FLAGS=(-C link-arg=-s -C target-cpu=mvp
  "--remap-path-prefix=$ROOT=/keel" "--remap-path-prefix=$CARGO_DIR=/cargo"
  "--remap-path-prefix=$CACHE/patched=/patched")
encode_flags() {
  local IFS=$'\x1f'
  echo "$*"
}

T_TOOLCHAIN=$(now)
BUILD_ENV=()
BUILD_ARGS=()
case "$MODE" in
rustup)
  BUILD_ENV=(CARGO_ENCODED_RUSTFLAGS="$(encode_flags "${FLAGS[@]}")")
  TOOLCHAIN_DESC="rustup $(rustc -V)"
  ;;
rustc-web)
  # rust-lld for the wasm link: the rustup (host) toolchain ships one, Debian's rustc-web does not.
  HOST_SYSROOT=$(rustc --print sysroot)
  HOST_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
  LLD=$HOST_SYSROOT/lib/rustlib/$HOST_TRIPLE/bin/rust-lld
  [ -x "$LLD" ] || die "rust-lld not found at $LLD"
  if [ -n "${KEEL_REFRESH_TOOLCHAIN:-}" ] || ! web_rustc_works; then
    # one fetch at a time: several checkouts on one machine share the cache
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.rustc-web.lock"
    flock 9
    if [ -n "${KEEL_REFRESH_TOOLCHAIN:-}" ] || ! web_rustc_works; then
      fetch_rustc_web
      web_rustc_works || die "the rustc-web unpacked into $WEB_DIR does not run"
    fi
    exec 9>&-
  fi
  WEB_LIB=$WEB_DIR/usr/lib/x86_64-linux-gnu
  # Panics abort at once (a wasm `unreachable` trap) instead of formatting their message and
  # location for the host's `abort`: the panic strategy immediate-abort, unstable (hence only
  # here, under RUSTC_BOOTSTRAP) and only usable with a std built by -Zbuild-std. Smaller and
  # cheaper (docs/BUILD.md "Size"). Older rustc spelled it -Zbuild-std-features=panic_immediate_abort,
  # which rustc 1.92+ refuses: probe the flag and go without it (with a warning) if unknown.
  WEB_FLAGS=(-C link-arg=--allow-undefined
    "--remap-path-prefix=$WEB_DIR/usr/lib/rustlib/src/rust=/rustc-web")
  if [ -z "${KEEL_WASM_PANIC_MESSAGES:-}" ]; then
    if LD_LIBRARY_PATH=$WEB_LIB RUSTC_BOOTSTRAP=1 "$WEB_DIR/usr/bin/rustc" -Zunstable-options \
      -C panic=immediate-abort --target "$WASM_TARGET" --print cfg 2>/dev/null |
      grep -qx 'panic="immediate-abort"'; then
      WEB_FLAGS+=(-Z unstable-options -C panic=immediate-abort)
    else
      log "WARNING: this rustc-web has no -C panic=immediate-abort: panics keep their messages"
    fi
  fi
  BUILD_ENV=(
    RUSTC="$WEB_DIR/usr/bin/rustc"
    LD_LIBRARY_PATH="$WEB_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    RUSTC_BOOTSTRAP=1
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LLD"
    CARGO_ENCODED_RUSTFLAGS="$(encode_flags "${FLAGS[@]}" "${WEB_FLAGS[@]}")"
  )
  BUILD_ARGS=(-Zbuild-std=std,panic_abort)
  TOOLCHAIN_DESC="Debian $(LD_LIBRARY_PATH=$WEB_LIB "$WEB_DIR/usr/bin/rustc" -V) + build-std"
  case " ${WEB_FLAGS[*]} " in
  *" panic=immediate-abort "*) TOOLCHAIN_DESC+=", panic=immediate-abort" ;;
  esac
  ;;
*) die "KEEL_WASM_TOOLCHAIN must be rustup or rustc-web, not $MODE" ;;
esac
T_TOOLCHAIN=$(($(now) - T_TOOLCHAIN))

# wasm-opt (binaryen): install from Debian when missing; without it the wasm is copied unshrunk.
T_WASMOPT=$(now)
if ! command -v wasm-opt >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  log "installing binaryen (wasm-opt)"
  if ! $SUDO apt-get install -y -qq binaryen >/dev/null 2>&1; then
    apt_update
    $SUDO apt-get install -y -qq binaryen >/dev/null 2>&1 || log "WARNING: could not install binaryen"
  fi
fi
WASM_OPT_ARGS=()
if command -v wasm-opt >/dev/null 2>&1; then
  # -ocimfs 100: inline a function that has a single caller only when it is small. Left at its
  # default (no limit) binaryen merged functions into one with 122 locals, over the 100 locals
  # per function that CosmWasm 2.x accepts (the liquidator's); the size cost is ~0.2%.
  WASM_OPT_ARGS=(-Os --one-caller-inline-max-function-size 100)
  # lower the sign-extension ops (not in the wasm MVP) if this binaryen knows how
  if wasm-opt --help 2>/dev/null | grep -q -- '--signext-lowering'; then
    WASM_OPT_ARGS+=(--signext-lowering)
  fi
fi
T_WASMOPT=$(($(now) - T_WASMOPT))

# ---------------------------------------------------------------------------------------------
# cosmwasm-std without its dead backtrace printer (docs/BUILD.md "Size").
# ---------------------------------------------------------------------------------------------
# On wasm32, cosmwasm-std's `BT::capture` (in every `StdError`) boxes a *disabled*
# `std::backtrace::Backtrace` as a `dyn Display + Debug`. The vtable keeps std's backtrace
# printer and rustc-demangle, ~29 KB per contract, though nothing can ever print a frame there.
# The wasm build patches a copy of cosmwasm-std in which `BT` boxes its own `Stub` instead (what
# it does without std): errors read the same, as a `StdError`'s text never includes the
# backtrace. Native builds and tests use the crate as published. Cargo rewrites Cargo.lock for a
# patched source: it is restored when the build ends, and builds of one checkout take turns (a
# second one would save the rewritten lock). KEEL_WASM_UNPATCHED_STD=1 skips the patch.
mkdir -p "$ROOT/target"
exec 8>"$ROOT/target/.build-wasm.lock"
flock 8
STD_PATCH=()
LOCK_BACKUP=
restore_lock() {
  if [ -n "$LOCK_BACKUP" ] && [ -f "$LOCK_BACKUP" ]; then
    cp "$LOCK_BACKUP" "$ROOT/Cargo.lock"
    rm -f "$LOCK_BACKUP"
  fi
}
trap restore_lock EXIT
if [ -z "${KEEL_WASM_UNPATCHED_STD:-}" ]; then
  std_manifest=$(cargo metadata --format-version 1 --locked 2>/dev/null |
    grep -o '"manifest_path":"[^"]*/cosmwasm-std-[0-9][^"/]*/Cargo.toml"' | head -n 1 |
    sed 's/^"manifest_path":"//; s/"$//')
  if [ -n "$std_manifest" ] && [ -f "$std_manifest" ]; then
    std_src=$(dirname "$std_manifest")
    std_dir=$CACHE/patched/$(basename "$std_src")
    bt_from='return BT(Box::new(std::backtrace::Backtrace::disabled()));'
    bt_to='return BT(Box::new(Stub));'
    if [ ! -f "$std_dir/.keel-patched" ]; then
      rm -rf "$std_dir"
      mkdir -p "$(dirname "$std_dir")"
      cp -R "$std_src" "$std_dir.tmp"
      if grep -qF "$bt_from" "$std_dir.tmp/src/errors/backtrace.rs"; then
        sed -i "s|$(printf '%s' "$bt_from" | sed 's/[][\.*^$|]/\&/g')|$bt_to|" \
          "$std_dir.tmp/src/errors/backtrace.rs"
        touch "$std_dir.tmp/.keel-patched"
        mv "$std_dir.tmp" "$std_dir"
      else
        rm -rf "$std_dir.tmp"
        log "WARNING: $(basename "$std_src") has no disabled-backtrace line to patch: building unpatched"
      fi
    fi
    if [ -f "$std_dir/.keel-patched" ] && grep -qF "$bt_to" "$std_dir/src/errors/backtrace.rs"; then
      LOCK_BACKUP=$(mktemp "$ROOT/.Cargo.lock.XXXXXX")
      cp "$ROOT/Cargo.lock" "$LOCK_BACKUP"
      STD_PATCH=(--config "patch.crates-io.cosmwasm-std.path=\"$std_dir\"")
      TOOLCHAIN_DESC+=", $(basename "$std_src") without its backtrace printer"
    fi
  else
    log "WARNING: cosmwasm-std's sources not found with cargo metadata: building unpatched"
  fi
fi

log "toolchain: $TOOLCHAIN_DESC"
mkdir -p "$ARTIFACTS"
T_BUILD=$(now)
for crate in "${CRATES[@]}"; do
  # One cargo call per crate: building several at once would unify their features (a contract
  # that depends on another with feature "library" would switch off the other's entry points).
  # A contract's own profile settings are `--config` overrides of its cargo call: cargo keeps
  # the dependencies built with other settings apart, so the contracts do not rebuild each other's.
  profile=()
  opt_level=$(keel_metadata "${MANIFEST[$crate]}" wasm-opt-level)
  if [ -n "$opt_level" ]; then
    case "$opt_level" in
    [0-3]) profile+=(--config "profile.release.opt-level=$opt_level") ;;
    s | z) profile+=(--config "profile.release.opt-level=\"$opt_level\"") ;;
    *) die "${MANIFEST[$crate]}: wasm-opt-level must be 0-3, s or z" ;;
    esac
    for package in $(keel_metadata_list "${MANIFEST[$crate]}" wasm-opt3-packages); do
      [[ "$package" =~ ^[A-Za-z0-9_-]+$ ]] || die "${MANIFEST[$crate]}: bad package name $package in wasm-opt3-packages"
      profile+=(--config "profile.release.package.$package.opt-level=3")
    done
    log "building $crate (opt-level $opt_level; 3 for $(keel_metadata_list "${MANIFEST[$crate]}" wasm-opt3-packages | paste -sd, -))"
  else
    log "building $crate"
  fi
  env "${BUILD_ENV[@]}" cargo "${STD_PATCH[@]}" "${profile[@]}" build --quiet --release --lib \
    --target "$WASM_TARGET" --target-dir "$TARGET_DIR" -p "$crate" "${BUILD_ARGS[@]}" ||
    die "cargo build of $crate for $WASM_TARGET failed"
done
T_BUILD=$(($(now) - T_BUILD))
restore_lock

T_OPT=$(now)
for crate in "${CRATES[@]}"; do
  file=${crate//-/_}.wasm
  src=$TARGET_DIR/$WASM_TARGET/release/$file
  [ -f "$src" ] || die "cargo did not produce $src"
  if [ ${#WASM_OPT_ARGS[@]} -gt 0 ]; then
    # skip wasm-opt (the slow part of a warm run) when its input, its flags and its output are
    # those of the last run
    stamp_file=$TARGET_DIR/wasm-opt-stamps/$file
    stamp="$(sha256sum <"$src" | cut -d' ' -f1) $(wasm-opt --version) ${WASM_OPT_ARGS[*]}"
    if [ -f "$ARTIFACTS/$file" ] && [ -f "$stamp_file" ] &&
      [ "$(cat "$stamp_file")" = "$stamp $(sha256sum <"$ARTIFACTS/$file" | cut -d' ' -f1)" ]; then
      continue
    fi
    wasm-opt "${WASM_OPT_ARGS[@]}" "$src" -o "$ARTIFACTS/$file.tmp"
    mv "$ARTIFACTS/$file.tmp" "$ARTIFACTS/$file"
    mkdir -p "$(dirname "$stamp_file")"
    echo "$stamp $(sha256sum <"$ARTIFACTS/$file" | cut -d' ' -f1)" >"$stamp_file"
  else
    cp "$src" "$ARTIFACTS/$file"
  fi
done
T_OPT=$(($(now) - T_OPT))
[ ${#WASM_OPT_ARGS[@]} -gt 0 ] ||
  log "WARNING: wasm-opt not available: artifacts are NOT shrunk (and sign-ext ops not lowered)"

# Drop artifacts of contracts that no longer exist (only when building all of them).
if [ $# -eq 0 ]; then
  for f in "$ARTIFACTS"/*.wasm; do
    [ -e "$f" ] || continue
    keep=
    for c in "${ALL_CRATES[@]}"; do [ "$(basename "$f")" = "${c//-/_}.wasm" ] && keep=1; done
    [ -n "$keep" ] || {
      log "removing stale $(basename "$f")"
      rm -f "$f"
    }
  done
fi

(cd "$ARTIFACTS" && sha256sum -- *.wasm >checksums.txt)

# The largest number of locals in one function (CosmWasm 2.x rejects more than 100), when python3
# is there to read the code section.
max_locals() {
  command -v python3 >/dev/null 2>&1 || return 0
  python3 - "$1" <<'PY' 2>/dev/null || true
import sys
b = open(sys.argv[1], "rb").read()
def leb(i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7F) << s; s += 7
        if x < 0x80: return r, i
i, best = 8, 0
while i < len(b):
    sid = b[i]; size, j = leb(i + 1); end = j + size
    if sid == 10:
        n, j = leb(j)
        for _ in range(n):
            body, k = leb(j); nxt = k + body; groups, k = leb(k); total = 0
            for _ in range(groups):
                c, k = leb(k); k += 1; total += c
            best = max(best, total); j = nxt
    i = end
print(f"max {best} locals/function")
PY
}

echo "[build-wasm] artifacts ($TOOLCHAIN_DESC; wasm-opt ${WASM_OPT_ARGS[*]:-none}):"
for crate in "${CRATES[@]}"; do
  file=${crate//-/_}.wasm
  raw=$(stat -c %s "$TARGET_DIR/$WASM_TARGET/release/$file")
  out=$(stat -c %s "$ARTIFACTS/$file")
  printf '  artifacts/%-24s %8d bytes  (%d KiB; %d KiB before wasm-opt)  %s\n' \
    "$file" "$out" $(((out + 1023) / 1024)) $(((raw + 1023) / 1024)) "$(max_locals "$ARTIFACTS/$file")"
done
echo "[build-wasm] times: toolchain ${T_TOOLCHAIN}s, wasm-opt setup ${T_WASMOPT}s, cargo ${T_BUILD}s, optimize ${T_OPT}s"
