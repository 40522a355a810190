#!/usr/bin/env bash
# Builds and runs the native tests without Node: the kernel tests (kernel_test.cpp), the encoder
# tests (encoder_test.cpp) and the thread pool stress test.
#   native/test/run.sh host          x86-64: generic vs AVX2 and AVX-512 (whatever this CPU has)
#   native/test/run.sh neon          arm64 cross build, run under qemu-aarch64 (cortex-a76): kernels
#                                    with and without the dot-product extension, encoders
#   native/test/run.sh all           both
#   native/test/run.sh bench [args]  x86-64 kernel throughput (kernel_bench.cpp, -O3 as the addon)
# Extra arguments after the mode go to the test binaries (e.g. --require avx2,avxvnni,avx512, --quick).
# Sources and flags follow tools/sources.cjs (files under x86/ and arm/ folders by instruction set;
# the encoders in src/codecs/ with -ffp-contract=off).
# Exit status 3 means the cross toolchain or qemu is missing (the caller decides whether to skip).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
native="$(cd "$here/.." && pwd)"
out="$here/build"
mode="${1:-host}"
shift || true
mkdir -p "$out"
CXXFLAGS_COMMON=(-O2 -std=c++17 -Wall -Wextra -Wno-unused-parameter -I"$native/src")
AVX2_FLAGS=(-mavx2 -mfma -mf16c -mpclmul)
AVXVNNI_FLAGS=(-mavx2 -mfma -mf16c -mpclmul -mavxvnni)
AVX512_FLAGS=(-mavx2 -mfma -mf16c -mpclmul -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vbmi -mavx512vnni)

# list "<sources.cjs call>": one path (relative to native/) per line
list() { (cd "$native" && node -e "const s=require('./tools/sources.cjs'); console.log(s.$1.join('\n'))"); }
area_flags() { (cd "$native" && node -e "console.log(require('./tools/sources.cjs').flags('$1').join(' '))"); }
# Files that run without Node (the *_addon.cpp / addon.cpp glue and the engine's model code are left out).
standalone() { grep -E '^src/(kernels|codecs)/' | grep -v '_addon\.cpp$' || true; }

# compile <compiler> <object prefix> <area> <extra flags...> -- <files...>: appends to the array named by $OBJS
compile() {
  local cxx="$1" prefix="$2" area="$3"
  shift 3
  local extra=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do extra+=("$1"); shift; done
  shift
  local aflags
  read -r -a aflags <<<"$(area_flags "$area")"
  local f
  for f in "$@"; do
    local o="$out/${prefix}_$(basename "${f%.cpp}").o"
    "$cxx" "${CXXFLAGS_COMMON[@]}" "${extra[@]}" "${aflags[@]}" -c "$native/$f" -o "$o"
    eval "$OBJS+=(\"\$o\")"
  done
}

run_host() {
  local arch
  arch="$(uname -m)"
  if [[ "$arch" != "x86_64" ]]; then
    echo "host mode builds x86-64 kernels; this machine is $arch" >&2
    return 1
  fi
  local cxx="${CXX:-g++}" def=-DQINS_HAVE_X86_KERNELS=1
  local kobjs=() cobjs=()

  OBJS=kobjs
  compile "$cxx" host engine "$def" -- $(list "baseline('engine')" | standalone)
  compile "$cxx" host engine "$def" "${AVX2_FLAGS[@]}" -- $(list "x86('avx2', 'engine')")
  compile "$cxx" host engine "$def" "${AVXVNNI_FLAGS[@]}" -- $(list "x86('avxvnni', 'engine')")
  compile "$cxx" host engine "$def" "${AVX512_FLAGS[@]}" -- $(list "x86('avx512', 'engine')")
  if [[ "${QINS_BENCH:-0}" == 1 ]]; then
    "$cxx" "${CXXFLAGS_COMMON[@]}" "$def" -pthread "$here/kernel_bench.cpp" "$native/src/model/thread_pool.cpp" "${kobjs[@]}" \
      -o "$out/kernel_bench_host"
    "$out/kernel_bench_host" "$@"
    return
  fi
  OBJS=cobjs
  compile "$cxx" host codecs "$def" -- $(list "baseline('codecs')" | standalone)
  compile "$cxx" host codecs "$def" "${AVX2_FLAGS[@]}" -- $(list "x86('avx2', 'codecs')")
  compile "$cxx" host codecs "$def" "${AVX512_FLAGS[@]}" -- $(list "x86('avx512', 'codecs')")
  "$cxx" "${CXXFLAGS_COMMON[@]}" "$def" "$here/kernel_test.cpp" "${kobjs[@]}" -o "$out/kernel_test_host"
  echo "== x86-64 kernels"
  "$out/kernel_test_host" "$@"
  "$cxx" "${CXXFLAGS_COMMON[@]}" "$def" -pthread "$here/encoder_test.cpp" "${cobjs[@]}" "${kobjs[@]}" -o "$out/encoder_test_host"
  echo "== x86-64 encoders"
  "$out/encoder_test_host" "$@"
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
  local def=-DQINS_HAVE_NEON_KERNELS=1 march
  for march in armv8.2-a+fp16 armv8.2-a+fp16+dotprod; do
    local tag="neon_${march//[+.-]/_}" kobjs=() cobjs=()
    OBJS=kobjs
    compile "$cxx" "$tag" engine "$def" -march="$march" -- $(list "baseline('engine')" | standalone) $(list "arm('engine')")
    local bin="$out/kernel_test_${tag}"
    "$cxx" "${CXXFLAGS_COMMON[@]}" -static -march="$march" "$def" "$here/kernel_test.cpp" "${kobjs[@]}" -o "$bin"
    echo "== arm64 NEON kernels (-march=$march, qemu-aarch64 -cpu cortex-a76)"
    qemu-aarch64 -cpu cortex-a76 "$bin" "$@"
    if [[ "$march" == armv8.2-a+fp16 ]]; then  # the encoders use no dot products
      OBJS=cobjs
      compile "$cxx" "$tag" codecs "$def" -march="$march" -- $(list "baseline('codecs')" | standalone) $(list "arm('codecs')")
      bin="$out/encoder_test_${tag}"
      "$cxx" "${CXXFLAGS_COMMON[@]}" -static -pthread -march="$march" "$def" "$here/encoder_test.cpp" "${cobjs[@]}" "${kobjs[@]}" -o "$bin"
      echo "== arm64 NEON encoders (-march=$march, qemu-aarch64 -cpu cortex-a76)"
      qemu-aarch64 -cpu cortex-a76 "$bin" "$@"
    fi
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
    # QINS_BENCH_DEFS: extra -D flags for experiments (e.g. -DQINS_PREFETCH=8192)
    read -r -a bench_defs <<<"${QINS_BENCH_DEFS:-}"
    CXXFLAGS_COMMON+=("${bench_defs[@]}")
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
