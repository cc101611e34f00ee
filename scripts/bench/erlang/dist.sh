#!/usr/bin/env bash
# Erlang/OTP reference benchmarks for distribution: two nodes on this host,
# loopback only (epmd, distribution listener and connections on 127.0.0.1).
# Prints one "name value unit" line per benchmark on stdout; diagnostics on stderr.
#
# Starts its own epmd on a non-default port (EPMD_PORT, default 4391) so an
# already-running system epmd is never used or killed; stops it at the end.
# Compiles into a temporary directory; nothing is written into the repository.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCHEDULERS="${SCHEDULERS:-2}"
EPMD_PORT="${EPMD_PORT:-4391}"
DIST_PORT_MIN="${DIST_PORT_MIN:-47001}"
DIST_PORT_MAX="${DIST_PORT_MAX:-47010}"
COOKIE="${COOKIE:-dlua_bench_cookie}"
TIMEOUT_S="${TIMEOUT_S:-300}"

export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT="$EPMD_PORT"

BUILD="$(mktemp -d "${TMPDIR:-/tmp}/dlua-erlbench-dist.XXXXXX")"
EPMD_PID=""
SERVER_PID=""
cleanup() {
  set +e
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$EPMD_PID" ] && kill -0 "$EPMD_PID" 2>/dev/null; then
    kill "$EPMD_PID"; wait "$EPMD_PID" 2>/dev/null
  fi
  rm -rf "$BUILD"
}
trap cleanup EXIT

erlc -o "$BUILD" "$HERE/bench.erl"
cd "$BUILD"   # any crash dump lands in the temp dir, not the repo

if epmd -port "$EPMD_PORT" -names >/dev/null 2>&1; then
  echo "dist.sh: something already answers as epmd on port $EPMD_PORT; set EPMD_PORT" >&2
  exit 1
fi
# Foreground epmd as a background job, so we know its pid and can stop it.
epmd -address 127.0.0.1 -port "$EPMD_PORT" &
EPMD_PID=$!
for _ in $(seq 50); do
  epmd -port "$EPMD_PORT" -names >/dev/null 2>&1 && break
  sleep 0.1
done

COMMON=(-noshell +S "$SCHEDULERS" -pa "$BUILD" -start_epmd false
        -setcookie "$COOKIE"
        -kernel inet_dist_use_interface '{127,0,0,1}'
        -kernel inet_dist_listen_min "$DIST_PORT_MIN"
        -kernel inet_dist_listen_max "$DIST_PORT_MAX")

# Server node: halts by itself when the client node goes away (or after 300 s).
erl -sname bench_b@localhost "${COMMON[@]}" -s bench dist_server &
SERVER_PID=$!

timeout "$TIMEOUT_S" erl -sname bench_a@localhost "${COMMON[@]}" \
  -s bench dist_client bench_b@localhost -s init stop

wait "$SERVER_PID" || true
SERVER_PID=""
