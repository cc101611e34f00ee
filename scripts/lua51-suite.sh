#!/usr/bin/env bash
# Runs the Lua 5.1 test suite file by file under dlua, and under lua5.1
# when it is installed, and prints one table row per file.
#
#   scripts/lua51-suite.sh DIR
#
# DIR is a copy of the suite (for instance _lua5.1-tests of gopher-lua's
# repository); it is not part of this repository. Each file runs from DIR
# as the root process of its own node, with DIR readable and writable.
set -uo pipefail
dir=${1:?usage: scripts/lua51-suite.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)/dlua
(cd "$root" && go build -o "$bin" ./cmd/dlua) || exit 1
cd "$dir"
echo "| file | dlua | lua5.1 | dlua's first error |"
echo "|---|---|---|---|"
for f in *.lua; do
  [ "$f" = all.lua ] && continue
  out=$(timeout 300 "$bin" run --allow-write . "$f" 2>&1); rc=$?
  ref="-"
  if command -v lua5.1 >/dev/null; then
    timeout 300 lua5.1 "$f" >/dev/null 2>&1 && ref=passes || ref=fails
  fi
  case $rc in
    0) res=passes; why="" ;;
    124) res=fails; why="timed out" ;;
    *) res=fails; why=$(printf '%s\n' "$out" | grep -a -m1 'exited:' | sed 's/^dlua: <[^>]*> exited: //' | cut -c1-120) ;;
  esac
  echo "| $f | $res | $ref | $why |"
done
