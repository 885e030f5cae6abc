#!/usr/bin/env bash
# The main job on the embedded default: install, build, then carry out a real cutover on
# this machine. A coordinator and two agents (one per "data center", with different
# labels, over mutual TLS on loopback) move a directory of data from dc-a to dc-b, verify
# every checksum, switch the application's symlink and health-check it, journaling every
# event. Sign-offs and the go/no-go are given automatically (--auto-signoff, a demo flag).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
"$root/tools/build.sh" tminus tminus-agent >/dev/null
tminus="$root/build/tminus"
agent="$root/build/tminus-agent"
runbook="$root/runbooks/local-data-migration.yaml"
demo="$root/build/demo"

# The work area both agents run in: the data at dc-a, an empty dc-b, and the symlink the
# application follows.
rm -rf "$demo"
mkdir -p "$demo/area/dc-a/data/reports" "$demo/area/dc-b"
echo ok > "$demo/area/dc-a/data/health.txt"
for i in $(seq -w 1 40); do
  seq 1 500 | sed "s/^/$i,/" > "$demo/area/dc-a/data/reports/day-$i.csv"
done
ln -s dc-a/data "$demo/area/current"

echo "== tminus validate $(basename "$runbook")"
"$tminus" validate --strict "$runbook"
echo
echo "== tminus plan $(basename "$runbook")"
"$tminus" plan "$runbook"
echo
echo "== tminus certs init (a CA, the coordinator's certificate, one per agent)"
"$tminus" certs init "$demo/certs" --agent agent-dc-a --agent agent-dc-b >/dev/null
echo "certificates in $demo/certs"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
for site in dc-a dc-b; do
  (cd "$demo/area" && exec "$agent" --coordinator "127.0.0.1:$port" \
     --tls-dir "$demo/certs/agents/agent-$site" --label "site=$site") >"$demo/agent-$site.log" 2>&1 &
  pids+=($!)
done
echo "agents agent-dc-a and agent-dc-b started (logs in $demo)"
echo
echo "== tminus run $(basename "$runbook") --journal cutover.db --tls-dir certs --auto-signoff"
"$tminus" run "$runbook" --journal "$demo/cutover.db" --listen "127.0.0.1:$port" \
  --tls-dir "$demo/certs" --auto-signoff
echo
echo "== after the cutover"
echo "current -> $(readlink "$demo/area/current")"
echo "$(find "$demo/area/dc-b/data" -type f | wc -l) files at dc-b, health: $(cat "$demo/area/current/health.txt")"
echo
echo "== tminus audit verify cutover.db"
"$tminus" audit verify "$demo/cutover.db"
