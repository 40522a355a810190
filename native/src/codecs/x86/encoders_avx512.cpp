// AVX-512 (F, DQ, BW, VL) block-of-32 encoders. Compiled with the AVX-512 flags of
// tools/sources.cjs and -ffp-contract=off; called only when dispatch reports AVX-512. Each mirrors
// its generic twin in encoders.cpp operation by operation (same float operations, same rounding,
// block sums in the sum32 order), so codes, scales and error sums are identical.
#include <immintrin.h>

// GCC 12 warns about uninitialised temporaries inside its own AVX-512 headers (_mm512_undefined_*,
// a header false positive), as in kernels_avx512.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "codecs/encoders.h"
#include "kernels/half.h"

namespace qins::codecs {
namespace {

constexpr int kGroup = 16;  // blocks whose scales are computed together (one lane each)

inline __m512 vabs(__m512 v) { return _mm512_abs_ps(v); }

/** Largest lane (order-free; no NaN). */
inline float hmax(__m512 v) {
  const __m256 m8 = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

/** sum32 of the block v[0..31] given g = v[0..15] + v[16..31] (lane l: v[l] + v[l+16]). */
inline float sum_g(__m512 g) {
  const __m256 p = _mm256_add_ps(_mm512_castps512_ps256(g), _mm512_extractf32x8_ps(g, 1));
  const __m128 q = _mm_add_ps(_mm256_castps256_ps128(p), _mm256_extractf128_ps(p, 1));
  const __m128 r = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(r, _mm_movehdup_ps(r)));
}

/** sum32 of four blocks given their g vectors: {a, b, c, d}. */
inline void sum_g4(__m512 a, __m512 b, __m512 c, __m512 d, float out[4]) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));  // p_a | p_b
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));  // p_c | p_d
  __m512 z = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));    // q_a q_b q_c q_d
  z = _mm512_add_ps(z, _mm512_permute_ps(z, 0x4E));                                                      // r0 = q0 + q2, r1 = q1 + q3
  z = _mm512_add_ps(z, _mm512_permute_ps(z, 0xB1));                                                      // r0 + r1
  alignas(64) float tmp[16];
  _mm512_store_ps(tmp, z);
  out[0] = tmp[0];
  out[1] = tmp[4];
  out[2] = tmp[8];
  out[3] = tmp[12];
}

/**
 * sum32 of sixteen blocks' g vectors at once, one lane per block (lane b = Σ of g[b]), in the order
 * of sum_g: halves C0+C2 | C1+C3 of two blocks per step, then their 4-lane sums of four blocks, then
 * (q0 + q2) + (q1 + q3) inside each 128-bit chunk: 46 instructions for sixteen sums.
 */
inline __m512 sum_g16(const __m512* g) {
  __m512 p[8], q[4];
  for (int i = 0; i < 8; i++)  // blocks 2i | 2i+1: C0+C2, C1+C3 of each
    p[i] = _mm512_add_ps(_mm512_shuffle_f32x4(g[2 * i], g[2 * i + 1], 0x44), _mm512_shuffle_f32x4(g[2 * i], g[2 * i + 1], 0xEE));
  for (int i = 0; i < 4; i++)  // chunk j: the four lanes q of block 4i + j
    q[i] = _mm512_add_ps(_mm512_shuffle_f32x4(p[2 * i], p[2 * i + 1], 0x88), _mm512_shuffle_f32x4(p[2 * i], p[2 * i + 1], 0xDD));
  // chunk j: r0 = q0 + q2, r1 = q1 + q3 of blocks j, 4 + j (u01) and 8 + j, 12 + j (u23)
  const __m512 u01 = _mm512_add_ps(_mm512_shuffle_ps(q[0], q[1], 0x44), _mm512_shuffle_ps(q[0], q[1], 0xEE));
  const __m512 u23 = _mm512_add_ps(_mm512_shuffle_ps(q[2], q[3], 0x44), _mm512_shuffle_ps(q[2], q[3], 0xEE));
  // chunk j, lane i: r0 + r1 of block 4i + j; then lane b = block b
  const __m512 f = _mm512_add_ps(_mm512_shuffle_ps(u01, u23, 0x88), _mm512_shuffle_ps(u01, u23, 0xDD));
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), f);
}

/** Adds blocks' error and weight sums to acc in block order, reducing two blocks at a time. */
struct PairSums {
  __m512 e, x;
  bool held = false;
  void add(__m512 ge, __m512 gx, BlockSums& acc) {
    if (!held) {
      e = ge;
      x = gx;
      held = true;
      return;
    }
    float r[4];
    sum_g4(e, x, ge, gx, r);
    acc.errsq += r[0];
    acc.sumsq += r[1];
    acc.errsq += r[2];
    acc.sumsq += r[3];
    held = false;
  }
  void flush(BlockSums& acc) {
    if (!held) return;
    acc.errsq += sum_g(e);
    acc.sumsq += sum_g(x);
    held = false;
  }
};

/** scale_half(x) of 16 lanes (stored to h for the lanes in k) and its float value half_f32(h). */
inline __m512 half_scales(__m512 x, uint16_t* h, __mmask16 k) {
  x = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, x, _CMP_ORD_Q), x);  // NaN -> 0
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-kHalfMax)), _mm512_set1_ps(kHalfMax));
  const __m256i hv = _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  _mm256_mask_storeu_epi16(h, k, hv);
  return _mm512_cvtph_ps(hv);
}

inline __mmask16 lanes(int n) { return static_cast<__mmask16>(n >= 16 ? 0xffffu : (1u << n) - 1); }

inline void store32(uint8_t* dst, __m512i lo, __m512i hi) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst),
                      _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(lo)), _mm512_cvtepi32_epi8(hi), 1));
}

/** First index of the block's largest |w| (the generic loop keeps the first strict maximum). */
inline int first_max(__m512 a0, __m512 a1, float amax) {
  const __m512 m = _mm512_set1_ps(amax);
  const uint32_t k = _mm512_cmp_ps_mask(a0, m, _CMP_EQ_OQ) | (static_cast<uint32_t>(_mm512_cmp_ps_mask(a1, m, _CMP_EQ_OQ)) << 16);
  return k ? __builtin_ctz(k) : 0;
}

inline __m512 round_even(__m512 v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

// ---------------------------------------------------------------------------------------------
// q8

void q8_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
  PairSums sums;
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    alignas(64) float am[kGroup] = {}, inv[kGroup], step[kGroup];
    for (int b = 0; b < nb; b++) {
      const float* x = w + 32 * (g0 + b);
      am[b] = hmax(_mm512_max_ps(vabs(_mm512_loadu_ps(x)), vabs(_mm512_loadu_ps(x + 16))));
    }
    const __m512 s = half_scales(_mm512_load_ps(am), scales + g0, lanes(nb));
    _mm512_store_ps(inv, _mm512_maskz_div_ps(_mm512_cmp_ps_mask(s, _mm512_setzero_ps(), _CMP_GT_OQ), hi, s));
    _mm512_store_ps(step, _mm512_div_ps(s, hi));
    for (int b = 0; b < nb; b++) {
      const float* x = w + 32 * (g0 + b);
      const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
      const __m512 iv = _mm512_set1_ps(inv[b]), st = _mm512_set1_ps(step[b]);
      const __m512 q0 = _mm512_min_ps(_mm512_max_ps(round_even(_mm512_mul_ps(x0, iv)), lo), hi);
      const __m512 q1 = _mm512_min_ps(_mm512_max_ps(round_even(_mm512_mul_ps(x1, iv)), lo), hi);
      store32(codes + 32 * (g0 + b), _mm512_cvtps_epi32(q0), _mm512_cvtps_epi32(q1));
      const __m512 d0 = _mm512_sub_ps(x0, _mm512_mul_ps(q0, st)), d1 = _mm512_sub_ps(x1, _mm512_mul_ps(q1, st));
      sums.add(_mm512_add_ps(_mm512_mul_ps(d0, d0), _mm512_mul_ps(d1, d1)), _mm512_add_ps(_mm512_mul_ps(x0, x0), _mm512_mul_ps(x1, x1)),
               acc);
      acc.amax = std::max(acc.amax, am[b]);
    }
  }
  sums.flush(acc);
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// qins8

/** lev[k] for 16 lanes of k in 0..127 (the table in eight registers). */
struct Lev128 {
  __m512 t[8];
  explicit Lev128(const float* lev) {
    for (int i = 0; i < 8; i++) t[i] = _mm512_loadu_ps(lev + 16 * i);
  }
  __m512 operator()(__m512i k) const {
    const __m512 p0 = _mm512_permutex2var_ps(t[0], k, t[1]), p1 = _mm512_permutex2var_ps(t[2], k, t[3]);
    const __m512 p2 = _mm512_permutex2var_ps(t[4], k, t[5]), p3 = _mm512_permutex2var_ps(t[6], k, t[7]);
    const __mmask16 b5 = _mm512_test_epi32_mask(k, _mm512_set1_epi32(32)), b6 = _mm512_test_epi32_mask(k, _mm512_set1_epi32(64));
    return _mm512_mask_blend_ps(b6, _mm512_mask_blend_ps(b5, p0, p1), _mm512_mask_blend_ps(b5, p2, p3));
  }
};

void qins8_blocks(const float* w, int nblocks, const Qins8Table& tb, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  constexpr int S = Qins8Table::kSegments;
  alignas(64) float af[16] = {}, tf[16] = {}, ie[16] = {};
  for (int m = 0; m < S; m++) {
    af[m] = tb.Af[m];
    tf[m] = tb.Tf[m];
    ie[m] = tb.invE[m];
  }
  af[S] = af[S - 1];  // never chosen: the last segment has no next one
  const __m512 AF = _mm512_load_ps(af), TF = _mm512_load_ps(tf), IE = _mm512_load_ps(ie), zero = _mm512_setzero_ps();
  __m512 start[S];
  for (int m = 1; m < S; m++) start[m] = _mm512_set1_ps(tb.Af[m]);
  const __m512i ione = _mm512_set1_epi32(1), i15 = _mm512_set1_epi32(Qins8Table::kSteps - 1), last = _mm512_set1_epi32(S - 1);
  const __m512 sixteen = _mm512_set1_ps(16.0f);
  const Lev128 lev(tb.lev);
  PairSums sums;
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    alignas(64) float am[kGroup] = {}, sc[kGroup], inv[kGroup];
    for (int b = 0; b < nb; b++) {
      const float* x = w + 32 * (g0 + b);
      am[b] = hmax(_mm512_max_ps(vabs(_mm512_loadu_ps(x)), vabs(_mm512_loadu_ps(x + 16))));
    }
    const __m512 s = half_scales(_mm512_load_ps(am), scales + g0, lanes(nb));
    _mm512_store_ps(sc, s);
    _mm512_store_ps(inv, _mm512_maskz_div_ps(_mm512_cmp_ps_mask(s, zero, _CMP_GT_OQ), _mm512_set1_ps(tb.denom), s));
    for (int b = 0; b < nb; b++) {
      const float* xb = w + 32 * (g0 + b);
      uint8_t* cb = codes + 32 * (g0 + b);
      const __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
      const __m512 gx = _mm512_add_ps(_mm512_mul_ps(v0, v0), _mm512_mul_ps(v1, v1));
      acc.amax = std::max(acc.amax, am[b]);
      if (!(sc[b] > 0)) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(cb), _mm256_setzero_si256());
        sums.add(gx, gx, acc);
        continue;
      }
      const __m512 iv = _mm512_set1_ps(inv[b]), sv = _mm512_set1_ps(sc[b]);
      __m512i code[2];
      __m512 dd[2];
      for (int half = 0; half < 2; half++) {
        const __m512 v = half ? v1 : v0;
        const __m512 y = _mm512_mul_ps(vabs(v), iv);
        __m512i seg = _mm512_setzero_si512();
        for (int m = 1; m < S; m++) seg = _mm512_mask_add_epi32(seg, _mm512_cmp_ps_mask(y, start[m], _CMP_GE_OQ), seg, ione);
        const __m512 t = _mm512_min_ps(_mm512_mul_ps(_mm512_sub_ps(y, _mm512_permutexvar_ps(seg, AF)), _mm512_permutexvar_ps(seg, IE)),
                                       sixteen);
        __m512i j = _mm512_cvtps_epi32(round_even(t));
        const __mmask16 over = _mm512_cmpgt_epi32_mask(j, i15);
        j = _mm512_min_epi32(j, i15);
        const __m512 up = _mm512_sub_ps(_mm512_permutexvar_ps(_mm512_add_epi32(seg, ione), AF), y);
        const __m512 down = _mm512_sub_ps(y, _mm512_permutexvar_ps(seg, TF));
        const __mmask16 next = over & _mm512_cmplt_epi32_mask(seg, last) & _mm512_cmp_ps_mask(up, down, _CMP_LT_OQ);
        seg = _mm512_mask_add_epi32(seg, next, seg, ione);
        j = _mm512_mask_mov_epi32(j, next, _mm512_setzero_si512());
        const __m512i k = _mm512_add_epi32(_mm512_slli_epi32(seg, 4), j);
        const __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
        code[half] = _mm512_mask_or_epi32(k, neg & _mm512_test_epi32_mask(k, k), k, _mm512_set1_epi32(128));
        const __m512 r = _mm512_mul_ps(sv, lev(k));
        const __m512 rec = _mm512_mask_xor_ps(r, neg, r, _mm512_set1_ps(-0.0f));  // neg ? -r : r
        dd[half] = _mm512_sub_ps(v, rec);
      }
      store32(cb, code[0], code[1]);
      sums.add(_mm512_add_ps(_mm512_mul_ps(dd[0], dd[0]), _mm512_mul_ps(dd[1], dd[1])), gx, acc);
    }
  }
  sums.flush(acc);
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// q4

void q4_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  const __m512 half = _mm512_set1_ps(8.5f), zero = _mm512_setzero_ps(), fifteen = _mm512_set1_ps(15.0f);
  const __m512i eight = _mm512_set1_epi32(8);
  PairSums sums;
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    alignas(64) float am[kGroup] = {}, neg_mx[kGroup] = {}, ids[kGroup], steps[kGroup];
    for (int b = 0; b < nb; b++) {
      const float* x = w + 32 * (g0 + b);
      const __m512 a0 = vabs(_mm512_loadu_ps(x)), a1 = vabs(_mm512_loadu_ps(x + 16));
      am[b] = hmax(_mm512_max_ps(a0, a1));
      neg_mx[b] = -(am[b] > 0 ? x[first_max(a0, a1, am[b])] : 0.0f);
    }
    const __m512 s = half_scales(_mm512_load_ps(neg_mx), scales + g0, lanes(nb));
    _mm512_store_ps(ids, _mm512_maskz_div_ps(_mm512_cmp_ps_mask(s, zero, _CMP_NEQ_UQ), _mm512_set1_ps(8.0f), s));
    _mm512_store_ps(steps, _mm512_div_ps(s, _mm512_set1_ps(8.0f)));
    for (int b = 0; b < nb; b++) {
      const float* xb = w + 32 * (g0 + b);
      const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);
      const __m512 id = _mm512_set1_ps(ids[b]), step = _mm512_set1_ps(steps[b]);
      const __m512 qf0 = _mm512_min_ps(fifteen, _mm512_max_ps(zero, _mm512_add_ps(_mm512_mul_ps(x0, id), half)));
      const __m512 qf1 = _mm512_min_ps(fifteen, _mm512_max_ps(zero, _mm512_add_ps(_mm512_mul_ps(x1, id), half)));
      const __m512i q0 = _mm512_cvttps_epi32(qf0), q1 = _mm512_cvttps_epi32(qf1);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + 16 * (g0 + b)), _mm512_cvtepi32_epi8(_mm512_or_si512(q0, _mm512_slli_epi32(q1, 4))));
      const __m512 d0 = _mm512_sub_ps(x0, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q0, eight)), step));
      const __m512 d1 = _mm512_sub_ps(x1, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q1, eight)), step));
      sums.add(_mm512_add_ps(_mm512_mul_ps(d0, d0), _mm512_mul_ps(d1, d1)), _mm512_add_ps(_mm512_mul_ps(x0, x0), _mm512_mul_ps(x1, x1)),
               acc);
      acc.amax = std::max(acc.amax, am[b]);
    }
  }
  sums.flush(acc);
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// qins4

/** Everything the qins4 block search needs from the table, in registers. */
struct Q4Ctx {
  __m512 L, T;  // T[15] = +inf
  __m512i lut_lo, lut_hi;
  __m512 lo, scale, top, zero;
  bool fast;
  float t7;
  int zero_idx;
  explicit Q4Ctx(const Table16& tb) {
    alignas(64) float tpad[16];
    for (int j = 0; j < 15; j++) tpad[j] = tb.T[j];
    tpad[15] = INFINITY;
    T = _mm512_load_ps(tpad);
    L = _mm512_loadu_ps(tb.L);
    lut_lo = _mm512_loadu_si512(tb.lut);
    lut_hi = _mm512_loadu_si512(tb.lut + 16);
    lo = _mm512_set1_ps(tb.lut_lo);
    scale = _mm512_set1_ps(tb.lut_scale);
    top = _mm512_set1_ps(31.0f);
    zero = _mm512_setzero_ps();
    fast = tb.lut_ok;
    t7 = tb.T[7];
    zero_idx = tb.zero;
  }
  /** Table16::nearest for 16 lanes: the bucket table (one lookup, one comparison) or the 4-step search. */
  __m512i nearest(__m512 y) const {
    if (fast) {
      __m512 u = _mm512_mul_ps(_mm512_sub_ps(y, lo), scale);
      u = _mm512_min_ps(_mm512_max_ps(u, zero), top);  // NaN -> bucket 0
      const __m512i i0 = _mm512_permutex2var_epi32(lut_lo, _mm512_cvttps_epi32(u), lut_hi);
      return _mm512_mask_add_epi32(i0, _mm512_cmp_ps_mask(y, _mm512_permutexvar_ps(i0, T), _CMP_GT_OQ), i0, _mm512_set1_epi32(1));
    }
    __m512i i = _mm512_maskz_mov_epi32(_mm512_cmp_ps_mask(y, _mm512_set1_ps(t7), _CMP_GT_OQ), _mm512_set1_epi32(8));
    __m512 thr = _mm512_permutexvar_ps(_mm512_add_epi32(i, _mm512_set1_epi32(3)), T);
    i = _mm512_mask_add_epi32(i, _mm512_cmp_ps_mask(y, thr, _CMP_GT_OQ), i, _mm512_set1_epi32(4));
    thr = _mm512_permutexvar_ps(_mm512_add_epi32(i, _mm512_set1_epi32(1)), T);
    i = _mm512_mask_add_epi32(i, _mm512_cmp_ps_mask(y, thr, _CMP_GT_OQ), i, _mm512_set1_epi32(2));
    thr = _mm512_permutexvar_ps(i, T);
    return _mm512_mask_add_epi32(i, _mm512_cmp_ps_mask(y, thr, _CMP_GT_OQ), i, _mm512_set1_epi32(1));
  }
};

/**
 * qins4_block_generic for up to 16 blocks of 32 at once, in phases so that the blocks' work
 * overlaps: each block's extreme, then each block's candidate sums, then the candidate choice for
 * all blocks as vectors (one lane per block: the generic sequential comparisons, unchanged), then
 * each block's codes. Out: code indices (unpacked), fp16 scales, Σ(w − ŵ)² per block.
 */
void qins4_group(const float* w, int nb, const Q4Ctx& cx, const Table16& tb, Q4Search search, uint8_t (*idx)[32], uint16_t* h, float* err) {
  const __m512 zero = _mm512_setzero_ps();
  alignas(64) float am[kGroup] = {}, mx[kGroup] = {}, id0s[kGroup];
  for (int b = 0; b < nb; b++) {
    const float* x = w + 32 * b;
    const __m512 a0 = vabs(_mm512_loadu_ps(x)), a1 = vabs(_mm512_loadu_ps(x + 16));
    am[b] = hmax(_mm512_max_ps(a0, a1));
    if (am[b] > 0) mx[b] = x[first_max(a0, a1, am[b])];
  }
  const __mmask16 live = _mm512_cmp_ps_mask(_mm512_load_ps(am), zero, _CMP_NEQ_UQ) & lanes(nb);
  _mm512_store_ps(id0s, _mm512_maskz_div_ps(live, _mm512_set1_ps(tb.L[0]), _mm512_load_ps(mx)));  // L[0] / mx

  // candidate sums, [candidate][block]
  const int n = search.n, m = 2 * n + 1;
  const bool weighted = search.weighting != Weighting::None;
  alignas(64) float sqx[kMaxQ4Candidates][kGroup], sq2[kMaxQ4Candidates][kGroup], f[kMaxQ4Candidates];
  for (int c = 0; c < m; c++) f[c] = 1.0f + static_cast<float>(c - n) / 127.0f;  // candidate t = c - n maps by id0 · f
  // The blocks' g vectors of up to kSlice candidates, then their sums one lane per block (sum_g16).
  constexpr int kSlice = 16;
  alignas(64) __m512 gx[kSlice][kGroup], g2[kSlice][kGroup];
  for (int c0 = 0; c0 < m; c0 += kSlice) {
    const int cn = std::min(kSlice, m - c0);
    for (int b = 0; b < kGroup; b++) {
      if (b >= nb || !((live >> b) & 1)) {  // no candidates: lanes the choice below leaves alone
        for (int c = 0; c < cn; c++) gx[c][b] = g2[c][b] = zero;
        continue;
      }
      const float* xb = w + 32 * b;
      const float id0 = id0s[b];
      const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);
      __m512 wt0 = _mm512_set1_ps(1.0f), wt1 = wt0;
      if (search.weighting == Weighting::Square) {
        wt0 = _mm512_mul_ps(x0, x0);
        wt1 = _mm512_mul_ps(x1, x1);
      } else if (search.weighting == Weighting::Sigma) {
        const __m512 xx0 = _mm512_mul_ps(x0, x0), xx1 = _mm512_mul_ps(x1, x1);
        const float s2 = 2.0f * sum_g(_mm512_add_ps(xx0, xx1)) / 32.0f;  // block_weights(): 2·Σw²/n, sqrt(σ² + w²)
        const __m512 sv = _mm512_set1_ps(s2);
        wt0 = _mm512_sqrt_ps(_mm512_add_ps(sv, xx0));
        wt1 = _mm512_sqrt_ps(_mm512_add_ps(sv, xx1));
      }
      auto mapping = [&](int t) { return _mm512_set1_ps(id0 * f[t + n]); };
      // Each weight's mapped value x·id moves monotonically with t, so its nearest entry lies between
      // those of the two outermost candidates. When they differ by at most one in every lane (almost
      // always), a candidate's entry is the lower one or the next, by one comparison with the
      // threshold between them, and the products wt·q·x, wt·q·q of both are computed once.
      bool bracket = false;
      __m512 thr[2], ax0[2], ax1[2], a20[2], a21[2];
      if (n > 0) {
        const __m512 id_lo = mapping(-n), id_hi = mapping(n);
        const __m512 xs[2] = {x0, x1}, wts[2] = {wt0, wt1};
        __mmask16 outside = 0;
        for (int k = 0; k < 2; k++) {
          const __m512 ya = _mm512_mul_ps(xs[k], id_lo), yb = _mm512_mul_ps(xs[k], id_hi);
          const __m512i lo = cx.nearest(_mm512_min_ps(ya, yb));
          // every candidate's entry is lo or lo + 1 when the larger end is not above T[lo + 1] (T[15] = +inf)
          const __m512i up = _mm512_min_epi32(_mm512_add_epi32(lo, _mm512_set1_epi32(1)), _mm512_set1_epi32(15));
          outside |= _mm512_cmp_ps_mask(_mm512_max_ps(ya, yb), _mm512_permutexvar_ps(up, cx.T), _CMP_GT_OQ);
          thr[k] = _mm512_permutexvar_ps(lo, cx.T);
          const __m512 q0 = _mm512_permutexvar_ps(lo, cx.L), q1 = _mm512_permutexvar_ps(_mm512_add_epi32(lo, _mm512_set1_epi32(1)), cx.L);
          const __m512 wq0 = weighted ? _mm512_mul_ps(q0, wts[k]) : q0, wq1 = weighted ? _mm512_mul_ps(q1, wts[k]) : q1;
          ax0[k] = _mm512_mul_ps(wq0, xs[k]);
          ax1[k] = _mm512_mul_ps(wq1, xs[k]);
          a20[k] = _mm512_mul_ps(wq0, q0);
          a21[k] = _mm512_mul_ps(wq1, q1);
        }
        bracket = outside == 0;
      }
      // g vectors of Σ wt·q·x and Σ wt·q² for one candidate mapping
      auto sums = [&](int t, __m512& gqx, __m512& gq2) __attribute__((always_inline)) {
        const __m512 id = mapping(t);
        if (bracket) {
          const __mmask16 u0 = _mm512_cmp_ps_mask(_mm512_mul_ps(x0, id), thr[0], _CMP_GT_OQ);
          const __mmask16 u1 = _mm512_cmp_ps_mask(_mm512_mul_ps(x1, id), thr[1], _CMP_GT_OQ);
          gqx = _mm512_add_ps(_mm512_mask_blend_ps(u0, ax0[0], ax1[0]), _mm512_mask_blend_ps(u1, ax0[1], ax1[1]));
          gq2 = _mm512_add_ps(_mm512_mask_blend_ps(u0, a20[0], a21[0]), _mm512_mask_blend_ps(u1, a20[1], a21[1]));
          return;
        }
        const __m512 q0 = _mm512_permutexvar_ps(cx.nearest(_mm512_mul_ps(x0, id)), cx.L);
        const __m512 q1 = _mm512_permutexvar_ps(cx.nearest(_mm512_mul_ps(x1, id)), cx.L);
        const __m512 wq0 = weighted ? _mm512_mul_ps(q0, wt0) : q0, wq1 = weighted ? _mm512_mul_ps(q1, wt1) : q1;
        gqx = _mm512_add_ps(_mm512_mul_ps(wq0, x0), _mm512_mul_ps(wq1, x1));
        gq2 = _mm512_add_ps(_mm512_mul_ps(wq0, q0), _mm512_mul_ps(wq1, q1));
      };
      for (int c = 0; c < cn; c++) sums(c0 + c - n, gx[c][b], g2[c][b]);
    }
    for (int c = 0; c < cn; c++) {
      _mm512_store_ps(sqx[c0 + c], sum_g16(gx[c]));
      _mm512_store_ps(sq2[c0 + c], sum_g16(g2[c]));
    }
  }

  // the candidate choice of every block (qins4_block_generic's comparisons, one lane per block)
  __m512 best = _mm512_set1_ps(-1.0f), best_d = zero;
  for (int c = 0; c < m; c++) {
    const __m512 vx = _mm512_maskz_load_ps(live, sqx[c]), v2 = _mm512_maskz_load_ps(live, sq2[c]);
    const __m512 xx = _mm512_mul_ps(vx, vx);
    const __mmask16 win = _mm512_cmp_ps_mask(v2, zero, _CMP_GT_OQ) & _mm512_cmp_ps_mask(xx, _mm512_mul_ps(best, v2), _CMP_GT_OQ);
    best = _mm512_mask_div_ps(best, win, xx, v2);
    best_d = _mm512_mask_div_ps(best_d, win, vx, v2);
  }
  alignas(64) float sc[kGroup], inv[kGroup];
  const __m512 s = _mm512_maskz_mov_ps(live, half_scales(best_d, h, lanes(nb)));
  _mm256_mask_storeu_epi16(h, lanes(nb) & ~live, _mm256_setzero_si256());  // all-zero blocks: scale 0
  _mm512_store_ps(sc, s);
  _mm512_store_ps(inv, _mm512_maskz_div_ps(_mm512_cmp_ps_mask(s, zero, _CMP_NEQ_UQ), _mm512_set1_ps(1.0f), s));

  // codes with the chosen scale
  for (int b = 0; b < nb; b++) {
    const float* xb = w + 32 * b;
    const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);
    if (sc[b] == 0) {
      std::memset(idx[b], cx.zero_idx, 32);
      err[b] = am[b] == 0 ? 0.0f : sum_g(_mm512_add_ps(_mm512_mul_ps(x0, x0), _mm512_mul_ps(x1, x1)));
      continue;
    }
    const __m512 iv = _mm512_set1_ps(inv[b]), sv = _mm512_set1_ps(sc[b]);
    const __m512i i0 = cx.nearest(_mm512_mul_ps(x0, iv)), i1 = cx.nearest(_mm512_mul_ps(x1, iv));
    store32(idx[b], i0, i1);
    const __m512 d0 = _mm512_sub_ps(x0, _mm512_mul_ps(sv, _mm512_permutexvar_ps(i0, cx.L)));
    const __m512 d1 = _mm512_sub_ps(x1, _mm512_mul_ps(sv, _mm512_permutexvar_ps(i1, cx.L)));
    err[b] = sum_g(_mm512_add_ps(_mm512_mul_ps(d0, d0), _mm512_mul_ps(d1, d1)));
  }
}

void qins4_assign(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t (*idx)[32], float* scale, float* err) {
  const Q4Ctx cx(tb);
  uint16_t h[kGroup];
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    qins4_group(w + 32 * g0, nb, cx, tb, search, idx + g0, h, err + g0);
    for (int b = 0; b < nb; b++) scale[g0 + b] = half_f32(h[b]);
  }
}

void qins4_blocks(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  const Q4Ctx cx(tb);
  alignas(64) uint8_t idx[kGroup][32];
  float err[kGroup];
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    qins4_group(w + 32 * g0, nb, cx, tb, search, idx, scales + g0, err);
    for (int b = 0; b < nb; b++) {
      const float* xb = w + 32 * (g0 + b);
      acc.errsq += err[b];
      const __m128i lo = _mm_load_si128(reinterpret_cast<const __m128i*>(idx[b]));
      const __m128i hi = _mm_load_si128(reinterpret_cast<const __m128i*>(idx[b] + 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + 16 * (g0 + b)), _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
      const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);
      acc.sumsq += sum_g(_mm512_add_ps(_mm512_mul_ps(x0, x0), _mm512_mul_ps(x1, x1)));
      acc.amax = std::max(acc.amax, hmax(_mm512_max_ps(vabs(x0), vabs(x1))));
    }
  }
  acc_out = acc;
}

}  // namespace

const EncoderSet& avx512_encoders() {
  static const EncoderSet set = {"avx512", q8_blocks, qins8_blocks, q4_blocks, qins4_blocks, qins4_assign, crc32_pclmul};
  return set;
}

}  // namespace qins::codecs
