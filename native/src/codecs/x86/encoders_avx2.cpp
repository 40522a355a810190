// AVX2 (+ FMA + F16C, no AVX-512) block-of-32 encoders. Compiled with the AVX2 flags of
// tools/sources.cjs and -ffp-contract=off; called only when dispatch reports AVX2. Each mirrors its
// generic twin in encoders.cpp operation by operation (same float operations, same rounding, block
// sums in the sum32 order), so codes, scales and error sums are identical. A block of 32 is four
// vectors of 8: v0 = w[0..7], v1 = w[8..15], v2 = w[16..23], v3 = w[24..31].
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "codecs/encoders.h"
#include "kernels/half.h"

namespace qins::codecs {
namespace {

constexpr int kGroup = 8;  // blocks whose scales are computed together (one lane each)

inline __m256 vabs(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
inline __m256 round_even(__m256 v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

/** b where m's sign bit is set, else a: one vblendvps. (_mm256_blendv_ps with a comparison mask
 *  used twice makes GCC 12 re-derive the sign with an extra vpcmpgtd before each use.) */
inline __m256 select(__m256 a, __m256 b, __m256 m) {
  __m256 r;
  __asm__("vblendvps %3, %2, %1, %0" : "=x"(r) : "x"(a), "xm"(b), "x"(m));
  return r;
}

/** Lane l of sum32's first step: (v[l] + v[l+16]) + (v[l+8] + v[l+24]). */
inline __m256 fold(__m256 v0, __m256 v1, __m256 v2, __m256 v3) { return _mm256_add_ps(_mm256_add_ps(v0, v2), _mm256_add_ps(v1, v3)); }

/** The rest of sum32 from the 8 lanes p. */
inline float sum_p(__m256 p) {
  const __m128 q = _mm_add_ps(_mm256_castps256_ps128(p), _mm256_extractf128_ps(p, 1));
  const __m128 r = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(r, _mm_movehdup_ps(r)));
}

/** sum32 of four blocks given their p vectors: {a, b, c, d}. */
inline void sum_p4(__m256 a, __m256 b, __m256 c, __m256 d, float out[4]) {
  __m256 ab = _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));  // q_a | q_b
  __m256 cd = _mm256_add_ps(_mm256_permute2f128_ps(c, d, 0x20), _mm256_permute2f128_ps(c, d, 0x31));  // q_c | q_d
  ab = _mm256_add_ps(ab, _mm256_permute_ps(ab, 0x4E));  // r0 = q0 + q2, r1 = q1 + q3
  cd = _mm256_add_ps(cd, _mm256_permute_ps(cd, 0x4E));
  ab = _mm256_add_ps(ab, _mm256_permute_ps(ab, 0xB1));  // r0 + r1
  cd = _mm256_add_ps(cd, _mm256_permute_ps(cd, 0xB1));
  alignas(32) float ta[8], tc[8];
  _mm256_store_ps(ta, ab);
  _mm256_store_ps(tc, cd);
  out[0] = ta[0];
  out[1] = ta[4];
  out[2] = tc[0];
  out[3] = tc[4];
}

/**
 * sum32 of eight blocks given their p vectors, one lane per block (lane b = sum_p(p[b])), in
 * sum_p's order: halves lo + hi of two blocks per step, then (q0 + q2) + (q1 + q3) inside each
 * 128-bit half: 22 instructions for eight sums.
 */
inline __m256 sum_p8(const __m256* p) {
  __m256 q[4];
  for (int i = 0; i < 4; i++)  // q of block 2i | q of block 2i + 1
    q[i] = _mm256_add_ps(_mm256_permute2f128_ps(p[2 * i], p[2 * i + 1], 0x20), _mm256_permute2f128_ps(p[2 * i], p[2 * i + 1], 0x31));
  // half h: r0 = q0 + q2, r1 = q1 + q3 of blocks h, 2 + h (u01) and 4 + h, 6 + h (u23)
  const __m256 u01 = _mm256_add_ps(_mm256_shuffle_ps(q[0], q[1], 0x44), _mm256_shuffle_ps(q[0], q[1], 0xEE));
  const __m256 u23 = _mm256_add_ps(_mm256_shuffle_ps(q[2], q[3], 0x44), _mm256_shuffle_ps(q[2], q[3], 0xEE));
  // half h, lane i: r0 + r1 of block 2i + h; then lane b = block b
  const __m256 f = _mm256_add_ps(_mm256_shuffle_ps(u01, u23, 0x88), _mm256_shuffle_ps(u01, u23, 0xDD));
  return _mm256_permutevar8x32_ps(f, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/** Adds blocks' error and weight sums to acc in block order, reducing two blocks at a time. */
struct PairSums {
  __m256 e, x;
  bool held = false;
  void add(__m256 pe, __m256 px, BlockSums& acc) {
    if (!held) {
      e = pe;
      x = px;
      held = true;
      return;
    }
    float r[4];
    sum_p4(e, x, pe, px, r);
    acc.errsq += r[0];
    acc.sumsq += r[1];
    acc.errsq += r[2];
    acc.sumsq += r[3];
    held = false;
  }
  void flush(BlockSums& acc) {
    if (!held) return;
    acc.errsq += sum_p(e);
    acc.sumsq += sum_p(x);
    held = false;
  }
};

inline __m256 sq(__m256 v) { return _mm256_mul_ps(v, v); }
inline __m256 fold_sq(const __m256 v[4]) { return fold(sq(v[0]), sq(v[1]), sq(v[2]), sq(v[3])); }

inline float hmax(const __m256 a[4]) {
  const __m256 m = _mm256_max_ps(_mm256_max_ps(a[0], a[1]), _mm256_max_ps(a[2], a[3]));
  __m128 r = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  r = _mm_max_ps(r, _mm_movehl_ps(r, r));
  return _mm_cvtss_f32(_mm_max_ss(r, _mm_movehdup_ps(r)));
}

/** First index of the block's largest |w| (the generic loop keeps the first strict maximum). */
inline int first_max(const __m256 a[4], float amax) {
  const __m256 m = _mm256_set1_ps(amax);
  uint32_t k = 0;
  for (int i = 0; i < 4; i++) k |= static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(a[i], m, _CMP_EQ_OQ))) << (8 * i);
  return k ? __builtin_ctz(k) : 0;
}

/** scale_half(x) of 8 lanes (the first n stored to h) and its float value half_f32(h). */
inline __m256 half_scales(__m256 x, uint16_t* h, int n) {
  x = _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q));  // NaN -> 0
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-kHalfMax)), _mm256_set1_ps(kHalfMax));
  const __m128i hv = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  alignas(16) uint16_t tmp[8];
  _mm_store_si128(reinterpret_cast<__m128i*>(tmp), hv);
  std::memcpy(h, tmp, 2 * n);
  return _mm256_cvtph_ps(hv);
}

inline void load4(const float* x, __m256 v[4]) {
  for (int i = 0; i < 4; i++) v[i] = _mm256_loadu_ps(x + 8 * i);
}

/** 32 int32 lanes (values 0..255 or -127..127) to 32 bytes, in order. */
inline __m256i bytes32(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);  // a0-3 b0-3 | a4-7 b4-7
  const __m256i all = _mm256_packs_epi16(ab, cd);                              // a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7
  return _mm256_permutevar8x32_epi32(all, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
/** Unsigned variant (values 0..255). */
inline __m256i ubytes32(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
  const __m256i all = _mm256_packus_epi16(ab, cd);
  return _mm256_permutevar8x32_epi32(all, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
/** 16 int32 lanes (values 0..255) to 16 bytes, in order. */
inline __m128i ubytes16(__m256i a, __m256i b) {
  const __m256i ab = _mm256_packs_epi32(a, b);      // a0-3 b0-3 | a4-7 b4-7 (int16)
  const __m256i p = _mm256_packus_epi16(ab, ab);    // a0-3 b0-3 a0-3 b0-3 | a4-7 b4-7 ...
  return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0)));
}

// ---------------------------------------------------------------------------------------------
// q8

void q8_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f), zero = _mm256_setzero_ps();
  PairSums sums;
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    alignas(32) float am[kGroup] = {}, inv[kGroup], step[kGroup];
    for (int b = 0; b < nb; b++) {
      __m256 a[4];
      load4(w + 32 * (g0 + b), a);
      for (auto& v : a) v = vabs(v);
      am[b] = hmax(a);
    }
    const __m256 s = half_scales(_mm256_load_ps(am), scales + g0, nb);
    _mm256_store_ps(inv, _mm256_and_ps(_mm256_cmp_ps(s, zero, _CMP_GT_OQ), _mm256_div_ps(hi, s)));
    _mm256_store_ps(step, _mm256_div_ps(s, hi));
    for (int b = 0; b < nb; b++) {
      __m256 x[4], d[4];
      __m256i q[4];
      load4(w + 32 * (g0 + b), x);
      const __m256 iv = _mm256_set1_ps(inv[b]), st = _mm256_set1_ps(step[b]);
      for (int i = 0; i < 4; i++) {
        const __m256 qf = _mm256_min_ps(_mm256_max_ps(round_even(_mm256_mul_ps(x[i], iv)), lo), hi);
        q[i] = _mm256_cvtps_epi32(qf);
        d[i] = _mm256_sub_ps(x[i], _mm256_mul_ps(qf, st));
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + 32 * (g0 + b)), bytes32(q[0], q[1], q[2], q[3]));
      sums.add(fold_sq(d), fold_sq(x), acc);
      acc.amax = std::max(acc.amax, am[b]);
    }
  }
  sums.flush(acc);
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// qins8

void qins8_blocks(const float* w, int nblocks, const Qins8Table& tb, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  constexpr int S = Qins8Table::kSegments;
  const __m256 AF = _mm256_loadu_ps(tb.Af), TF = _mm256_loadu_ps(tb.Tf), IE = _mm256_loadu_ps(tb.invE), zero = _mm256_setzero_ps();
  __m256 start[S];
  for (int m = 1; m < S; m++) start[m] = _mm256_set1_ps(tb.Af[m]);
  const __m256i ione = _mm256_set1_epi32(1), i15 = _mm256_set1_epi32(Qins8Table::kSteps - 1), last = _mm256_set1_epi32(S - 1);
  const __m256i i128 = _mm256_set1_epi32(128), izero = _mm256_setzero_si256();
  const __m256 sixteen = _mm256_set1_ps(16.0f);
  PairSums sums;
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    alignas(32) float am[kGroup] = {}, sc[kGroup], inv[kGroup];
    for (int b = 0; b < nb; b++) {
      __m256 a[4];
      load4(w + 32 * (g0 + b), a);
      for (auto& v : a) v = vabs(v);
      am[b] = hmax(a);
    }
    const __m256 s = half_scales(_mm256_load_ps(am), scales + g0, nb);
    _mm256_store_ps(sc, s);
    _mm256_store_ps(inv, _mm256_and_ps(_mm256_cmp_ps(s, zero, _CMP_GT_OQ), _mm256_div_ps(_mm256_set1_ps(tb.denom), s)));
    for (int b = 0; b < nb; b++) {
      uint8_t* cb = codes + 32 * (g0 + b);
      __m256 v[4];
      load4(w + 32 * (g0 + b), v);
      const __m256 px = fold_sq(v);
      acc.amax = std::max(acc.amax, am[b]);
      if (!(sc[b] > 0)) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(cb), _mm256_setzero_si256());
        sums.add(px, px, acc);
        continue;
      }
      const __m256 iv = _mm256_set1_ps(inv[b]), sv = _mm256_set1_ps(sc[b]);
      __m256i code[4];
      __m256 d[4];
      for (int i = 0; i < 4; i++) {
        const __m256 y = _mm256_mul_ps(vabs(v[i]), iv);
        __m256i seg = izero;
        for (int m = 1; m < S; m++) seg = _mm256_sub_epi32(seg, _mm256_castps_si256(_mm256_cmp_ps(y, start[m], _CMP_GE_OQ)));
        const __m256 t = _mm256_min_ps(_mm256_mul_ps(_mm256_sub_ps(y, _mm256_permutevar8x32_ps(AF, seg)), _mm256_permutevar8x32_ps(IE, seg)),
                                       sixteen);
        __m256i j = _mm256_cvtps_epi32(round_even(t));
        const __m256i over = _mm256_cmpgt_epi32(j, i15);
        j = _mm256_min_epi32(j, i15);
        // seg + 1 = 8 wraps to entry 0 in the permute; such lanes are excluded by seg < 7
        const __m256 up = _mm256_sub_ps(_mm256_permutevar8x32_ps(AF, _mm256_add_epi32(seg, ione)), y);
        const __m256 down = _mm256_sub_ps(y, _mm256_permutevar8x32_ps(TF, seg));
        const __m256i next = _mm256_and_si256(_mm256_and_si256(over, _mm256_cmpgt_epi32(last, seg)),
                                              _mm256_castps_si256(_mm256_cmp_ps(up, down, _CMP_LT_OQ)));
        seg = _mm256_sub_epi32(seg, next);
        j = _mm256_andnot_si256(next, j);
        const __m256i k = _mm256_add_epi32(_mm256_slli_epi32(seg, 4), j);
        const __m256 negf = _mm256_cmp_ps(v[i], zero, _CMP_LT_OQ);
        const __m256i signbit = _mm256_andnot_si256(_mm256_cmpeq_epi32(k, izero), _mm256_and_si256(_mm256_castps_si256(negf), i128));
        code[i] = _mm256_or_si256(k, signbit);
        const __m256 r = _mm256_mul_ps(sv, _mm256_i32gather_ps(tb.lev, k, 4));
        const __m256 rec = _mm256_xor_ps(r, _mm256_and_ps(negf, _mm256_set1_ps(-0.0f)));  // neg ? -r : r
        d[i] = _mm256_sub_ps(v[i], rec);
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(cb), ubytes32(code[0], code[1], code[2], code[3]));
      sums.add(fold_sq(d), px, acc);
    }
  }
  sums.flush(acc);
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// q4

void q4_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  const __m256 half = _mm256_set1_ps(8.5f), zero = _mm256_setzero_ps(), fifteen = _mm256_set1_ps(15.0f), eightf = _mm256_set1_ps(8.0f);
  const __m256i eight = _mm256_set1_epi32(8);
  PairSums sums;
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    alignas(32) float am[kGroup] = {}, neg_mx[kGroup] = {}, ids[kGroup], steps[kGroup];
    for (int b = 0; b < nb; b++) {
      const float* x = w + 32 * (g0 + b);
      __m256 a[4];
      load4(x, a);
      for (auto& v : a) v = vabs(v);
      am[b] = hmax(a);
      neg_mx[b] = -(am[b] > 0 ? x[first_max(a, am[b])] : 0.0f);
    }
    const __m256 s = half_scales(_mm256_load_ps(neg_mx), scales + g0, nb);
    _mm256_store_ps(ids, _mm256_and_ps(_mm256_cmp_ps(s, zero, _CMP_NEQ_UQ), _mm256_div_ps(eightf, s)));
    _mm256_store_ps(steps, _mm256_div_ps(s, eightf));
    for (int b = 0; b < nb; b++) {
      __m256 x[4], d[4];
      __m256i q[4];
      load4(w + 32 * (g0 + b), x);
      const __m256 id = _mm256_set1_ps(ids[b]), step = _mm256_set1_ps(steps[b]);
      for (int i = 0; i < 4; i++) {
        const __m256 qf = _mm256_min_ps(fifteen, _mm256_max_ps(zero, _mm256_add_ps(_mm256_mul_ps(x[i], id), half)));
        q[i] = _mm256_cvttps_epi32(qf);
        d[i] = _mm256_sub_ps(x[i], _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q[i], eight)), step));
      }
      const __m256i n0 = _mm256_or_si256(q[0], _mm256_slli_epi32(q[2], 4)), n1 = _mm256_or_si256(q[1], _mm256_slli_epi32(q[3], 4));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + 16 * (g0 + b)), ubytes16(n0, n1));
      sums.add(fold_sq(d), fold_sq(x), acc);
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
  __m256 L_lo, L_hi, T_lo, T_hi;  // T[15] = +inf
  __m256i lut_a, lut_b;           // bytes lut[0..15] / lut[16..31] in both 128-bit lanes
  __m256 lo, scale, top, zero;
  __m256 t3, t7, t11, t_odd, t_even;  // T[3], T[7], T[11]; T[1], T[5], T[9], T[13]; T[0], T[2], ..., T[14]
  bool fast;
  int zero_idx;
  explicit Q4Ctx(const Table16& tb) {
    alignas(32) float tpad[16];
    for (int j = 0; j < 15; j++) tpad[j] = tb.T[j];
    tpad[15] = INFINITY;
    T_lo = _mm256_load_ps(tpad);
    T_hi = _mm256_load_ps(tpad + 8);
    L_lo = _mm256_loadu_ps(tb.L);
    L_hi = _mm256_loadu_ps(tb.L + 8);
    alignas(16) uint8_t la[16], lb[16];
    for (int j = 0; j < 16; j++) {
      la[j] = static_cast<uint8_t>(tb.lut[j]);
      lb[j] = static_cast<uint8_t>(tb.lut[16 + j]);
    }
    lut_a = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(la)));
    lut_b = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(lb)));
    lo = _mm256_set1_ps(tb.lut_lo);
    scale = _mm256_set1_ps(tb.lut_scale);
    top = _mm256_set1_ps(31.0f);
    zero = _mm256_setzero_ps();
    t3 = _mm256_set1_ps(tb.T[3]);
    t7 = _mm256_set1_ps(tb.T[7]);
    t11 = _mm256_set1_ps(tb.T[11]);
    t_odd = _mm256_setr_ps(tb.T[1], tb.T[5], tb.T[9], tb.T[13], 0, 0, 0, 0);
    t_even = _mm256_setr_ps(tb.T[0], tb.T[2], tb.T[4], tb.T[6], tb.T[8], tb.T[10], tb.T[12], tb.T[14]);
    fast = tb.lut_ok;
    zero_idx = tb.zero;
  }
  /** A 16-entry float table (lo, hi halves) at index i (0..15). */
  static __m256 lookup(__m256 lo8, __m256 hi8, __m256i i) {
    return select(_mm256_permutevar8x32_ps(lo8, i), _mm256_permutevar8x32_ps(hi8, i), _mm256_castsi256_ps(_mm256_slli_epi32(i, 28)));
  }
  /** Table16::nearest for 8 lanes: the bucket table (one lookup, one comparison) or its binary search
   *  over the thresholds (T[7], then T[i + 3], T[i + 1], T[i]), each step's threshold from a small table. */
  __m256i nearest(__m256 y) const {
    if (fast) {
      __m256 u = _mm256_mul_ps(_mm256_sub_ps(y, lo), scale);
      u = _mm256_min_ps(_mm256_max_ps(u, zero), top);  // NaN -> bucket 0
      const __m256i b = _mm256_cvttps_epi32(u);
      const __m256i bi = _mm256_or_si256(b, _mm256_set1_epi32(static_cast<int>(0x80808000u)));  // upper bytes -> 0
      const __m256i i0 = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(_mm256_shuffle_epi8(lut_a, bi)),
                                                              _mm256_castsi256_ps(_mm256_shuffle_epi8(lut_b, bi)),
                                                              _mm256_castsi256_ps(_mm256_slli_epi32(b, 27))));
      return _mm256_sub_epi32(i0, _mm256_castps_si256(_mm256_cmp_ps(y, lookup(T_lo, T_hi, i0), _CMP_GT_OQ)));
    }
    const __m256 m8 = _mm256_cmp_ps(y, t7, _CMP_GT_OQ);
    __m256i i = _mm256_and_si256(_mm256_castps_si256(m8), _mm256_set1_epi32(8));
    const __m256 m4 = _mm256_cmp_ps(y, _mm256_blendv_ps(t3, t11, m8), _CMP_GT_OQ);  // T[i + 3], i = 0 or 8
    i = _mm256_add_epi32(i, _mm256_and_si256(_mm256_castps_si256(m4), _mm256_set1_epi32(4)));
    const __m256 m2 = _mm256_cmp_ps(y, _mm256_permutevar8x32_ps(t_odd, _mm256_srli_epi32(i, 2)), _CMP_GT_OQ);  // T[i + 1], i = 0, 4, 8, 12
    i = _mm256_add_epi32(i, _mm256_and_si256(_mm256_castps_si256(m2), _mm256_set1_epi32(2)));
    const __m256 m1 = _mm256_cmp_ps(y, _mm256_permutevar8x32_ps(t_even, _mm256_srli_epi32(i, 1)), _CMP_GT_OQ);  // T[i], i even
    return _mm256_sub_epi32(i, _mm256_castps_si256(m1));
  }
  __m256 level(__m256i i) const { return lookup(L_lo, L_hi, i); }
};

/**
 * qins4_block_generic for up to 8 blocks of 32 at once, in phases so that the blocks' work
 * overlaps: each block's extreme, then each block's candidate sums, then the candidate choice for
 * all blocks as vectors (one lane per block: the generic sequential comparisons, unchanged), then
 * each block's codes. Out: code indices (unpacked), fp16 scales, Σ(w − ŵ)² per block.
 */
void qins4_group(const float* w, int nb, const Q4Ctx& cx, const Table16& tb, Q4Search search, uint8_t (*idx)[32], uint16_t* h, float* err) {
  const __m256 zero = _mm256_setzero_ps();
  alignas(32) float am[kGroup] = {}, mx[kGroup] = {}, id0s[kGroup];
  for (int b = 0; b < nb; b++) {
    const float* x = w + 32 * b;
    __m256 a[4];
    load4(x, a);
    for (auto& v : a) v = vabs(v);
    am[b] = hmax(a);
    if (am[b] > 0) mx[b] = x[first_max(a, am[b])];
  }
  const __m256 livef = _mm256_cmp_ps(_mm256_load_ps(am), zero, _CMP_NEQ_UQ);
  const int live = _mm256_movemask_ps(livef) & ((1 << nb) - 1);
  _mm256_store_ps(id0s, _mm256_and_ps(livef, _mm256_div_ps(_mm256_set1_ps(tb.L[0]), _mm256_load_ps(mx))));  // L[0] / mx

  // candidate sums, [candidate][block]
  const int n = search.n, m = 2 * n + 1;
  const bool weighted = search.weighting != Weighting::None;
  alignas(32) float sqx[kMaxQ4Candidates][kGroup], sq2[kMaxQ4Candidates][kGroup], f[kMaxQ4Candidates];
  // the bracket of each block (entries lo or lo + 1 for every mapping between id_min and id_max)
  struct Bracket {
    __m256i lo[4];
    __m256 thr[4], q0[4], q1[4];
    float id_min, id_max;
    bool ok;
  };
  Bracket br[kGroup];
  for (int c = 0; c < m; c++) f[c] = 1.0f + static_cast<float>(c - n) / 127.0f;  // candidate t = c - n maps by id0 · f
  // The blocks' p vectors of up to kSlice candidates, then their sums one lane per block (sum_p8).
  constexpr int kSlice = 16;
  alignas(32) __m256 px[kSlice][kGroup], p2[kSlice][kGroup];
  for (int c0 = 0; c0 < m; c0 += kSlice) {
    const int cn = std::min(kSlice, m - c0);
    for (int b = 0; b < kGroup; b++) {
      br[b].ok = false;
      if (!((live >> b) & 1)) {  // no candidates: lanes the choice below leaves alone
        for (int c = 0; c < cn; c++) px[c][b] = p2[c][b] = zero;
        continue;
      }
      const float id0 = id0s[b];
      __m256 x[4], wt[4];
      load4(w + 32 * b, x);
      if (search.weighting == Weighting::Square) {
        for (int i = 0; i < 4; i++) wt[i] = sq(x[i]);
      } else if (search.weighting == Weighting::Sigma) {
        __m256 xx[4];
        for (int i = 0; i < 4; i++) xx[i] = sq(x[i]);
        const float s2 = 2.0f * sum_p(fold(xx[0], xx[1], xx[2], xx[3])) / 32.0f;  // block_weights(): 2·Σw²/n, sqrt(σ² + w²)
        const __m256 sv = _mm256_set1_ps(s2);
        for (int i = 0; i < 4; i++) wt[i] = _mm256_sqrt_ps(_mm256_add_ps(sv, xx[i]));
      }
      auto mapping = [&](int t) { return _mm256_set1_ps(id0 * f[t + n]); };
      // Each weight's mapped value x·id moves monotonically with t, so its nearest entry lies between
      // those of the two outermost candidates. When they differ by at most one in every lane (almost
      // always), a candidate's entry is the lower one or the next, by one comparison with the
      // threshold between them, and the products wt·q·x, wt·q·q of both are computed once.
      Bracket& bk = br[b];
      bk.ok = false;
      bool& bracket = bk.ok;
      __m256* thr = bk.thr;
      __m256 ax0[4], ax1[4], a20[4], a21[4];
      if (n > 0) {
        const float fa = id0 * f[0], fb = id0 * f[m - 1];
        const __m256 id_lo = _mm256_set1_ps(fa), id_hi = _mm256_set1_ps(fb);
        bk.id_min = std::min(fa, fb);
        bk.id_max = std::max(fa, fb);
        __m256 outside = _mm256_setzero_ps();
        for (int i = 0; i < 4; i++) {
          const __m256 ya = _mm256_mul_ps(x[i], id_lo), yb = _mm256_mul_ps(x[i], id_hi);
          const __m256i lo = cx.nearest(_mm256_min_ps(ya, yb));
          // every candidate's entry is lo or lo + 1 when the larger end is not above T[lo + 1] (T[15] = +inf)
          const __m256i up = _mm256_min_epi32(_mm256_add_epi32(lo, _mm256_set1_epi32(1)), _mm256_set1_epi32(15));
          outside = _mm256_or_ps(outside, _mm256_cmp_ps(_mm256_max_ps(ya, yb), Q4Ctx::lookup(cx.T_lo, cx.T_hi, up), _CMP_GT_OQ));
          thr[i] = Q4Ctx::lookup(cx.T_lo, cx.T_hi, lo);
          // lo + 1 = 16 reads entry 0: such lanes never move up (their threshold is +inf)
          const __m256 q0 = cx.level(lo), q1 = cx.level(_mm256_add_epi32(lo, _mm256_set1_epi32(1)));
          bk.lo[i] = lo;
          bk.q0[i] = q0;
          bk.q1[i] = q1;
          const __m256 wq0 = weighted ? _mm256_mul_ps(q0, wt[i]) : q0, wq1 = weighted ? _mm256_mul_ps(q1, wt[i]) : q1;
          ax0[i] = _mm256_mul_ps(wq0, x[i]);
          ax1[i] = _mm256_mul_ps(wq1, x[i]);
          a20[i] = _mm256_mul_ps(wq0, q0);
          a21[i] = _mm256_mul_ps(wq1, q1);
        }
        bracket = _mm256_movemask_ps(outside) == 0;
      }
      // p vectors of Σ wt·q·x and Σ wt·q² for one candidate mapping (outside the bracket)
      auto sums = [&](int t, __m256& pqx, __m256& pq2) __attribute__((always_inline)) {
        const __m256 id = mapping(t);
        __m256 ax[4], a2[4];
        for (int i = 0; i < 4; i++) {
          const __m256 q = cx.level(cx.nearest(_mm256_mul_ps(x[i], id)));
          const __m256 wq = weighted ? _mm256_mul_ps(q, wt[i]) : q;
          ax[i] = _mm256_mul_ps(wq, x[i]);
          a2[i] = _mm256_mul_ps(wq, q);
        }
        pqx = fold(ax[0], ax[1], ax[2], ax[3]);
        pq2 = fold(a2[0], a2[1], a2[2], a2[3]);
      };
      if (bracket) {
        // fold's order, (v0 + v2) + (v1 + v3): quarters 0 and 2 for every candidate, then 1 and 3,
        // so that one pass holds half the bracket's vectors in registers
        alignas(32) float idc[kSlice];
        for (int c = 0; c < cn; c++) idc[c] = id0 * f[c0 + c];  // mapping(c0 + c - n)
        for (int h = 0; h < 2; h++) {
          const int i = h, k = h + 2;
          for (int c = 0; c < cn; c++) {
            const __m256 id = _mm256_broadcast_ss(&idc[c]);
            const __m256 ui = _mm256_cmp_ps(_mm256_mul_ps(x[i], id), thr[i], _CMP_GT_OQ);
            const __m256 uk = _mm256_cmp_ps(_mm256_mul_ps(x[k], id), thr[k], _CMP_GT_OQ);
            const __m256 sx = _mm256_add_ps(select(ax0[i], ax1[i], ui), select(ax0[k], ax1[k], uk));
            const __m256 s2 = _mm256_add_ps(select(a20[i], a21[i], ui), select(a20[k], a21[k], uk));
            px[c][b] = h == 0 ? sx : _mm256_add_ps(px[c][b], sx);
            p2[c][b] = h == 0 ? s2 : _mm256_add_ps(p2[c][b], s2);
          }
        }
      } else {
        for (int c = 0; c < cn; c++) sums(c0 + c - n, px[c][b], p2[c][b]);
      }
    }
    for (int c = 0; c < cn; c++) {
      _mm256_store_ps(sqx[c0 + c], sum_p8(px[c]));
      _mm256_store_ps(sq2[c0 + c], sum_p8(p2[c]));
    }
  }

  // the candidate choice of every block (qins4_block_generic's comparisons, one lane per block)
  __m256 best = _mm256_set1_ps(-1.0f), best_d = zero;
  for (int c = 0; c < m; c++) {
    const __m256 vx = _mm256_load_ps(sqx[c]), v2 = _mm256_load_ps(sq2[c]);
    const __m256 xx = _mm256_mul_ps(vx, vx);
    const __m256 win = _mm256_and_ps(_mm256_cmp_ps(v2, zero, _CMP_GT_OQ), _mm256_cmp_ps(xx, _mm256_mul_ps(best, v2), _CMP_GT_OQ));
    if (_mm256_movemask_ps(win) == 0) continue;
    best = _mm256_blendv_ps(best, _mm256_div_ps(xx, v2), win);
    best_d = _mm256_blendv_ps(best_d, _mm256_div_ps(vx, v2), win);
  }
  alignas(32) float sc[kGroup], inv[kGroup];
  const __m256 s = _mm256_and_ps(livef, half_scales(best_d, h, nb));
  _mm256_store_ps(sc, s);
  _mm256_store_ps(inv, _mm256_and_ps(_mm256_cmp_ps(s, zero, _CMP_NEQ_UQ), _mm256_div_ps(_mm256_set1_ps(1.0f), s)));

  // codes with the chosen scale
  for (int b = 0; b < nb; b++) {
    __m256 x[4];
    load4(w + 32 * b, x);
    if (sc[b] == 0) {
      std::memset(idx[b], cx.zero_idx, 32);
      err[b] = am[b] == 0 ? 0.0f : sum_p(fold_sq(x));
      continue;
    }
    const __m256 iv = _mm256_set1_ps(inv[b]), sv = _mm256_set1_ps(sc[b]);
    __m256i qi[4];
    __m256 d[4];
    const Bracket& bk = br[b];
    if (bk.ok && inv[b] >= bk.id_min && inv[b] <= bk.id_max) {  // x·inv lies within the bracket: lo or lo + 1
      for (int i = 0; i < 4; i++) {
        const __m256 up = _mm256_cmp_ps(_mm256_mul_ps(x[i], iv), bk.thr[i], _CMP_GT_OQ);
        qi[i] = _mm256_sub_epi32(bk.lo[i], _mm256_castps_si256(up));
        d[i] = _mm256_sub_ps(x[i], _mm256_mul_ps(sv, select(bk.q0[i], bk.q1[i], up)));
      }
    } else {
      for (int i = 0; i < 4; i++) {
        qi[i] = cx.nearest(_mm256_mul_ps(x[i], iv));
        d[i] = _mm256_sub_ps(x[i], _mm256_mul_ps(sv, cx.level(qi[i])));
      }
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx[b]), ubytes32(qi[0], qi[1], qi[2], qi[3]));
    err[b] = sum_p(fold_sq(d));
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
  alignas(32) uint8_t idx[kGroup][32];
  float err[kGroup];
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    qins4_group(w + 32 * g0, nb, cx, tb, search, idx, scales + g0, err);
    for (int b = 0; b < nb; b++) {
      acc.errsq += err[b];
      const __m128i lo = _mm_load_si128(reinterpret_cast<const __m128i*>(idx[b]));
      const __m128i hi = _mm_load_si128(reinterpret_cast<const __m128i*>(idx[b] + 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + 16 * (g0 + b)), _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
      __m256 x[4], a[4];
      load4(w + 32 * (g0 + b), x);
      acc.sumsq += sum_p(fold_sq(x));
      for (int i = 0; i < 4; i++) a[i] = vabs(x[i]);
      acc.amax = std::max(acc.amax, hmax(a));
    }
  }
  acc_out = acc;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// CRC-32 by carry-less multiplication: four 128-bit lanes fold 64 bytes per step (x^512 mod P),
// then fold into one lane (x^128 mod P), reduce 128 -> 64 -> 32 bits and finish with a Barrett
// reduction (Gopal, Ozturk et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ",
// Intel 2009; constants for the bit-reflected polynomial 0xEDB88320). Tails go to the generic code.

namespace {
inline __m128i fold(__m128i a, __m128i k) { return _mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00), _mm_clmulepi64_si128(a, k, 0x11)); }
inline __m128i load16(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
}  // namespace

uint32_t crc32_pclmul(uint32_t crc, const uint8_t* p, size_t n) {
  if (n < 64) return crc32_generic(crc, p, n);
  const size_t body = n & ~static_cast<size_t>(15);
  const __m128i k512 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);  // x^(512+32) and x^(512-32) mod P, reflected
  const __m128i k128 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);  // the same for 128
  const __m128i k64 = _mm_set_epi64x(0, 0x163cd6124);
  const __m128i barrett = _mm_set_epi64x(0x1f7011641, 0x1db710641);  // mu, P
  const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);
  __m128i a = _mm_xor_si128(load16(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i b = load16(p + 16), c = load16(p + 32), d = load16(p + 48);
  size_t i = 64;
  for (; i + 64 <= body; i += 64) {
    a = _mm_xor_si128(fold(a, k512), load16(p + i));
    b = _mm_xor_si128(fold(b, k512), load16(p + i + 16));
    c = _mm_xor_si128(fold(c, k512), load16(p + i + 32));
    d = _mm_xor_si128(fold(d, k512), load16(p + i + 48));
  }
  a = _mm_xor_si128(fold(a, k128), b);
  a = _mm_xor_si128(fold(a, k128), c);
  a = _mm_xor_si128(fold(a, k128), d);
  for (; i < body; i += 16) a = _mm_xor_si128(fold(a, k128), load16(p + i));
  // 128 -> 64 bits
  a = _mm_xor_si128(_mm_srli_si128(a, 8), _mm_clmulepi64_si128(a, k128, 0x10));
  // 64 -> 32 bits
  a = _mm_xor_si128(_mm_srli_si128(a, 4), _mm_clmulepi64_si128(_mm_and_si128(a, low32), k64, 0x00));
  // Barrett reduction
  __m128i t = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(a, low32), barrett, 0x10), low32);
  a = _mm_xor_si128(a, _mm_clmulepi64_si128(t, barrett, 0x00));
  const uint32_t state = static_cast<uint32_t>(_mm_extract_epi32(a, 1));
  return crc32_generic(~state, p + body, n - body);
}

const EncoderSet& avx2_encoders() {
  static const EncoderSet set = {"avx2", q8_blocks, qins8_blocks, q4_blocks, qins4_blocks, qins4_assign, crc32_pclmul};
  return set;
}

}  // namespace qins::codecs
