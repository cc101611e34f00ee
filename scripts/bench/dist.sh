#!/usr/bin/env bash
# dlua distribution benchmarks: two nodes on this host, loopback only.
# The same programs as erlang/dist.sh: node b runs dist_server.lua, node a
# runs dist_client.lua joined to b. Prints one "name value unit" line per
# benchmark on stdout; diagnostics on stderr.
# Usage: scripts/bench/dist.sh [N]   (N remote round trips, default 100000;
# the one-way stream sends 10*N messages)
# Builds dlua (unless DLUA names a dlua binary to use) and writes the cookie
# into a temporary directory; nothing is written into the repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
N="${1:-100000}"
TIMEOUT_S="${TIMEOUT_S:-300}"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/dlua-bench-dist.XXXXXX")"
SERVER_PID=""
cleanup() {
  set +e
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ -n "${DLUA:-}" ]; then
  cp "$DLUA" "$TMP/dlua"
else
  go build -o "$TMP/dlua" ./cmd/dlua
fi
COOKIE="$TMP/cookie"
(umask 077; head -c 32 /dev/urandom | base64 > "$COOKIE")

"$TMP/dlua" node --name b --listen 127.0.0.1:0 --cookie-file "$COOKIE" \
  scripts/bench/dist_server.lua 2> "$TMP/server.err" &
SERVER_PID=$!

ADDR=""
for _ in $(seq 100); do
  ADDR="$(sed -n 's/^listening on //p' "$TMP/server.err" | head -n1)"
  [ -n "$ADDR" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ADDR" ]; then
  echo "dist.sh: server node did not start:" >&2
  cat "$TMP/server.err" >&2
  exit 1
fi
echo "# server node b listening on $ADDR" >&2

timeout "$TIMEOUT_S" "$TMP/dlua" run --name a --join "$ADDR" --cookie-file "$COOKIE" \
  scripts/bench/dist_client.lua "$N"
