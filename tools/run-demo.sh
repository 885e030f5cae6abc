#!/usr/bin/env bash
# The main job on the embedded default: install, build, then check and plan the example
# data-center-to-cloud migration wave.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
"$root/tools/build.sh" tminus >/dev/null
tminus="$root/build/tminus"
runbook="$root/runbooks/dc-to-cloud-wave.yaml"

echo "== tminus validate $(basename "$runbook")"
"$tminus" validate --strict "$runbook"
echo
echo "== tminus plan $(basename "$runbook")"
"$tminus" plan "$runbook"
