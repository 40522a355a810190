#!/usr/bin/env bash
# Builds and runs the kernel tests (kernel_test.cpp) without Node.
#   native/test/run.sh host          x86-64: generic vs AVX2 and AVX-512 (whatever this CPU has)
#   native/test/run.sh neon          arm64 cross build, run under qemu-aarch64 (cortex-a76), with
#                                    and without the dot-product extension
#   native/test/run.sh all           both
#   native/test/run.sh bench [args]  x86-64 kernel throughput (kernel_bench.cpp, -O3 as the addon)
# Extra arguments after the mode go to the test binary (e.g. --require avx2,avx512, --quick).
# Exit status 3 means the cross toolchain or qemu is missing (the caller decides whether to skip).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
native="$(cd "$here/.." && pwd)"
out="$here/build"
mode="${1:-host}"
shift || true
mkdir -p "$out"
CXXFLAGS_COMMON=(-O2 -std=c++17 -Wall -Wextra -Wno-unused-parameter -I"$native/src")

list() { (cd "$native" && node -e "const s=require('./tools/sources.cjs'); console.log(s.$1.map(f=>f).join('\n'))"); }

kernel_baseline() { (cd "$native" && ls src/kernels/*.cpp src/kernels/generic/*.cpp); }

run_host() {
  local arch
  arch="$(uname -m)"
  if [[ "$arch" != "x86_64" ]]; then
    echo "host mode builds x86-64 kernels; this machine is $arch" >&2
    return 1
  fi
  local objs=()
  local cxx="${CXX:-g++}"
  for f in $(kernel_baseline); do
    local o="$out/host_$(basename "${f%.cpp}").o"
    "$cxx" "${CXXFLAGS_COMMON[@]}" -DQINS_HAVE_X86_KERNELS=1 -c "$native/$f" -o "$o"
    objs+=("$o")
  done
  for f in "$native"/src/kernels/x86/*_avx2.cpp; do
    local o="$out/host_$(basename "${f%.cpp}").o"
    "$cxx" "${CXXFLAGS_COMMON[@]}" -DQINS_HAVE_X86_KERNELS=1 -mavx2 -mfma -mf16c -c "$f" -o "$o"
    objs+=("$o")
  done
  for f in "$native"/src/kernels/x86/*_avx512.cpp; do
    local o="$out/host_$(basename "${f%.cpp}").o"
    "$cxx" "${CXXFLAGS_COMMON[@]}" -DQINS_HAVE_X86_KERNELS=1 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl \
      -mavx512dq -mavx512vbmi -mavx512vnni -c "$f" -o "$o"
    objs+=("$o")
  done
  if [[ "${QINS_BENCH:-0}" == 1 ]]; then
    "$cxx" "${CXXFLAGS_COMMON[@]}" -DQINS_HAVE_X86_KERNELS=1 -pthread "$here/kernel_bench.cpp" "$native/src/model/thread_pool.cpp" "${objs[@]}" \
      -o "$out/kernel_bench_host"
    "$out/kernel_bench_host" "$@"
    return
  fi
  "$cxx" "${CXXFLAGS_COMMON[@]}" -DQINS_HAVE_X86_KERNELS=1 "$here/kernel_test.cpp" "${objs[@]}" -o "$out/kernel_test_host"
  echo "== x86-64 kernels"
  "$out/kernel_test_host" "$@"
  "$cxx" "${CXXFLAGS_COMMON[@]}" -pthread "$here/thread_pool_test.cpp" "$native/src/model/thread_pool.cpp" -o "$out/thread_pool_test_host"
  echo "== thread pool"
  "$out/thread_pool_test_host"
}

run_neon() {
  local cxx="${AARCH64_CXX:-aarch64-linux-gnu-g++}"
  if ! command -v "$cxx" >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
    echo "SKIP: $cxx or qemu-aarch64 not installed (apt-get install g++-aarch64-linux-gnu qemu-user)" >&2
    return 3
  fi
  local srcs=()
  for f in $(kernel_baseline) $(cd "$native" && ls src/kernels/arm/*.cpp); do srcs+=("$native/$f"); done
  local march
  for march in armv8.2-a+fp16 armv8.2-a+fp16+dotprod; do
    local bin="$out/kernel_test_neon_${march//[+.]/_}"
    "$cxx" "${CXXFLAGS_COMMON[@]}" -static -march="$march" -DQINS_HAVE_NEON_KERNELS=1 "${srcs[@]}" "$here/kernel_test.cpp" -o "$bin"
    echo "== arm64 NEON kernels (-march=$march, qemu-aarch64 -cpu cortex-a76)"
    qemu-aarch64 -cpu cortex-a76 "$bin" "$@"
  done
  "$cxx" "${CXXFLAGS_COMMON[@]}" -static -pthread "$here/thread_pool_test.cpp" "$native/src/model/thread_pool.cpp" -o "$out/thread_pool_test_neon"
  echo "== thread pool (arm64, qemu-aarch64)"
  qemu-aarch64 -cpu cortex-a76 "$out/thread_pool_test_neon" --loops 20000
}

case "$mode" in
  host) run_host "$@" ;;
  neon) run_neon "$@" ;;
  bench)
    CXXFLAGS_COMMON[0]=-O3
    QINS_BENCH=1 run_host "$@"
    ;;
  all)
    run_host "$@"
    run_neon "$@"
    ;;
  *)
    echo "usage: $0 host|neon|all|bench [args]" >&2
    exit 2
    ;;
esac
