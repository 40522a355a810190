// Run-time choice of the instruction set from the CPU's features (cpuid + xgetbv on x86; NEON is
// the arm64 baseline), for the kernels and the encoders alike.
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace qins {
namespace {

#if defined(QINS_HAVE_X86_KERNELS)
struct X86Features {
  bool avx2 = false, avxvnni = false, avx512 = false;
};

void cpuid(int leaf, int sub, unsigned r[4]) {
#if defined(_MSC_VER)
  int v[4];
  __cpuidex(v, leaf, sub);
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(v[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}

X86Features detect() {
  X86Features f;
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  if (max_leaf < 7) return f;
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1, fma = (r[2] >> 12) & 1, f16c = (r[2] >> 29) & 1, pclmul = (r[2] >> 1) & 1;
  if (!osxsave) return f;
  const unsigned long long xcr0 = xgetbv0();
  const bool ymm_os = (xcr0 & 0x6) == 0x6;
  const bool zmm_os = (xcr0 & 0xe6) == 0xe6;
  cpuid(7, 0, r);
  const bool avx2 = (r[1] >> 5) & 1, bmi2 = (r[1] >> 8) & 1;
  const bool avx512f = (r[1] >> 16) & 1, avx512dq = (r[1] >> 17) & 1, avx512bw = (r[1] >> 30) & 1,
             avx512vl = (r[1] >> 31) & 1;
  const bool vbmi = (r[2] >> 1) & 1, vnni = (r[2] >> 11) & 1;
  const unsigned max_sub7 = r[0];
  bool avx_vnni = false;  // the VEX-encoded 256-bit vpdpbusd / vpdpwssd (CPUID.(7,1):EAX bit 4)
  if (max_sub7 >= 1) {
    cpuid(7, 1, r);
    avx_vnni = (r[0] >> 4) & 1;
  }
  f.avx2 = ymm_os && avx2 && fma && f16c && bmi2 && pclmul;  // PCLMULQDQ: the encoders' CRC (every AVX2 CPU has it)
  f.avxvnni = f.avx2 && avx_vnni;
  f.avx512 = f.avx2 && zmm_os && avx512f && avx512dq && avx512bw && avx512vl && vbmi && vnni;
  return f;
}

const X86Features& features() {
  static const X86Features f = detect();
  return f;
}
#endif

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::AvxVnni: return "avxvnni";
    case Isa::Avx512: return "avx512";
    case Isa::Neon: return "neon";
  }
  return "?";
}

bool parse_isa(const char* name, Isa* out) {
  for (Isa i : kAllIsas) {
    if (std::strcmp(name, isa_name(i)) == 0) {
      *out = i;
      return true;
    }
  }
  return false;
}

bool isa_available(Isa isa) {
  switch (isa) {
    case Isa::Generic: return true;
#if defined(QINS_HAVE_X86_KERNELS)
    case Isa::Avx2: return features().avx2;
    case Isa::AvxVnni: return features().avxvnni;
    case Isa::Avx512: return features().avx512;
#endif
#if defined(QINS_HAVE_NEON_KERNELS)
    case Isa::Neon: return true;
#endif
    default: return false;
  }
}

Isa best_isa() {
  if (isa_available(Isa::Avx512)) return Isa::Avx512;
  if (isa_available(Isa::AvxVnni)) return Isa::AvxVnni;
  if (isa_available(Isa::Avx2)) return Isa::Avx2;
  if (isa_available(Isa::Neon)) return Isa::Neon;
  return Isa::Generic;
}

bool choose_isa(const std::string& requested, Isa* out, std::string* err) {
  std::string name = requested.empty() ? "auto" : requested;
  if (name == "auto") {
    const char* env = std::getenv("QINS_KERNELS");
    if (env && *env && std::strcmp(env, "auto") != 0) name = env;
  }
  if (name == "auto") {
    *out = best_isa();
    return true;
  }
  Isa isa;
  if (!parse_isa(name.c_str(), &isa)) {
    *err = "unknown kernel set '" + name + "' (expected auto, generic, avx2, avxvnni, avx512 or neon)";
    return false;
  }
  if (!isa_available(isa)) {
    std::string have;
    for (Isa i : kAllIsas)
      if (isa_available(i)) have += std::string(have.empty() ? "" : ", ") + isa_name(i);
    *err = "kernel set '" + name + "' is not available on this CPU or build (available: " + have + ")";
    return false;
  }
  *out = isa;
  return true;
}

const KernelSet& kernels(Isa isa) {
  switch (isa) {
#if defined(QINS_HAVE_X86_KERNELS)
    case Isa::Avx2: return avx2_kernels();
    case Isa::AvxVnni: return avxvnni_kernels();
    case Isa::Avx512: return avx512_kernels();
#endif
#if defined(QINS_HAVE_NEON_KERNELS)
    case Isa::Neon: return neon_kernels();
#endif
    default: return generic_kernels();
  }
}

}  // namespace qins
