#!/usr/bin/env bash
# Runs dlua's local benchmarks and, if Erlang/OTP is installed, the same
# programs in Erlang, one after the other in one sitting, and prints the
# figures side by side. Usage: scripts/bench/run.sh [ROUNDS] [dist]
# With "dist", each round also runs the two-node distribution benchmarks
# (scripts/bench/dist.sh, then erlang/dist.sh) on loopback.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
dist="${2:-}"
bin="$(mktemp -d)/dlua"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/dlua
for r in $(seq "$rounds"); do
  echo "== round $r"
  "$bin" run scripts/bench/spawn.lua 200000
  "$bin" run scripts/bench/pingpong.lua 1000000
  "$bin" run scripts/bench/ring.lua 1000 3000000
  if command -v erl >/dev/null; then
    scripts/bench/erlang/run.sh spawn spawn_blocked pingpong ring 2>/dev/null | sed 's/^/erlang /'
  fi
  if [ "$dist" = dist ]; then
    scripts/bench/dist.sh 2>/dev/null
    if command -v erl >/dev/null; then
      scripts/bench/erlang/dist.sh 2>/dev/null | sed 's/^/erlang /'
    fi
  fi
done
echo "== idle memory (Go benchmark, 100k processes blocked in receive)"
go test -run '^$' -bench 'IdleMemory' -benchtime 1x ./luahost | grep Benchmark
if command -v erl >/dev/null; then
  scripts/bench/erlang/run.sh idle_mem 2>/dev/null | sed 's/^/erlang /'
fi
