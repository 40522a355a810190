// Scalar reference encoders for every quantized codec (see encoders.h and docs/qins-format.md).
#include "encoders.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "half.h"

namespace qins::codecs {

void load_f32(const uint8_t* src, Dtype dtype, size_t n, float* out) {
  switch (dtype) {
    case Dtype::BF16: {
      const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
      uint32_t* o = reinterpret_cast<uint32_t*>(out);
      for (size_t i = 0; i < n; i++) o[i] = static_cast<uint32_t>(s[i]) << 16;
      break;
    }
    case Dtype::F16: {
      const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; i++) out[i] = f16_to_f32(s[i]);
      break;
    }
    case Dtype::F32:
      std::memcpy(out, src, n * 4);
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// codebooks

Qins8Table Qins8Table::make(double c) {
  Qins8Table t;
  t.c = static_cast<float>(c);
  // Knots from the bottom: q[0] = 0, q[m] = (1 + c) / (k + c) for k = 113, 97, ..., 17, 1.
  double q[kSegments + 1];
  q[0] = 0;
  for (int m = 1; m <= kSegments; m++) {
    const double k = 1 + kSteps * (kSegments - m);
    q[m] = (1.0 + c) / (k + c);
  }
  double widest = 0;
  for (int m = 0; m < kSegments; m++) widest = std::max(widest, q[m + 1] - q[m]);
  // The integer unit: as fine as the widest segment's step allows (E <= 127).
  const double unit = std::floor(127.0 * kSteps / widest);
  int32_t prev_top = -1;
  for (int m = 0; m < kSegments; m++) {
    const int32_t e = static_cast<int32_t>(std::min(127.0, std::max(1.0, std::floor(unit * (q[m + 1] - q[m]) / kSteps + 0.5))));
    const int32_t on_curve = static_cast<int32_t>(std::floor(unit * q[m] / e + 0.5));
    const int32_t above = (prev_top + e) / e;  // the first start above the previous segment
    t.E[m] = e;
    t.B[m] = std::min<int32_t>(240, std::max(on_curve, above));
    prev_top = e * (t.B[m] + kSteps - 1);
  }
  t.denom = static_cast<float>(prev_top);
  for (int m = 0; m < kSegments; m++) {
    t.Af[m] = static_cast<float>(t.E[m] * t.B[m]);
    t.Tf[m] = static_cast<float>(t.E[m] * (t.B[m] + kSteps - 1));
    t.invE[m] = 1.0f / static_cast<float>(t.E[m]);
    for (int j = 0; j < kSteps; j++) {
      const int k = m * kSteps + j;
      t.ints[k] = t.E[m] * (t.B[m] + j);
      t.ints[128 + k] = -t.ints[k];
      t.lev[k] = static_cast<float>(t.ints[k]) / t.denom;
    }
  }
  return t;
}

std::string Qins8Table::adopt(const int32_t* ints256, double denom_, double c_) {
  if (!(c_ >= 0) || c_ > kMaxC) return "qins8: c must lie in 0..100";
  Qins8Table ref = make(c_);
  bool same = denom_ == ref.denom;
  for (int i = 0; i < 256 && same; i++) same = ints256[i] == ref.ints[i];
  if (!same) return "qins8: codebook ints and denom do not match the segment codebook for the given c";
  *this = ref;
  return "";
}

std::string Table16::adopt(const int32_t* ints16, double denom_) {
  if (!(denom_ > 0)) return "4-bit codebook: denom must be positive";
  for (int j = 0; j < 16; j++) {
    if (ints16[j] < -127 || ints16[j] > 127) return "4-bit codebook: entries must lie in -127..127";
    if (j > 0 && ints16[j] <= ints16[j - 1]) return "4-bit codebook: entries must be strictly ascending";
    ints[j] = ints16[j];
    L[j] = static_cast<float>(ints16[j] / denom_);
  }
  if (ints16[0] >= 0) return "4-bit codebook: the first entry must be negative";
  denom = static_cast<float>(denom_);
  for (int j = 0; j < 15; j++) T[j] = 0.5f * (L[j] + L[j + 1]);
  const float lo = T[0] - 0.01f, hi = T[14] + 0.01f, width = (hi - lo) / 32, eps = 1e-4f;
  lut_lo = lo;
  lut_scale = 32 / (hi - lo);
  lut_ok = true;
  for (int b = 0; b < 32; b++) {
    const float edge = lo + b * width;
    int below = 0, inside = 0;
    for (int j = 0; j < 15; j++) {
      if (T[j] < edge - eps) below++;
      else if (T[j] <= edge + width + eps) inside++;
    }
    lut[b] = below;
    if (inside > 1) lut_ok = false;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// run-time ISA choice

#if defined(__x86_64__) || defined(_M_X64)
#define QINS_CODECS_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
static bool cpu_has_avx512() {
  unsigned a, b, c, d;
#if defined(_MSC_VER)
  int r[4];
  __cpuid(r, 1);
  c = r[2];
#else
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
#endif
  if (!(c & (1u << 27))) return false;  // OSXSAVE
  unsigned lo, hi;
#if defined(_MSC_VER)
  const unsigned long long x = _xgetbv(0);
  lo = static_cast<unsigned>(x);
  hi = 0;
#else
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
#endif
  (void)hi;
  if ((lo & 0xe6u) != 0xe6u) return false;  // XMM, YMM, opmask, ZMM state enabled by the OS
#if defined(_MSC_VER)
  __cpuidex(r, 7, 0);
  b = r[1];
#else
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
#endif
  const bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
  return f && dq && bw && vl;
}
#endif

Isa best_isa() {
  static const Isa isa = [] {
    const char* force = std::getenv("QINS_CODECS_ISA");
    if (force && std::strcmp(force, "scalar") == 0) return Isa::Scalar;
#ifdef QINS_CODECS_X86
    if (cpu_has_avx512()) return Isa::Avx512;
#endif
    return Isa::Scalar;
  }();
  return isa;
}

const char* isa_name(Isa isa) { return isa == Isa::Avx512 ? "avx512" : "scalar"; }

// ---------------------------------------------------------------------------------------------
// scalar block encoders (reference; also used for partial blocks and other block sizes)

namespace {

/** Round to nearest, ties to even, for |v| < 2^22 (no libm call). */
inline float round_ne(float v) { return (v + 12582912.0f) - 12582912.0f; }

struct Acc {
  double errsq = 0, sumsq = 0;
  float amax = 0;
};

void q8_block(const float* w, int n, int block, uint8_t* codes, uint16_t* scale, Acc& acc) {
  float amax = 0;
  for (int j = 0; j < n; j++) amax = std::max(amax, std::fabs(w[j]));
  const uint16_t h = scale_to_f16(amax);
  const float s = f16_to_f32(h);
  *scale = h;
  const float inv = s > 0 ? 127.0f / s : 0.0f;
  const float step = s / 127.0f;
  float e = 0, ss = 0;
  for (int j = 0; j < n; j++) {
    const float x = w[j];
    const float q = std::min(127.0f, std::max(-127.0f, round_ne(x * inv)));
    codes[j] = static_cast<uint8_t>(static_cast<int8_t>(q));
    const float d = x - q * step;
    e += d * d;
    ss += x * x;
  }
  for (int j = n; j < block; j++) codes[j] = 0;
  acc.errsq += e;
  acc.sumsq += ss;
  acc.amax = std::max(acc.amax, amax);
}

void qins8_block(const float* w, int n, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scale, Acc& acc) {
  float amax = 0;
  for (int j = 0; j < n; j++) amax = std::max(amax, std::fabs(w[j]));
  const uint16_t h = scale_to_f16(amax);
  const float s = f16_to_f32(h);
  *scale = h;
  float e = 0, ss = 0;
  if (s > 0) {
    const float inv = tb.denom / s;
    for (int j = 0; j < n; j++) {
      const float v = w[j];
      const int k = qins8_level(tb, std::fabs(v) * inv);
      const bool neg = v < 0;
      codes[j] = static_cast<uint8_t>(k == 0 ? 0 : (neg ? 128 + k : k));
      const float r = s * tb.lev[k];
      const float d = v - (neg ? -r : r);
      e += d * d;
      ss += v * v;
    }
  } else {
    for (int j = 0; j < n; j++) {
      codes[j] = 0;
      e += w[j] * w[j];
      ss += w[j] * w[j];
    }
  }
  for (int j = n; j < block; j++) codes[j] = 0;
  acc.errsq += e;
  acc.sumsq += ss;
  acc.amax = std::max(acc.amax, amax);
}

void pack_nibbles(const uint8_t* idx, int block, uint8_t* out) {
  const int half = block / 2;
  for (int j = 0; j < half; j++) out[j] = static_cast<uint8_t>((idx[j] & 15) | ((idx[j + half] & 15) << 4));
}

void q4_block(const float* w, int n, int block, uint8_t* codes, uint16_t* scale, Acc& acc) {
  uint8_t idx[256];
  float amax = 0, mx = 0;
  for (int j = 0; j < n; j++) {
    const float a = std::fabs(w[j]);
    if (a > amax) {
      amax = a;
      mx = w[j];
    }
  }
  const uint16_t h = scale_to_f16(-mx);
  const float s = f16_to_f32(h);
  *scale = h;
  const float id = s != 0 ? 8.0f / s : 0.0f;
  const float step = s / 8.0f;
  float e = 0, ss = 0;
  for (int j = 0; j < n; j++) {
    const float x = w[j];
    const float qf = std::min(15.0f, std::max(0.0f, x * id + 8.5f));
    const int q = static_cast<int>(qf);
    idx[j] = static_cast<uint8_t>(q);
    const float d = x - static_cast<float>(q - 8) * step;
    e += d * d;
    ss += x * x;
  }
  for (int j = n; j < block; j++) idx[j] = 8;
  pack_nibbles(idx, block, codes);
  acc.errsq += e;
  acc.sumsq += ss;
  acc.amax = std::max(acc.amax, amax);
}

}  // namespace

void block_weights(const float* w, int n, Weighting mode, float* wt) {
  if (mode == Weighting::None) {
    for (int j = 0; j < n; j++) wt[j] = 1.0f;
  } else if (mode == Weighting::Square) {
    for (int j = 0; j < n; j++) wt[j] = w[j] * w[j];
  } else {
    float s2 = 0;
    for (int j = 0; j < n; j++) s2 += w[j] * w[j];
    s2 = n > 0 ? 2.0f * s2 / static_cast<float>(n) : 0.0f;
    for (int j = 0; j < n; j++) wt[j] = std::sqrt(s2 + w[j] * w[j]);
  }
}

namespace {

/** The entry closest to zero (0 itself in every codebook the converter makes): padding code. */
int zero_index(const Table16& tb) {
  int best = 0;
  for (int j = 1; j < 16; j++)
    if (std::abs(tb.ints[j]) < std::abs(tb.ints[best])) best = j;
  return best;
}

double qins4_block_scalar(const float* w, int n, const Table16& tb, Q4Search search, uint8_t* code_idx, float* scale_out) {
  const int zero = zero_index(tb);
  float amax = 0, mx = 0;
  for (int j = 0; j < n; j++) {
    const float a = std::fabs(w[j]);
    if (a > amax) {
      amax = a;
      mx = w[j];
    }
  }
  if (amax == 0) {
    for (int j = 0; j < n; j++) code_idx[j] = static_cast<uint8_t>(zero);
    *scale_out = 0;
    return 0;
  }
  // Map the block's extreme onto the codebook's most negative entry (L[0] < 0), then try slightly
  // compressed / stretched mappings; each assignment gets its least-squares scale, and the one
  // that removes the most error wins.
  const float id0 = tb.L[0] / mx;
  float wt[256];
  block_weights(w, n, search.weighting, wt);
  float best = -1, best_d = 0;
  for (int t = -search.n; t <= search.n; t++) {
    const float id = id0 * (1.0f + static_cast<float>(t) / 127.0f);
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < n; j++) {
      const float q = tb.L[tb.nearest(w[j] * id)];
      const float wq = q * wt[j];
      sumqx += wq * w[j];
      sumq2 += wq * q;
    }
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      best = sumqx * sumqx / sumq2;
      best_d = sumqx / sumq2;
    }
  }
  const float s = f16_to_f32(scale_to_f16(best_d));
  *scale_out = s;
  float e = 0;
  if (s == 0) {
    for (int j = 0; j < n; j++) {
      code_idx[j] = static_cast<uint8_t>(zero);
      e += w[j] * w[j];
    }
    return e;
  }
  const float inv = 1.0f / s;
  for (int j = 0; j < n; j++) {
    const int q = tb.nearest(w[j] * inv);
    code_idx[j] = static_cast<uint8_t>(q);
    const float d = w[j] - s * tb.L[q];
    e += d * d;
  }
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// rows

#ifdef QINS_CODECS_X86
#define QINS_SIMD32(isa, block) ((isa) == Isa::Avx512 && (block) == 32)
#else
#define QINS_SIMD32(isa, block) false
#endif

template <class Block>
static void rows_by_block(const float* w, int cols, int cols_p, int block, Stats& st, int simd_blocks, Acc& acc, Block&& f) {
  const int nb = cols_p / block;
  for (int b = simd_blocks; b < nb; b++) {
    const int j0 = b * block;
    f(j0, std::max(0, std::min(block, cols - j0)), b);
  }
  st.errsq += acc.errsq;
  st.sumsq += acc.sumsq;
  st.absmax = std::max(st.absmax, acc.amax);
}

void encode_row_q8(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa) {
  Acc acc;
  int done = 0;
#ifdef QINS_CODECS_X86
  if (QINS_SIMD32(isa, block)) {
    done = cols / 32;
    avx512::q8_blocks(w, done, codes, scales, acc.errsq, acc.sumsq, acc.amax);
  }
#endif
  rows_by_block(w, cols, cols_p, block, st, done, acc,
                [&](int j0, int n, int b) { q8_block(w + j0, n, block, codes + j0, scales + b, acc); });
}

void encode_row_qins8(const float* w, int cols, int cols_p, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scales,
                      Stats& st, Isa isa) {
  Acc acc;
  int done = 0;
#ifdef QINS_CODECS_X86
  if (QINS_SIMD32(isa, block)) {
    done = cols / 32;
    avx512::qins8_blocks(w, done, tb, codes, scales, acc.errsq, acc.sumsq, acc.amax);
  }
#endif
  rows_by_block(w, cols, cols_p, block, st, done, acc,
                [&](int j0, int n, int b) { qins8_block(w + j0, n, block, tb, codes + j0, scales + b, acc); });
}

Stats qins8_error(const float* w, size_t rows, int cols, int block, const Qins8Table& tb, Isa isa) {
  const int cols_p = (cols + block - 1) / block * block;
  std::vector<uint8_t> codes(cols_p);
  std::vector<uint16_t> scales(cols_p / block);
  std::vector<float> row(cols_p, 0.0f);
  Stats st;
  for (size_t r = 0; r < rows; r++) {
    std::memcpy(row.data(), w + r * cols, cols * sizeof(float));
    encode_row_qins8(row.data(), cols, cols_p, block, tb, codes.data(), scales.data(), st, isa);
  }
  return st;
}

void encode_row_q4(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa) {
  Acc acc;
  int done = 0;
#ifdef QINS_CODECS_X86
  if (QINS_SIMD32(isa, block)) {
    done = cols / 32;
    avx512::q4_blocks(w, done, codes, scales, acc.errsq, acc.sumsq, acc.amax);
  }
#endif
  rows_by_block(w, cols, cols_p, block, st, done, acc,
                [&](int j0, int n, int b) { q4_block(w + j0, n, block, codes + j0 / 2, scales + b, acc); });
}

double qins4_block_assign(const float* w, int n, const Table16& tb, Q4Search search, uint8_t* code_idx, float* scale_out, Isa isa) {
#ifdef QINS_CODECS_X86
  if (isa == Isa::Avx512 && n == 32) return avx512::qins4_block(w, tb, search, code_idx, scale_out);
#endif
  return qins4_block_scalar(w, n, tb, search, code_idx, scale_out);
}

void encode_row_qins4(const float* w, int cols, int cols_p, int block, const Table16& tb, Q4Search search, uint8_t* codes,
                      uint16_t* scales, Stats& st, Isa isa) {
  const int nb = cols_p / block;
  const int zero = zero_index(tb);
  uint8_t idx[256];
  double e = 0, ss = 0;
  float amax = 0;
  int first = 0;
#ifdef QINS_CODECS_X86
  if (QINS_SIMD32(isa, block)) {
    first = cols / 32;
    avx512::qins4_blocks(w, first, tb, search, codes, scales, e, ss, amax);
  }
#endif
  for (int b = first; b < nb; b++) {
    const int j0 = b * block;
    const int n = std::max(0, std::min(block, cols - j0));
    float s = 0;
    e += qins4_block_assign(w + j0, n, tb, search, idx, &s, isa);
    for (int j = n; j < block; j++) idx[j] = static_cast<uint8_t>(zero);
    scales[b] = scale_to_f16(s);
    pack_nibbles(idx, block, codes + j0 / 2);
    float bs = 0;
    for (int j = 0; j < n; j++) {
      bs += w[j0 + j] * w[j0 + j];
      amax = std::max(amax, std::fabs(w[j0 + j]));
    }
    ss += bs;
  }
  st.errsq += e;
  st.sumsq += ss;
  st.absmax = std::max(st.absmax, amax);
}

// ---------------------------------------------------------------------------------------------
// the seed's per-tensor inverse code

void encode_row_seed(const float* w, int cols, float scale, uint8_t* codes, uint8_t* signs, Stats& st) {
  const int nsb = (cols + 7) / 8;
  std::memset(signs, 0, nsb);
  double e = 0, ss = 0;
  float amax = 0;
  for (int j = 0; j < cols; j++) {
    const float v = w[j];
    const float a = std::fabs(v);
    amax = std::max(amax, a);
    float stored;
    if (a == 0 || scale == 0) {
      stored = 255;
    } else {
      const float q = scale / a;
      stored = q >= 255.0f ? 255.0f : std::max(1.0f, round_ne(q));
    }
    codes[j] = static_cast<uint8_t>(stored);
    const bool neg = v < 0;
    if (neg) signs[j >> 3] |= static_cast<uint8_t>(1u << (j & 7));
    const float mag = scale / stored;
    const float r = neg ? -mag : mag;
    e += static_cast<double>(v - r) * (v - r);
    ss += static_cast<double>(v) * v;
  }
  st.errsq += e;
  st.sumsq += ss;
  st.absmax = std::max(st.absmax, amax);
}

}  // namespace qins::codecs
