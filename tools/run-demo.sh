#!/usr/bin/env bash
# The main job on the embedded default: install, build, then check, plan and rehearse the
# example data-center-to-cloud migration wave, keeping the rehearsal's journal and
# verifying it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
"$root/tools/build.sh" tminus >/dev/null
tminus="$root/build/tminus"
runbook="$root/runbooks/dc-to-cloud-wave.yaml"
journal="$root/build/demo-rehearsal.db"

echo "== tminus validate $(basename "$runbook")"
"$tminus" validate --strict "$runbook"
echo
echo "== tminus plan $(basename "$runbook")"
"$tminus" plan "$runbook"
echo
echo "== tminus simulate $(basename "$runbook") --journal $(basename "$journal")"
rm -f "$journal" "$journal-wal" "$journal-shm"
"$tminus" simulate "$runbook" --journal "$journal"
echo
echo "== tminus audit verify $(basename "$journal")"
"$tminus" audit verify "$journal"
