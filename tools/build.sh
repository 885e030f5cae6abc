#!/usr/bin/env bash
# Configures and builds tminus into build/ (or $TMINUS_BUILD_DIR). Extra arguments are
# ninja targets; none builds everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TMINUS_BUILD_DIR:-$root/build}
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" -j"$(nproc)" "$@"
