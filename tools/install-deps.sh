#!/usr/bin/env bash
# Installs everything tminus needs to build and run, from Debian 12 packages; with --tests,
# also what the test suite needs: Chromium, Node.js and the one npm package the dashboard's
# browser test drives Chromium with (playwright-core, into .cache/node).
# Idempotent: when everything is present it returns at once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
playwright_version=1.65.1

packages=(
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  libboost-dev libssh-dev libyaml-cpp-dev libgrpc++-dev libprotobuf-dev protobuf-compiler
  protobuf-compiler-grpc libsqlite3-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev openssh-server openssh-client sqlite3
  python3 python3-jsonschema python3-yaml python3-grpcio python3-protobuf
)
tests=false
if [[ "${1:-}" == "--tests" ]]; then
  tests=true
  packages+=(chromium)
  # Node.js from Debian unless a node with npm is already there.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_dir="$root/.cache/node"
if $tests && ! grep -qs "\"version\": \"$playwright_version\"" "$node_dir/node_modules/playwright-core/package.json"; then
  echo "install-deps: installing playwright-core $playwright_version from npm into .cache/node"
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error --no-save \
    "playwright-core@$playwright_version" >/dev/null
fi
