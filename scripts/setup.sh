#!/usr/bin/env bash
# One-time setup on a fresh machine: system packages the tests need, npm dependencies (no binary
# downloads), and a full build (native addon + app bundles).
set -euo pipefail
cd "$(dirname "$0")/.."

# Never download binaries during install: Electron's binary and onnxruntime-node's CUDA parts are
# not needed (the repo's .npmrc/package.json say so too; these are belt and braces).
export ELECTRON_SKIP_BINARY_DOWNLOAD=1 ONNXRUNTIME_NODE_INSTALL=skip npm_config_build_from_source=better-sqlite3
# Build native code against the local Node headers when the distribution ships them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

# System packages (Debian/Ubuntu): Chromium for the end-to-end tests, the aarch64 cross compiler and
# qemu for the NEON kernel tests, strace for the offline-guarantee test. Skipped when present or when apt is not available (e.g. macOS).
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v strace >/dev/null || need+=(strace)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

npm ci
npm run build

# The llama.cpp peer (node-llama-cpp, CPU prebuilt only) in .bench/peer for the benchmarks and the
# GGUF export tests. Best effort on a developer machine; under CI a failure fails the setup.
if ! npm run --silent peer:install; then
  if [ "${CI:-}" = "true" ]; then echo "setup: the llama.cpp peer could not be installed" >&2; exit 1; fi
  echo "setup: continuing without the llama.cpp peer (its tests will be skipped; retry with npm run peer:install)" >&2
fi
