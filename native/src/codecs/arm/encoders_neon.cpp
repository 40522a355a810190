// NEON (AArch64) block-of-32 encoders. Compiled with -ffp-contract=off; the arm64 baseline.
// Each mirrors its generic twin in encoders.cpp operation by operation (same float operations,
// round half to even with vrndnq, fp16 with vcvt, block sums in the sum32 order), so codes,
// scales and error sums are identical. A block of 32 is eight vectors of 4: h[k] = w[4k..4k+3].
#include <arm_neon.h>
#if defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "codecs/encoders.h"
#include "kernels/half.h"

namespace qins::codecs {
namespace {

constexpr int kGroup = 4;  // blocks whose scales are computed together (one lane each)
alignas(16) constexpr uint32_t kLaneIndex[4] = {0, 1, 2, 3};

inline void load8(const float* x, float32x4_t v[8]) {
  for (int k = 0; k < 8; k++) v[k] = vld1q_f32(x + 4 * k);
}

/** sum32 of a block: lanes l = 0..3 of (h0 + h4) + (h2 + h6) and of (h1 + h5) + (h3 + h7) are p[l], p[4 + l]. */
inline float sum32v(const float32x4_t v[8]) {
  const float32x4_t plo = vaddq_f32(vaddq_f32(v[0], v[4]), vaddq_f32(v[2], v[6]));
  const float32x4_t phi = vaddq_f32(vaddq_f32(v[1], v[5]), vaddq_f32(v[3], v[7]));
  const float32x4_t q = vaddq_f32(plo, phi);
  const float32x2_t r = vadd_f32(vget_low_f32(q), vget_high_f32(q));  // q0 + q2, q1 + q3
  return vget_lane_f32(r, 0) + vget_lane_f32(r, 1);
}
inline float sum32_sq(const float32x4_t v[8]) {
  float32x4_t s[8];
  for (int k = 0; k < 8; k++) s[k] = vmulq_f32(v[k], v[k]);
  return sum32v(s);
}

inline float hmax_abs(const float32x4_t v[8]) {
  float32x4_t m = vabsq_f32(v[0]);
  for (int k = 1; k < 8; k++) m = vmaxq_f32(m, vabsq_f32(v[k]));
  return vmaxvq_f32(m);
}

/** First index of the block's largest |w| (the generic loop keeps the first strict maximum). */
inline int first_max(const float32x4_t v[8], float amax) {
  const float32x4_t m = vdupq_n_f32(amax);
  for (int k = 0; k < 8; k += 2) {
    const uint16x8_t e = vcombine_u16(vmovn_u32(vceqq_f32(vabsq_f32(v[k]), m)), vmovn_u32(vceqq_f32(vabsq_f32(v[k + 1]), m)));
    const uint64_t bits = vget_lane_u64(vreinterpret_u64_u8(vmovn_u16(e)), 0);
    if (bits) return 4 * k + __builtin_ctzll(bits) / 8;
  }
  return 0;
}

/** scale_half(x) of 4 lanes (the first n stored to h) and its float value half_f32(h). */
inline float32x4_t half_scales(float32x4_t x, uint16_t* h, int n) {
  x = vbslq_f32(vceqq_f32(x, x), x, vdupq_n_f32(0.0f));  // NaN -> 0
  x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-kHalfMax)), vdupq_n_f32(kHalfMax));
  const float16x4_t hv = vcvt_f16_f32(x);
  uint16_t tmp[4];
  vst1_u16(tmp, vreinterpret_u16_f16(hv));
  std::memcpy(h, tmp, 2 * n);
  return vcvt_f32_f16(hv);
}

/** 32 int32 lanes (8 vectors, values -128..255 as bytes) to 32 bytes, in order. */
inline void store_bytes(uint8_t* dst, const uint32x4_t v[8]) {
  for (int k = 0; k < 8; k += 2) {
    const uint16x8_t h = vcombine_u16(vmovn_u32(v[k]), vmovn_u32(v[k + 1]));
    vst1_u8(dst + 4 * k, vmovn_u16(h));
  }
}

/** A 16-entry float table (as 64 bytes) at index i (0..15; larger indices give 0). */
inline float32x4_t lookup16(const uint8x16x4_t& tbl, uint32x4_t i) {
  const uint32x4_t bytes = vaddq_u32(vmulq_n_u32(i, 0x04040404u), vdupq_n_u32(0x03020100u));
  return vreinterpretq_f32_u8(vqtbl4q_u8(tbl, vreinterpretq_u8_u32(bytes)));
}
inline uint8x16x4_t table16(const float* t) {
  uint8x16x4_t r;
  r.val[0] = vreinterpretq_u8_f32(vld1q_f32(t));
  r.val[1] = vreinterpretq_u8_f32(vld1q_f32(t + 4));
  r.val[2] = vreinterpretq_u8_f32(vld1q_f32(t + 8));
  r.val[3] = vreinterpretq_u8_f32(vld1q_f32(t + 12));
  return r;
}
/** Byte table lookup with one index per 32-bit lane (0..15 for tbl1, 0..31 for tbl2). */
inline uint32x4_t lane_index(uint32x4_t i) { return vorrq_u32(i, vdupq_n_u32(0xffffff00u)); }

// ---------------------------------------------------------------------------------------------
// q8

void q8_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  const float32x4_t lo = vdupq_n_f32(-127.0f), hi = vdupq_n_f32(127.0f), zero = vdupq_n_f32(0.0f);
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    float am[kGroup] = {}, inv[kGroup], step[kGroup];
    for (int b = 0; b < nb; b++) {
      float32x4_t x[8];
      load8(w + 32 * (g0 + b), x);
      am[b] = hmax_abs(x);
    }
    const float32x4_t s = half_scales(vld1q_f32(am), scales + g0, nb);
    vst1q_f32(inv, vbslq_f32(vcgtq_f32(s, zero), vdivq_f32(hi, s), zero));
    vst1q_f32(step, vdivq_f32(s, hi));
    for (int b = 0; b < nb; b++) {
      float32x4_t x[8], e[8];
      uint32x4_t q[8];
      load8(w + 32 * (g0 + b), x);
      const float32x4_t iv = vdupq_n_f32(inv[b]), st = vdupq_n_f32(step[b]);
      for (int k = 0; k < 8; k++) {
        const float32x4_t qf = vminq_f32(vmaxq_f32(vrndnq_f32(vmulq_f32(x[k], iv)), lo), hi);
        q[k] = vreinterpretq_u32_s32(vcvtq_s32_f32(qf));
        const float32x4_t d = vsubq_f32(x[k], vmulq_f32(qf, st));
        e[k] = vmulq_f32(d, d);
      }
      store_bytes(codes + 32 * (g0 + b), q);
      acc.errsq += sum32v(e);
      acc.sumsq += sum32_sq(x);
      acc.amax = std::max(acc.amax, am[b]);
    }
  }
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// qins8

void qins8_blocks(const float* w, int nblocks, const Qins8Table& tb, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  constexpr int S = Qins8Table::kSegments;
  float af[16] = {}, tf[16] = {}, ie[16] = {};
  uint8_t eb[16] = {}, bb[16] = {};
  for (int m = 0; m < S; m++) {
    af[m] = tb.Af[m];
    tf[m] = tb.Tf[m];
    ie[m] = tb.invE[m];
    eb[m] = static_cast<uint8_t>(tb.E[m]);
    bb[m] = static_cast<uint8_t>(tb.B[m]);
  }
  const uint8x16x4_t AF = table16(af), TF = table16(tf), IE = table16(ie);
  const uint8x16_t EB = vld1q_u8(eb), BB = vld1q_u8(bb);
  float32x4_t start[S];
  for (int m = 1; m < S; m++) start[m] = vdupq_n_f32(tb.Af[m]);
  const uint32x4_t i15 = vdupq_n_u32(Qins8Table::kSteps - 1), last = vdupq_n_u32(S - 1), i128 = vdupq_n_u32(128), one = vdupq_n_u32(1);
  const float32x4_t zero = vdupq_n_f32(0.0f), sixteen = vdupq_n_f32(16.0f), denom = vdupq_n_f32(tb.denom);
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    float am[kGroup] = {}, sc[kGroup], inv[kGroup];
    for (int b = 0; b < nb; b++) {
      float32x4_t x[8];
      load8(w + 32 * (g0 + b), x);
      am[b] = hmax_abs(x);
    }
    const float32x4_t s = half_scales(vld1q_f32(am), scales + g0, nb);
    vst1q_f32(sc, s);
    vst1q_f32(inv, vbslq_f32(vcgtq_f32(s, zero), vdivq_f32(denom, s), zero));
    for (int b = 0; b < nb; b++) {
      uint8_t* cb = codes + 32 * (g0 + b);
      float32x4_t v[8], e[8];
      load8(w + 32 * (g0 + b), v);
      const float ss = sum32_sq(v);
      acc.amax = std::max(acc.amax, am[b]);
      if (!(sc[b] > 0)) {
        std::memset(cb, 0, 32);
        acc.errsq += ss;
        acc.sumsq += ss;
        continue;
      }
      const float32x4_t iv = vdupq_n_f32(inv[b]), sv = vdupq_n_f32(sc[b]);
      uint32x4_t code[8];
      for (int k = 0; k < 8; k++) {
        const float32x4_t y = vmulq_f32(vabsq_f32(v[k]), iv);
        uint32x4_t seg = vdupq_n_u32(0);
        for (int m = 1; m < S; m++) seg = vsubq_u32(seg, vcgeq_f32(y, start[m]));
        const float32x4_t t = vminq_f32(vmulq_f32(vsubq_f32(y, lookup16(AF, seg)), lookup16(IE, seg)), sixteen);
        uint32x4_t j = vreinterpretq_u32_s32(vcvtq_s32_f32(vrndnq_f32(t)));
        const uint32x4_t over = vcgtq_u32(j, i15);
        j = vminq_u32(j, i15);
        const float32x4_t up = vsubq_f32(lookup16(AF, vaddq_u32(seg, one)), y);
        const float32x4_t down = vsubq_f32(y, lookup16(TF, seg));
        const uint32x4_t next = vandq_u32(vandq_u32(over, vcltq_u32(seg, last)), vcltq_f32(up, down));
        seg = vsubq_u32(seg, next);
        j = vbicq_u32(j, next);
        const uint32x4_t k16 = vaddq_u32(vshlq_n_u32(seg, 4), j);
        const uint32x4_t neg = vcltq_f32(v[k], zero);
        code[k] = vorrq_u32(k16, vbicq_u32(vandq_u32(neg, i128), vceqq_u32(k16, vdupq_n_u32(0))));
        // lev[k] = float(E · (B + j)) / denom, the table's own arithmetic
        const uint32x4_t ev = vreinterpretq_u32_u8(vqtbl1q_u8(EB, vreinterpretq_u8_u32(lane_index(seg))));
        const uint32x4_t bv = vreinterpretq_u32_u8(vqtbl1q_u8(BB, vreinterpretq_u8_u32(lane_index(seg))));
        const float32x4_t mag = vdivq_f32(vcvtq_f32_u32(vmulq_u32(ev, vaddq_u32(bv, j))), denom);
        const float32x4_t r = vmulq_f32(sv, mag);
        const float32x4_t d = vsubq_f32(v[k], vbslq_f32(neg, vnegq_f32(r), r));
        e[k] = vmulq_f32(d, d);
      }
      store_bytes(cb, code);
      acc.errsq += sum32v(e);
      acc.sumsq += ss;
    }
  }
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// q4

void q4_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc_out) {
  BlockSums acc = acc_out;  // in registers: the code stores may alias acc_out
  const float32x4_t half = vdupq_n_f32(8.5f), zero = vdupq_n_f32(0.0f), fifteen = vdupq_n_f32(15.0f), eightf = vdupq_n_f32(8.0f);
  const int32x4_t eight = vdupq_n_s32(8);
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    float am[kGroup] = {}, neg_mx[kGroup] = {}, ids[kGroup], steps[kGroup];
    for (int b = 0; b < nb; b++) {
      const float* x = w + 32 * (g0 + b);
      float32x4_t v[8];
      load8(x, v);
      am[b] = hmax_abs(v);
      neg_mx[b] = -(am[b] > 0 ? x[first_max(v, am[b])] : 0.0f);
    }
    const float32x4_t s = half_scales(vld1q_f32(neg_mx), scales + g0, nb);
    vst1q_f32(ids, vbslq_f32(vceqq_f32(s, zero), zero, vdivq_f32(eightf, s)));
    vst1q_f32(steps, vdivq_f32(s, eightf));
    for (int b = 0; b < nb; b++) {
      float32x4_t x[8], e[8];
      int32x4_t q[8];
      load8(w + 32 * (g0 + b), x);
      const float32x4_t id = vdupq_n_f32(ids[b]), step = vdupq_n_f32(steps[b]);
      for (int k = 0; k < 8; k++) {
        const float32x4_t qf = vminq_f32(fifteen, vmaxq_f32(zero, vaddq_f32(vmulq_f32(x[k], id), half)));
        q[k] = vcvtq_s32_f32(qf);
        const float32x4_t d = vsubq_f32(x[k], vmulq_f32(vcvtq_f32_s32(vsubq_s32(q[k], eight)), step));
        e[k] = vmulq_f32(d, d);
      }
      uint32x4_t nib[8];
      for (int k = 0; k < 4; k++) nib[k] = vreinterpretq_u32_s32(vorrq_s32(q[k], vshlq_n_s32(q[k + 4], 4)));
      for (int k = 0; k < 4; k += 2)
        vst1_u8(codes + 16 * (g0 + b) + 4 * k, vmovn_u16(vcombine_u16(vmovn_u32(nib[k]), vmovn_u32(nib[k + 1]))));
      acc.errsq += sum32v(e);
      acc.sumsq += sum32_sq(x);
      acc.amax = std::max(acc.amax, am[b]);
    }
  }
  acc_out = acc;
}

// ---------------------------------------------------------------------------------------------
// qins4

/** Everything the qins4 block search needs from the table, in registers. */
struct Q4Ctx {
  uint8x16x4_t L, T;  // T[15] = +inf
  uint8x16x2_t lut;   // lut[b] as bytes
  float32x4_t lo, scale, top, zero;
  float32x4_t thr[15];
  bool fast;
  int zero_idx;
  explicit Q4Ctx(const Table16& tb) {
    float tpad[16];
    for (int j = 0; j < 15; j++) tpad[j] = tb.T[j];
    tpad[15] = INFINITY;
    T = table16(tpad);
    L = table16(tb.L);
    uint8_t lb[32];
    for (int j = 0; j < 32; j++) lb[j] = static_cast<uint8_t>(tb.lut[j]);
    lut.val[0] = vld1q_u8(lb);
    lut.val[1] = vld1q_u8(lb + 16);
    lo = vdupq_n_f32(tb.lut_lo);
    scale = vdupq_n_f32(tb.lut_scale);
    top = vdupq_n_f32(31.0f);
    zero = vdupq_n_f32(0.0f);
    for (int j = 0; j < 15; j++) thr[j] = vdupq_n_f32(tb.T[j]);
    fast = tb.lut_ok;
    zero_idx = tb.zero;
  }
  /** Table16::nearest for 4 lanes: the bucket table (one lookup, one comparison) or the count of thresholds below y. */
  uint32x4_t nearest(float32x4_t y) const {
    if (fast) {
      float32x4_t u = vmulq_f32(vsubq_f32(y, lo), scale);
      u = vminnmq_f32(vmaxnmq_f32(u, zero), top);  // NaN -> bucket 0
      const uint32x4_t b = vcvtq_u32_f32(u);
      const uint32x4_t i0 = vreinterpretq_u32_u8(vqtbl2q_u8(lut, vreinterpretq_u8_u32(lane_index(b))));
      return vsubq_u32(i0, vcgtq_f32(y, lookup16(T, i0)));
    }
    uint32x4_t i = vdupq_n_u32(0);
    for (int j = 0; j < 15; j++) i = vsubq_u32(i, vcgtq_f32(y, thr[j]));
    return i;
  }
  float32x4_t level(uint32x4_t i) const { return lookup16(L, i); }
};

/**
 * qins4_block_generic for up to 4 blocks of 32 at once, in phases so that the blocks' work
 * overlaps: each block's extreme, then each block's candidate sums, then the candidate choice for
 * all blocks as vectors (one lane per block: the generic sequential comparisons, unchanged), then
 * each block's codes. Out: code indices (unpacked), fp16 scales, Σ(w − ŵ)² per block.
 */
void qins4_group(const float* w, int nb, const Q4Ctx& cx, const Table16& tb, Q4Search search, uint8_t (*idx)[32], uint16_t* h, float* err) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float am[kGroup] = {}, mx[kGroup] = {}, id0s[kGroup];
  for (int b = 0; b < nb; b++) {
    const float* x = w + 32 * b;
    float32x4_t v[8];
    load8(x, v);
    am[b] = hmax_abs(v);
    if (am[b] > 0) mx[b] = x[first_max(v, am[b])];
  }
  const uint32x4_t live = vandq_u32(vmvnq_u32(vceqq_f32(vld1q_f32(am), zero)), vcltq_u32(vld1q_u32(kLaneIndex), vdupq_n_u32(nb)));
  vst1q_f32(id0s, vbslq_f32(live, vdivq_f32(vdupq_n_f32(tb.L[0]), vld1q_f32(mx)), zero));  // L[0] / mx

  // candidate sums, [candidate][block]
  const int n = search.n, m = 2 * n + 1;
  const bool weighted = search.weighting != Weighting::None;
  float sqx[kMaxQ4Candidates][kGroup], sq2[kMaxQ4Candidates][kGroup], f[kMaxQ4Candidates];
  for (int c = 0; c < m; c++) f[c] = 1.0f + static_cast<float>(c - n) / 127.0f;  // candidate t = c - n maps by id0 · f
  for (int b = 0; b < kGroup; b++) {
    if (b >= nb || !(am[b] > 0)) {  // no candidates: lanes the choice below leaves alone
      for (int c = 0; c < m; c++) sqx[c][b] = sq2[c][b] = 0;
      continue;
    }
    const float id0 = id0s[b];
    float32x4_t x[8], wt[8];
    load8(w + 32 * b, x);
    if (search.weighting == Weighting::Square) {
      for (int k = 0; k < 8; k++) wt[k] = vmulq_f32(x[k], x[k]);
    } else if (search.weighting == Weighting::Sigma) {
      float32x4_t xx[8];
      for (int k = 0; k < 8; k++) xx[k] = vmulq_f32(x[k], x[k]);
      const float s2 = 2.0f * sum32v(xx) / 32.0f;  // block_weights(): 2·Σw²/n, sqrt(σ² + w²)
      const float32x4_t sv = vdupq_n_f32(s2);
      for (int k = 0; k < 8; k++) wt[k] = vsqrtq_f32(vaddq_f32(sv, xx[k]));
    }
    auto mapping = [&](int t) { return vdupq_n_f32(id0 * f[t + n]); };
    // Each weight's mapped value x·id moves monotonically with t, so every candidate's entry lies
    // between those of the outermost two: when the larger end is not above the threshold after the
    // smaller end's entry lo (almost always), a candidate's entry is lo or lo + 1, by one comparison,
    // and the products wt·q·x, wt·q·q of both are computed once.
    bool bracket = false;
    float32x4_t thr[8], ax0[8], ax1[8], a20[8], a21[8];
    if (n > 0) {
      const float32x4_t id_lo = mapping(-n), id_hi = mapping(n);
      uint32x4_t outside = vdupq_n_u32(0);
      for (int k = 0; k < 8; k++) {
        const float32x4_t ya = vmulq_f32(x[k], id_lo), yb = vmulq_f32(x[k], id_hi);
        const uint32x4_t lo = cx.nearest(vminq_f32(ya, yb));
        const uint32x4_t up = vminq_u32(vaddq_u32(lo, vdupq_n_u32(1)), vdupq_n_u32(15));  // T[15] = +inf
        outside = vorrq_u32(outside, vcgtq_f32(vmaxq_f32(ya, yb), lookup16(cx.T, up)));
        thr[k] = lookup16(cx.T, lo);
        const float32x4_t q0 = cx.level(lo), q1 = cx.level(vaddq_u32(lo, vdupq_n_u32(1)));  // 16 reads 0: never chosen
        const float32x4_t wq0 = weighted ? vmulq_f32(q0, wt[k]) : q0, wq1 = weighted ? vmulq_f32(q1, wt[k]) : q1;
        ax0[k] = vmulq_f32(wq0, x[k]);
        ax1[k] = vmulq_f32(wq1, x[k]);
        a20[k] = vmulq_f32(wq0, q0);
        a21[k] = vmulq_f32(wq1, q1);
      }
      bracket = vmaxvq_u32(outside) == 0;
    }
    for (int c = 0; c < m; c++) {
      const float32x4_t id = mapping(c - n);
      float32x4_t ax[8], a2[8];
      for (int k = 0; k < 8; k++) {
        if (bracket) {
          const uint32x4_t upk = vcgtq_f32(vmulq_f32(x[k], id), thr[k]);
          ax[k] = vbslq_f32(upk, ax1[k], ax0[k]);
          a2[k] = vbslq_f32(upk, a21[k], a20[k]);
        } else {
          const float32x4_t q = cx.level(cx.nearest(vmulq_f32(x[k], id)));
          const float32x4_t wq = weighted ? vmulq_f32(q, wt[k]) : q;
          ax[k] = vmulq_f32(wq, x[k]);
          a2[k] = vmulq_f32(wq, q);
        }
      }
      sqx[c][b] = sum32v(ax);
      sq2[c][b] = sum32v(a2);
    }
  }

  // the candidate choice of every block (qins4_block_generic's comparisons, one lane per block)
  float32x4_t best = vdupq_n_f32(-1.0f), best_d = zero;
  for (int c = 0; c < m; c++) {
    const float32x4_t vx = vld1q_f32(sqx[c]), v2 = vld1q_f32(sq2[c]);
    const float32x4_t xx = vmulq_f32(vx, vx);
    const uint32x4_t win = vandq_u32(live, vandq_u32(vcgtq_f32(v2, zero), vcgtq_f32(xx, vmulq_f32(best, v2))));
    if (vmaxvq_u32(win) == 0) continue;
    best = vbslq_f32(win, vdivq_f32(xx, v2), best);
    best_d = vbslq_f32(win, vdivq_f32(vx, v2), best_d);
  }
  float sc[kGroup], inv[kGroup];
  const float32x4_t s = vbslq_f32(live, half_scales(best_d, h, nb), zero);
  vst1q_f32(sc, s);
  vst1q_f32(inv, vbslq_f32(vceqq_f32(s, zero), zero, vdivq_f32(vdupq_n_f32(1.0f), s)));

  // codes with the chosen scale
  for (int b = 0; b < nb; b++) {
    float32x4_t x[8], e[8];
    load8(w + 32 * b, x);
    if (sc[b] == 0) {
      std::memset(idx[b], cx.zero_idx, 32);
      err[b] = am[b] == 0 ? 0.0f : sum32_sq(x);
      continue;
    }
    const float32x4_t iv = vdupq_n_f32(inv[b]), sv = vdupq_n_f32(sc[b]);
    uint32x4_t qi[8];
    for (int k = 0; k < 8; k++) {
      qi[k] = cx.nearest(vmulq_f32(x[k], iv));
      const float32x4_t d = vsubq_f32(x[k], vmulq_f32(sv, cx.level(qi[k])));
      e[k] = vmulq_f32(d, d);
    }
    store_bytes(idx[b], qi);
    err[b] = sum32v(e);
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
  uint8_t idx[kGroup][32];
  float err[kGroup];
  for (int g0 = 0; g0 < nblocks; g0 += kGroup) {
    const int nb = std::min(kGroup, nblocks - g0);
    qins4_group(w + 32 * g0, nb, cx, tb, search, idx, scales + g0, err);
    for (int b = 0; b < nb; b++) {
      acc.errsq += err[b];
      vst1q_u8(codes + 16 * (g0 + b), vorrq_u8(vld1q_u8(idx[b]), vshlq_n_u8(vld1q_u8(idx[b] + 16), 4)));
      float32x4_t x[8];
      load8(w + 32 * (g0 + b), x);
      acc.sumsq += sum32_sq(x);
      acc.amax = std::max(acc.amax, hmax_abs(x));
    }
  }
  acc_out = acc;
}

/** CRC-32 with the ARMv8 CRC32 instructions when the target has them (ARMv8.1 and later, Apple M1). */
uint32_t crc32_arm(uint32_t crc, const uint8_t* p, size_t n) {
#if defined(__ARM_FEATURE_CRC32)
  uint32_t c = ~crc;
  for (; n && (reinterpret_cast<uintptr_t>(p) & 7); n--) c = __crc32b(c, *p++);
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __crc32d(c, v);
  }
  for (; n; n--) c = __crc32b(c, *p++);
  return ~c;
#else
  return crc32_generic(crc, p, n);
#endif
}

}  // namespace

const EncoderSet& neon_encoders() {
  static const EncoderSet set = {"neon", q8_blocks, qins8_blocks, q4_blocks, qins4_blocks, qins4_assign, crc32_arm};
  return set;
}

}  // namespace qins::codecs
