// AVX-512 (F, DQ, BW, VL) encoders for blocks of 32 weights. Compiled with baseline flags; the
// functions carry target attributes and are only called when best_isa() reports AVX-512. Each
// mirrors its scalar twin in encoders.cpp operation by operation (same float ops, same rounding),
// so codes are identical except where the qins4 scale search meets a near tie in its sums.
#include "encoders.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "half.h"

#define QINS_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))

namespace qins::codecs::avx512 {
namespace {

/** First index of the block's largest |w| (the scalar loop keeps the first strict maximum). */
QINS_AVX512 inline int first_max(__m512 a0, __m512 a1, float amax) {
  const __m512 m = _mm512_set1_ps(amax);
  const __mmask16 k0 = _mm512_cmp_ps_mask(a0, m, _CMP_EQ_OQ);
  if (k0) return __builtin_ctz(k0);
  const __mmask16 k1 = _mm512_cmp_ps_mask(a1, m, _CMP_EQ_OQ);
  return 16 + __builtin_ctz(k1);
}

QINS_AVX512 inline void store16(uint8_t* dst, __m512i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(v)); }

}  // namespace

QINS_AVX512 void q8_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, double& errsq, double& sumsq,
                           float& amax_out) {
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  for (int b = 0; b < nblocks; b++) {
    const float* x = w + 32 * b;
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    const uint16_t h = scale_to_f16(amax);
    const float s = f16_to_f32(h);
    scales[b] = h;
    const __m512 inv = _mm512_set1_ps(s > 0 ? 127.0f / s : 0.0f);
    const __m512 step = _mm512_set1_ps(s / 127.0f);
    __m512i q0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(x0, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512i q1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(x1, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q0 = _mm512_min_epi32(_mm512_max_epi32(q0, lo), hi);
    q1 = _mm512_min_epi32(_mm512_max_epi32(q1, lo), hi);
    store16(codes + 32 * b, q0);
    store16(codes + 32 * b + 16, q1);
    const __m512 d0 = _mm512_sub_ps(x0, _mm512_mul_ps(_mm512_cvtepi32_ps(q0), step));
    const __m512 d1 = _mm512_sub_ps(x1, _mm512_mul_ps(_mm512_cvtepi32_ps(q1), step));
    errsq += _mm512_reduce_add_ps(_mm512_fmadd_ps(d0, d0, _mm512_mul_ps(d1, d1)));
    sumsq += _mm512_reduce_add_ps(_mm512_fmadd_ps(x0, x0, _mm512_mul_ps(x1, x1)));
    amax_out = std::max(amax_out, amax);
  }
}

QINS_AVX512 void qins8_blocks(const float* w, int nblocks, const Qins8Table& tb, uint8_t* codes, uint16_t* scales,
                              double& errsq, double& sumsq, float& amax_out) {
  constexpr int S = Qins8Table::kSegments;
  alignas(64) float af[16] = {}, tf[16] = {}, ie[16] = {};
  for (int m = 0; m < S; m++) {
    af[m] = tb.Af[m];
    tf[m] = tb.Tf[m];
    ie[m] = tb.invE[m];
  }
  af[S] = af[S - 1];  // never chosen: the last segment has no next one
  const __m512 AF = _mm512_load_ps(af), TF = _mm512_load_ps(tf), IE = _mm512_load_ps(ie), zero = _mm512_setzero_ps();
  const __m512i ione = _mm512_set1_epi32(1), i15 = _mm512_set1_epi32(Qins8Table::kSteps - 1), last = _mm512_set1_epi32(S - 1);
  for (int b = 0; b < nblocks; b++) {
    const float* xb = w + 32 * b;
    const __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const uint16_t h = scale_to_f16(amax);
    const float s = f16_to_f32(h);
    scales[b] = h;
    amax_out = std::max(amax_out, amax);
    const __m512 ss = _mm512_fmadd_ps(v0, v0, _mm512_mul_ps(v1, v1));
    sumsq += _mm512_reduce_add_ps(ss);
    if (!(s > 0)) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + 32 * b), _mm256_setzero_si256());
      errsq += _mm512_reduce_add_ps(ss);
      continue;
    }
    const __m512 inv = _mm512_set1_ps(tb.denom / s), sv = _mm512_set1_ps(s);
    __m512 err = zero;
    for (int half = 0; half < 2; half++) {
      const __m512 v = half ? v1 : v0;
      const __m512 y = _mm512_mul_ps(_mm512_abs_ps(v), inv);
      __m512i seg = _mm512_setzero_si512();
      for (int m = 1; m < S; m++)
        seg = _mm512_mask_add_epi32(seg, _mm512_cmp_ps_mask(y, _mm512_set1_ps(tb.Af[m]), _CMP_GE_OQ), seg, ione);
      const __m512 t = _mm512_mul_ps(_mm512_sub_ps(y, _mm512_permutexvar_ps(seg, AF)), _mm512_permutexvar_ps(seg, IE));
      __m512i j = _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      const __mmask16 over = _mm512_cmpgt_epi32_mask(j, i15);
      j = _mm512_min_epi32(j, i15);
      const __m512 up = _mm512_sub_ps(_mm512_permutexvar_ps(_mm512_add_epi32(seg, ione), AF), y);
      const __m512 down = _mm512_sub_ps(y, _mm512_permutexvar_ps(seg, TF));
      const __mmask16 next = over & _mm512_cmplt_epi32_mask(seg, last) & _mm512_cmp_ps_mask(up, down, _CMP_LT_OQ);
      seg = _mm512_mask_add_epi32(seg, next, seg, ione);
      j = _mm512_mask_mov_epi32(j, next, _mm512_setzero_si512());
      const __m512i k = _mm512_add_epi32(_mm512_slli_epi32(seg, 4), j);
      const __m512 mag = _mm512_i32gather_ps(k, tb.lev, 4);
      const __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ) & _mm512_test_epi32_mask(k, k);
      const __m512i code = _mm512_mask_or_epi32(k, neg, k, _mm512_set1_epi32(128));
      store16(codes + 32 * b + 16 * half, code);
      const __m512 r = _mm512_mul_ps(sv, mag);
      const __m512 rec = _mm512_mask_sub_ps(r, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero, r);
      const __m512 d = _mm512_sub_ps(v, rec);
      err = _mm512_fmadd_ps(d, d, err);
    }
    errsq += _mm512_reduce_add_ps(err);
  }
}

QINS_AVX512 void q4_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, double& errsq, double& sumsq,
                           float& amax_out) {
  const __m512 half = _mm512_set1_ps(8.5f), zero = _mm512_setzero_ps(), fifteen = _mm512_set1_ps(15.0f);
  const __m512i eight = _mm512_set1_epi32(8);
  for (int b = 0; b < nblocks; b++) {
    const float* xb = w + 32 * b;
    const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);
    const __m512 a0 = _mm512_abs_ps(x0), a1 = _mm512_abs_ps(x1);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));
    const float mx = amax > 0 ? xb[first_max(a0, a1, amax)] : 0.0f;
    const uint16_t h = scale_to_f16(-mx);
    const float s = f16_to_f32(h);
    scales[b] = h;
    const __m512 id = _mm512_set1_ps(s != 0 ? 8.0f / s : 0.0f);
    const __m512 step = _mm512_set1_ps(s / 8.0f);
    const __m512 qf0 = _mm512_min_ps(fifteen, _mm512_max_ps(zero, _mm512_add_ps(_mm512_mul_ps(x0, id), half)));
    const __m512 qf1 = _mm512_min_ps(fifteen, _mm512_max_ps(zero, _mm512_add_ps(_mm512_mul_ps(x1, id), half)));
    const __m512i q0 = _mm512_cvttps_epi32(qf0), q1 = _mm512_cvttps_epi32(qf1);
    store16(codes + 16 * b, _mm512_or_si512(q0, _mm512_slli_epi32(q1, 4)));
    const __m512 d0 = _mm512_sub_ps(x0, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q0, eight)), step));
    const __m512 d1 = _mm512_sub_ps(x1, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q1, eight)), step));
    errsq += _mm512_reduce_add_ps(_mm512_fmadd_ps(d0, d0, _mm512_mul_ps(d1, d1)));
    sumsq += _mm512_reduce_add_ps(_mm512_fmadd_ps(x0, x0, _mm512_mul_ps(x1, x1)));
    amax_out = std::max(amax_out, amax);
  }
}

namespace {
/** Nearest entry through the bucket table (Table16::lut): one lookup and one comparison. */
struct Lut {
  __m512i lo_half, hi_half;
  __m512 lo, scale, top, zero;
};
QINS_AVX512 inline __m512i nearest_lut(__m512 y, const Lut& l, __m512 T) {
  __m512 u = _mm512_mul_ps(_mm512_sub_ps(y, l.lo), l.scale);
  u = _mm512_min_ps(_mm512_max_ps(u, l.zero), l.top);
  const __m512i i0 = _mm512_permutex2var_epi32(l.lo_half, _mm512_cvttps_epi32(u), l.hi_half);
  const __m512 thr = _mm512_permutexvar_ps(i0, T);
  return _mm512_mask_add_epi32(i0, _mm512_cmp_ps_mask(y, thr, _CMP_GT_OQ), i0, _mm512_set1_epi32(1));
}

/** Index of the nearest codebook entry: the same 4-step branchless search as Table16::nearest. */
QINS_AVX512 inline __m512i nearest16(__m512 y, __m512 T, float t7) {
  __m512i i = _mm512_setzero_si512();
  i = _mm512_mask_mov_epi32(i, _mm512_cmp_ps_mask(y, _mm512_set1_ps(t7), _CMP_GT_OQ), _mm512_set1_epi32(8));
  __m512 thr = _mm512_permutexvar_ps(_mm512_add_epi32(i, _mm512_set1_epi32(3)), T);
  i = _mm512_mask_add_epi32(i, _mm512_cmp_ps_mask(y, thr, _CMP_GT_OQ), i, _mm512_set1_epi32(4));
  thr = _mm512_permutexvar_ps(_mm512_add_epi32(i, _mm512_set1_epi32(1)), T);
  i = _mm512_mask_add_epi32(i, _mm512_cmp_ps_mask(y, thr, _CMP_GT_OQ), i, _mm512_set1_epi32(2));
  thr = _mm512_permutexvar_ps(i, T);
  i = _mm512_mask_add_epi32(i, _mm512_cmp_ps_mask(y, thr, _CMP_GT_OQ), i, _mm512_set1_epi32(1));
  return i;
}
}  // namespace

namespace {

/** Everything qins4_block needs from the table, loaded into registers once per row. */
struct Q4Ctx {
  __m512 L, T;
  Lut lut;
  bool fast;
  float t7;
  int zero;
};

QINS_AVX512 inline Q4Ctx make_ctx(const Table16& tb) {
  Q4Ctx c;
  alignas(64) float tpad[16];
  for (int j = 0; j < 15; j++) tpad[j] = tb.T[j];
  tpad[15] = INFINITY;
  c.T = _mm512_load_ps(tpad);
  c.L = _mm512_loadu_ps(tb.L);
  c.lut.lo_half = _mm512_loadu_si512(tb.lut);
  c.lut.hi_half = _mm512_loadu_si512(tb.lut + 16);
  c.lut.lo = _mm512_set1_ps(tb.lut_lo);
  c.lut.scale = _mm512_set1_ps(tb.lut_scale);
  c.lut.top = _mm512_set1_ps(31.0f);
  c.lut.zero = _mm512_setzero_ps();
  c.fast = tb.lut_ok;
  c.t7 = tb.T[7];
  c.zero = 0;  // the entry closest to zero
  for (int j = 1; j < 16; j++)
    if (std::abs(tb.ints[j]) < std::abs(tb.ints[c.zero])) c.zero = j;
  return c;
}

QINS_AVX512 inline __m512i nearest_ctx(__m512 y, const Q4Ctx& c) { return c.fast ? nearest_lut(y, c.lut, c.T) : nearest16(y, c.T, c.t7); }

/** Sums of four vectors: {Σa, Σb, Σc, Σd}. */
QINS_AVX512 inline void reduce4(__m512 a, __m512 b, __m512 c, __m512 d, float out[4]) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));  // a a b b (128-bit lanes)
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));  // c c d d
  __m512 z = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));    // a b c d
  z = _mm512_add_ps(z, _mm512_permute_ps(z, 0x4E));
  z = _mm512_add_ps(z, _mm512_permute_ps(z, 0xB1));
  alignas(64) float tmp[16];
  _mm512_store_ps(tmp, z);
  out[0] = tmp[0];
  out[1] = tmp[4];
  out[2] = tmp[8];
  out[3] = tmp[12];
}

QINS_AVX512 float qins4_block_ctx(const float* w, const Q4Ctx& cx, const Table16& tb, Q4Search search, uint8_t* idx, float* scale) {
  const __m512 x0 = _mm512_loadu_ps(w), x1 = _mm512_loadu_ps(w + 16);
  const __m512 a0 = _mm512_abs_ps(x0), a1 = _mm512_abs_ps(x1);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));
  if (amax == 0) {
    for (int j = 0; j < 32; j++) idx[j] = static_cast<uint8_t>(cx.zero);
    *scale = 0;
    return 0;
  }
  const float mx = w[first_max(a0, a1, amax)];
  const float id0 = tb.L[0] / mx;
  __m512 wt0 = _mm512_set1_ps(1.0f), wt1 = wt0;
  if (search.weighting == Weighting::Square) {
    wt0 = _mm512_mul_ps(x0, x0);
    wt1 = _mm512_mul_ps(x1, x1);
  } else if (search.weighting == Weighting::Sigma) {
    // the same float operations as block_weights(): Σw² in order, 2·Σ/32, sqrt(σ² + w²)
    float s2 = 0;
    for (int j = 0; j < 32; j++) s2 += w[j] * w[j];
    const __m512 sv = _mm512_set1_ps(2.0f * s2 / 32.0f);
    wt0 = _mm512_sqrt_ps(_mm512_add_ps(sv, _mm512_mul_ps(x0, x0)));
    wt1 = _mm512_sqrt_ps(_mm512_add_ps(sv, _mm512_mul_ps(x1, x1)));
  }
  // Σ wt·q·x and Σ wt·q² of one candidate mapping, as vectors.
  auto sums = [&](int t, __m512& sqx, __m512& sq2) QINS_AVX512 {
    const __m512 id = _mm512_set1_ps(id0 * (1.0f + static_cast<float>(t) / 127.0f));
    const __m512 q0 = _mm512_permutexvar_ps(nearest_ctx(_mm512_mul_ps(x0, id), cx), cx.L);
    const __m512 q1 = _mm512_permutexvar_ps(nearest_ctx(_mm512_mul_ps(x1, id), cx), cx.L);
    const __m512 wq0 = _mm512_mul_ps(q0, wt0), wq1 = _mm512_mul_ps(q1, wt1);
    sqx = _mm512_fmadd_ps(wq0, x0, _mm512_mul_ps(wq1, x1));
    sq2 = _mm512_fmadd_ps(wq0, q0, _mm512_mul_ps(wq1, q1));
  };
  float best = -1, best_d = 0;
  auto consider = [&](float sumqx, float sumq2) {
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      best = sumqx * sumqx / sumq2;
      best_d = sumqx / sumq2;
    }
  };
  int t = -search.n;
  for (; t + 1 <= search.n; t += 2) {  // two candidates at a time: independent chains, one 4-way reduction
    __m512 ax, a2, bx, b2;
    sums(t, ax, a2);
    sums(t + 1, bx, b2);
    float r[4];
    reduce4(ax, a2, bx, b2, r);
    consider(r[0], r[1]);
    consider(r[2], r[3]);
  }
  if (t <= search.n) {
    __m512 ax, a2;
    sums(t, ax, a2);
    float r[4];
    reduce4(ax, a2, ax, a2, r);
    consider(r[0], r[1]);
  }
  const float s = f16_to_f32(scale_to_f16(best_d));
  *scale = s;
  if (s == 0) {
    for (int j = 0; j < 32; j++) idx[j] = static_cast<uint8_t>(cx.zero);
    return _mm512_reduce_add_ps(_mm512_fmadd_ps(x0, x0, _mm512_mul_ps(x1, x1)));
  }
  const __m512 inv = _mm512_set1_ps(1.0f / s), sv = _mm512_set1_ps(s);
  const __m512i i0 = nearest_ctx(_mm512_mul_ps(x0, inv), cx);
  const __m512i i1 = nearest_ctx(_mm512_mul_ps(x1, inv), cx);
  store16(idx, i0);
  store16(idx + 16, i1);
  const __m512 d0 = _mm512_sub_ps(x0, _mm512_mul_ps(sv, _mm512_permutexvar_ps(i0, cx.L)));
  const __m512 d1 = _mm512_sub_ps(x1, _mm512_mul_ps(sv, _mm512_permutexvar_ps(i1, cx.L)));
  return _mm512_reduce_add_ps(_mm512_fmadd_ps(d0, d0, _mm512_mul_ps(d1, d1)));
}

}  // namespace

QINS_AVX512 float qins4_block(const float* w, const Table16& tb, Q4Search search, uint8_t* idx, float* scale) {
  return qins4_block_ctx(w, make_ctx(tb), tb, search, idx, scale);
}

QINS_AVX512 void qins4_blocks(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t* codes, uint16_t* scales,
                              double& errsq, double& sumsq, float& amax_out) {
  const Q4Ctx cx = make_ctx(tb);
  alignas(64) uint8_t idx[32];
  for (int b = 0; b < nblocks; b++) {
    const float* xb = w + 32 * b;
    float s = 0;
    errsq += qins4_block_ctx(xb, cx, tb, search, idx, &s);
    scales[b] = scale_to_f16(s);
    const __m128i lo = _mm_load_si128(reinterpret_cast<const __m128i*>(idx));
    const __m128i hi = _mm_load_si128(reinterpret_cast<const __m128i*>(idx + 16));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + 16 * b), _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
    const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);
    sumsq += _mm512_reduce_add_ps(_mm512_fmadd_ps(x0, x0, _mm512_mul_ps(x1, x1)));
    amax_out = std::max(amax_out, _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1))));
  }
}

}  // namespace qins::codecs::avx512

#endif
