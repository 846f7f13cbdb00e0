#!/usr/bin/env bash
# THE test command of Keel (the README and .ci/run call it). Steps, in order, stopping at the
# first failure:
#   fmt         cargo fmt --all -- --check
#   clippy      cargo clippy --workspace --all-targets -- -D warnings
#   test        cargo test --workspace
#   schema      scripts/schema.sh --check
#   npm         install ts/node_modules (npm ci) when missing or older than ts/package-lock.json
#   client      scripts/client.sh --check (the generated TypeScript client is not stale)
#   tsc         the TypeScript packages (ts/client, ts/deploy, ts/ops, ts/e2e, ts/dashboard)
#               compiled with --strict
#   ops-unit    the operators' services' unit tests (ts/ops/dist/tests/unit: no chain)
#   dashboard   the dashboard's unit tests (its health math against keel-math's vectors...)
#   build-wasm  scripts/build-wasm.sh
#   check-wasm  scripts/check-wasm.sh (cosmwasm-check, installed in the background meanwhile
#               when missing: the install-check step is the wait for it)
#   e2e         scripts/e2e.sh: a fresh wasmd chain in a temporary folder (own chain id and
#               ports), the sample market deployed, the TypeScript e2e tests and the services'
#               e2e tests (keel-ops feeder, keeper, liquidator), the chain stopped.
#               wasmd is built in the background from the start when it is not cached (the
#               wasmd step is the wait for it).
#   browser     scripts/dashboard-test.sh: the dashboard in headless Chromium (Debian's package,
#               installed with apt-get when missing) against another fresh chain.
# and prints the wall time of each step at the end.
#
# Usage: scripts/test.sh [--no-wasm]     (--no-wasm: skip build-wasm, check-wasm and the chain
#                                          (wasmd, e2e, browser), for quick loops)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

WASM=1
for arg in "$@"; do
  case "$arg" in
  --no-wasm) WASM= ;;
  *)
    echo "usage: $0 [--no-wasm]" >&2
    exit 2
    ;;
  esac
done

STEP_NAMES=()
STEP_TIMES=()
STEP_STATUS=()
T_ALL=$(date +%s)
TEST_LOG=$(mktemp "${TMPDIR:-/tmp}/keel-test.XXXXXX")
INSTALL_LOG=$(mktemp "${TMPDIR:-/tmp}/keel-cosmwasm-check.XXXXXX")
INSTALL_PID=
WASMD_LOG=$(mktemp "${TMPDIR:-/tmp}/keel-wasmd-build.XXXXXX")
E2E_LOG=$(mktemp "${TMPDIR:-/tmp}/keel-e2e.XXXXXX")
OPS_LOG=$(mktemp "${TMPDIR:-/tmp}/keel-ops-unit.XXXXXX")
DASHBOARD_LOG=$(mktemp "${TMPDIR:-/tmp}/keel-dashboard.XXXXXX")
WASMD_PID=
cleanup() {
  rm -f "$TEST_LOG" "$INSTALL_LOG" "$WASMD_LOG" "$E2E_LOG" "$OPS_LOG" "$DASHBOARD_LOG"
  # the background installs run in their own process groups (setsid): stop all of them
  [ -z "$INSTALL_PID" ] || kill -- "-$INSTALL_PID" 2>/dev/null || true
  [ -z "$WASMD_PID" ] || kill -- "-$WASMD_PID" 2>/dev/null || true
}
trap cleanup EXIT

summary() {
  echo
  echo "==> step times (wall clock)"
  local i
  for i in "${!STEP_NAMES[@]}"; do
    printf '    %-14s %6ss  %s\n' "${STEP_NAMES[$i]}" "${STEP_TIMES[$i]}" "${STEP_STATUS[$i]}"
  done
  printf '    %-14s %6ss\n' total "$(($(date +%s) - T_ALL))"
}

# step NAME COMMAND...: run one step, time it, stop everything if it fails.
step() {
  local name=$1 t0 rc
  shift
  echo
  echo "==> [$name] $*"
  t0=$(date +%s)
  set +e
  "$@"
  rc=$?
  set -e
  STEP_NAMES+=("$name")
  STEP_TIMES+=("$(($(date +%s) - t0))")
  if [ $rc -ne 0 ]; then
    STEP_STATUS+=("FAILED (exit $rc)")
    summary
    echo
    echo "FAILED: step '$name' ($*) exited with $rc" >&2
    exit $rc
  fi
  STEP_STATUS+=(ok)
}

need_component() {
  if command -v rustup >/dev/null 2>&1 &&
    ! rustup component list --installed 2>/dev/null | grep -q "^$1"; then
    echo "==> rust component $1 missing: rustup component add $1" >&2
    rustup component add "$1" || {
      echo "FAILED: the $1 component is not installed and cannot be added" >&2
      exit 1
    }
  fi
}
need_component rustfmt
need_component clippy

# cargo test's output goes through a file as well, to total its "test result:" lines at the end.
cargo_test() {
  set -o pipefail
  cargo test --workspace 2>&1 | tee "$TEST_LOG"
}

# cosmwasm-check takes minutes to install the first time (it builds wasmer): when it is missing,
# install it in the background from the start, on the core that the single-threaded steps (the
# wasm builds' LTO) leave idle, and wait for it before check-wasm.
if [ -n "$WASM" ]; then
  setsid scripts/check-wasm.sh --install-only </dev/null >"$INSTALL_LOG" 2>&1 &
  INSTALL_PID=$!
fi
wait_install() {
  local rc=0
  wait "$INSTALL_PID" || rc=$?
  INSTALL_PID=
  cat "$INSTALL_LOG"
  return $rc
}

# wasmd for the e2e chain: built once into ~/.cache/keel (9-14 minutes cold on 2 cores, mostly
# one Go build); from the start in the background like cosmwasm-check (`build` returns at once
# when the cached binary is there).
if [ -n "$WASM" ]; then
  setsid scripts/localnet.sh build </dev/null >"$WASMD_LOG" 2>&1 &
  WASMD_PID=$!
fi
wait_wasmd() {
  local rc=0
  wait "$WASMD_PID" || rc=$?
  WASMD_PID=
  cat "$WASMD_LOG"
  return $rc
}

# shellcheck source=scripts/npm-deps.sh
source "$ROOT/scripts/npm-deps.sh"
# the e2e output goes through a file as well, for the closing totals (node's "# pass N" lines)
e2e() {
  set -o pipefail
  scripts/e2e.sh 2>&1 | tee "$E2E_LOG"
}
tsc_strict() {
  (cd ts && npx --no-install tsc -b --verbose client deploy ops e2e dashboard) &&
    echo "tsc: ts/client, ts/deploy, ts/ops, ts/e2e and ts/dashboard compile with --strict"
}
# the output goes through a file as well, for the closing totals
ops_unit() {
  set -o pipefail
  node --test ts/ops/dist/tests/unit/ 2>&1 | tee "$OPS_LOG"
}
# the dashboard's tests likewise
dashboard_unit() {
  set -o pipefail
  node --test ts/dashboard/dist-node/test/lib.test.js 2>&1 | tee -a "$DASHBOARD_LOG"
}
browser() {
  set -o pipefail
  scripts/dashboard-test.sh 2>&1 | tee -a "$DASHBOARD_LOG"
}

step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step test cargo_test
step schema scripts/schema.sh --check
step npm npm_deps
step client scripts/client.sh --check
step tsc tsc_strict
step ops-unit ops_unit
step dashboard dashboard_unit
if [ -n "$WASM" ]; then
  step build-wasm scripts/build-wasm.sh
  step install-check wait_install
  step check-wasm scripts/check-wasm.sh
  step wasmd wait_wasmd
  step e2e e2e
  step browser browser
fi

summary
# One closing line with the totals of every cargo test binary, of the e2e tests and of the
# dashboard's (node's test runner closes with "# pass N", "# fail N", "# skipped N").
awk '/^test result:/ {
       for (i = 1; i <= NF; i++) {
         if ($(i) ~ /^passed;?$/)  p += $(i - 1)
         if ($(i) ~ /^failed;?$/)  f += $(i - 1)
         if ($(i) ~ /^ignored;?$/) s += $(i - 1)
       }
     }
     /^# pass [0-9]+$/ { p += $3 }
     /^# fail [0-9]+$/ { f += $3 }
     /^# skipped [0-9]+$/ { s += $3 }
     END { printf "\ntests: %d passed, %d failed, %d skipped\n", p, f, s }' "$TEST_LOG" "$OPS_LOG" "$E2E_LOG" "$DASHBOARD_LOG"
