# shellcheck shell=bash
# npm_deps: make sure ts/node_modules matches ts/package-lock.json (npm ci when it is missing or
# older than the lock file), with a clear error when Node or npm is missing or too old.
# Sourced by scripts/client.sh, scripts/deploy.sh and scripts/test.sh.
npm_deps() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  command -v node >/dev/null 2>&1 || {
    echo "[npm] ERROR: node not found: Keel's TypeScript tools need Node 20.19 or later (with npm)" >&2
    return 1
  }
  command -v npm >/dev/null 2>&1 || {
    echo "[npm] ERROR: npm not found (it comes with Node)" >&2
    return 1
  }
  # require(esm) and the node:test runner of Node 20.19+
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
    echo "[npm] ERROR: Node $(node -v) is too old: Keel's TypeScript tools need 20.19 or later" >&2
    return 1
  }
  local marker=$root/ts/node_modules/.package-lock.json
  if [ ! -f "$marker" ] || [ "$root/ts/package-lock.json" -nt "$marker" ]; then
    echo "[npm] installing ts/node_modules (npm ci)" >&2
    (cd "$root/ts" && npm ci --no-audit --no-fund --loglevel=error) >&2 || {
      echo "[npm] ERROR: npm ci in ts/ failed" >&2
      return 1
    }
  fi
}
