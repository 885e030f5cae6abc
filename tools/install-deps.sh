#!/usr/bin/env bash
# Installs everything tminus needs to build and test, from Debian 12 packages.
# Idempotent: when every package is present it returns at once.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  libboost-dev libssh-dev libyaml-cpp-dev libgrpc++-dev libprotobuf-dev protobuf-compiler
  protobuf-compiler-grpc libsqlite3-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev openssh-server openssh-client sqlite3
  python3 python3-jsonschema python3-yaml python3-grpcio python3-protobuf
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
