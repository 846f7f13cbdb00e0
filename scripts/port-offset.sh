# shellcheck shell=bash
# Sourced by the scripts that start a test chain of their own (e2e.sh, dashboard-test.sh), which
# define `log`.

# Prints the first port offset, from $1 in steps of 100 (20 tries), at which none of the chain's
# four ports (RPC 26657, P2P 26656, gRPC 9090, REST 1317, each plus the offset) is in use on
# loopback; fails when there is none.
free_port_offset() {
  local offset=$1 busy base
  for _ in $(seq 1 20); do
    busy=
    for base in 26657 26656 9090 1317; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((base + offset))") 2>/dev/null; then
        busy=$((base + offset))
      fi
    done
    if [ -z "$busy" ]; then
      echo "$offset"
      return 0
    fi
    log "port $busy is in use: trying port offset $((offset + 100))"
    offset=$((offset + 100))
  done
  log "no free ports found (last offset tried: $offset)"
  return 1
}
