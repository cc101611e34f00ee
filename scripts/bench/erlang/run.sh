#!/usr/bin/env bash
# Erlang/OTP reference benchmarks (local, single node).
# Usage: scripts/bench/erlang/run.sh [all|spawn|spawn_blocked|idle_mem|pingpong|ring ...]
# Prints one "name value unit" line per benchmark on stdout; diagnostics on stderr.
# Compiles into a temporary directory; nothing is written into the repository.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCHEDULERS="${SCHEDULERS:-2}"
BUILD="$(mktemp -d "${TMPDIR:-/tmp}/dlua-erlbench.XXXXXX")"
trap 'rm -rf "$BUILD"' EXIT
erlc -o "$BUILD" "$HERE/bench.erl"
# Run from the build dir so a crash dump (if any) does not land in the repo.
cd "$BUILD"
erl -noshell +S "$SCHEDULERS" -pa "$BUILD" -s bench main "${@:-all}" -s init stop
