// NEON kernels (arm64: Apple Silicon and other ARMv8 cores).
//
//   8-bit segments (qins8): the code's high nibble n (sign and segment) indexes 16-entry tables of
//     B - 128 and +-E (vqtbl1q), the low nibble is the step j; the int16 value E * (B + j) is
//     E * (B - 128 + j) + 128 * E (vmlal_s8 on vshll_n_s8), and vmlal_s16 accumulates exact int32
//     sums with the widened activations.
//   8-bit symmetric (format 1 qins8): the code's low 7 bits index 128-entry low-byte and high-byte
//     tables (vqtbl4q + vqtbx4q), the sign (bit 7) is folded into the activations.
//   8-bit general / seed: 256-entry tables (one vqtbl4q + three vqtbx4q per byte plane).
//   8-bit int8 (q8) and 4-bit (vqtbl1q lookup): int8 x int8 with sdot when the target has the
//     dot-product extension (Apple M1 and later), otherwise vmull_s8 + vpadalq_s16.
//   Block scales are read four at a time (vcvt_f32_f16); the weight stream is prefetched 4 KiB ahead.
//   GEMM (prefill, with the dot-product extension): four rows' weights as int8 planes (int16 values
//     split into a high and a low plane), tokens in lanes, vdotq_laneq_s32: 16 multiply-adds per
//     instruction for every codec.
#include <arm_neon.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/half.h"
#include "kernels/kernels.h"

namespace qins {
namespace {

constexpr int kTile = 4;
constexpr int kPrefetch = 4096;

inline void prefetch(const void* p) { __builtin_prefetch(static_cast<const char*>(p) + kPrefetch); }

// fp16 weight scales of blocks b..b+3 times the activation scales d[b..b+3] (zero past n).
inline float32x4_t scales4(const uint16_t* sr, const float* d, int b, int n) {
  if (n >= 4) return vmulq_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(sr + b))), vld1q_f32(d + b));
  uint16_t h[4] = {0, 0, 0, 0};
  float dd[4] = {0, 0, 0, 0};
  for (int k = 0; k < n; ++k) {
    h[k] = sr[b + k];
    dd[k] = d[b + k];
  }
  return vmulq_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h))), vld1q_f32(dd));
}

inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t w, int8x16_t q) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, w, q);
#else
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(q)));
  return vpadalq_s16(acc, vmull_high_s8(w, q));
#endif
}

inline int32x4_t mla_i16(int32x4_t acc, int16x8_t w, int16x8_t q) {
  acc = vmlal_s16(acc, vget_low_s16(w), vget_low_s16(q));
  return vmlal_high_s16(acc, w, q);
}

inline uint8x16x4_t load_tab64(const uint8_t* p) {
  uint8x16x4_t t;
  t.val[0] = vld1q_u8(p);
  t.val[1] = vld1q_u8(p + 16);
  t.val[2] = vld1q_u8(p + 32);
  t.val[3] = vld1q_u8(p + 48);
  return t;
}

struct Tab256 {
  uint8x16x4_t t[4];
  explicit Tab256(const uint8_t* p) {
    for (int i = 0; i < 4; ++i) t[i] = load_tab64(p + 64 * i);
  }
  // n = 2: codes 0..127 only; n = 4: the full byte range.
  template <int N>
  uint8x16_t lookup(uint8x16_t idx) const {
    const uint8x16_t s64 = vdupq_n_u8(64);
    uint8x16_t r = vqtbl4q_u8(t[0], idx);
    idx = vsubq_u8(idx, s64);
    r = vqtbx4q_u8(r, t[1], idx);
    if (N == 4) {
      idx = vsubq_u8(idx, s64);
      r = vqtbx4q_u8(r, t[2], idx);
      idx = vsubq_u8(idx, s64);
      r = vqtbx4q_u8(r, t[3], idx);
    }
    return r;
  }
};

inline float hsum(float32x4_t v) { return vaddvq_f32(v); }

template <int NT, bool BF16>
[[gnu::noinline]] void rows_float(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int cols = w.cols;
  for (int r = r0; r < r1; ++r) {
    const float* wf = static_cast<const float*>(w.data) + static_cast<size_t>(r) * cols;
    const uint16_t* wb = static_cast<const uint16_t*>(w.data) + static_cast<size_t>(r) * cols;
    float32x4_t acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = vdupq_n_f32(0.f);
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
      const float32x4_t wv = BF16 ? vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(wb + c), 16)) : vld1q_f32(wf + c);
      for (int t = 0; t < NT; ++t) acc[t] = vfmaq_f32(acc[t], wv, vld1q_f32(a.x + static_cast<size_t>(t0 + t) * a.ldx + c));
    }
    for (int t = 0; t < NT; ++t) {
      float s = hsum(acc[t]);
      const float* x = a.x + static_cast<size_t>(t0 + t) * a.ldx;
      for (int k = c; k < cols; ++k) s += (BF16 ? bf16_f32(wb[k]) : wf[k]) * x[k];
      y[static_cast<size_t>(t0 + t) * ldy + r] = s;
    }
  }
}

template <int NT, Cb8Form F>
[[gnu::noinline]] void rows_cb8(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const Codebook8& cb = *w.cb8;
  const Tab256 lo_t(cb.lo), hi_t(cb.hi);
  const uint8x16_t m7 = vdupq_n_u8(0x7f);
  const uint16x8_t x8000 = vdupq_n_u16(0x8000);
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    float32x4_t acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = vdupq_n_f32(0.f);
    for (int g = 0; g < nb; g += 4) {
     const int gn = nb - g < 4 ? nb - g : 4;
     float sc[NT][4];
     for (int t = 0; t < NT; ++t) vst1q_f32(sc[t], scales4(sr, a.d + static_cast<size_t>(t0 + t) * a.nb, g, gn));
     for (int k = 0; k < gn; ++k) {
      const int b = g + k;
      int32x4_t isum[NT];
      for (int t = 0; t < NT; ++t) isum[t] = vdupq_n_s32(0);
      prefetch(cr + b * kBlock);
      for (int h = 0; h < 2; ++h) {
        const uint8x16_t code = vld1q_u8(cr + b * kBlock + 16 * h);
        if (F == Cb8Form::Int8) {
          for (int t = 0; t < NT; ++t) {
            const int8_t* q = a.q + (static_cast<size_t>(t0 + t) * a.nb + b) * kBlock + 16 * h;
            isum[t] = dot_i8x16(isum[t], vreinterpretq_s8_u8(code), vld1q_s8(q));
          }
          continue;
        }
        uint8x16_t lo, hi;
        int8x16_t neg = vdupq_n_s8(0);
        if (F == Cb8Form::Symmetric) {
          const uint8x16_t idx = vandq_u8(code, m7);
          lo = lo_t.lookup<2>(idx);
          hi = hi_t.lookup<2>(idx);
          neg = vreinterpretq_s8_u8(vcltzq_s8(vreinterpretq_s8_u8(code)));
        } else {
          lo = lo_t.lookup<4>(code);
          hi = hi_t.lookup<4>(code);
        }
        int16x8_t w0 = vreinterpretq_s16_u8(vzip1q_u8(lo, hi));
        int16x8_t w1 = vreinterpretq_s16_u8(vzip2q_u8(lo, hi));
        if (F == Cb8Form::General) {
          w0 = vreinterpretq_s16_u16(veorq_u16(vreinterpretq_u16_s16(w0), x8000));
          w1 = vreinterpretq_s16_u16(veorq_u16(vreinterpretq_u16_s16(w1), x8000));
        }
        for (int t = 0; t < NT; ++t) {
          int8x16_t q = vld1q_s8(a.q + (static_cast<size_t>(t0 + t) * a.nb + b) * kBlock + 16 * h);
          if (F == Cb8Form::Symmetric) q = vsubq_s8(veorq_s8(q, neg), neg);
          isum[t] = mla_i16(isum[t], w0, vmovl_s8(vget_low_s8(q)));
          isum[t] = mla_i16(isum[t], w1, vmovl_high_s8(q));
        }
      }
      for (int t = 0; t < NT; ++t) acc[t] = vfmaq_n_f32(acc[t], vcvtq_f32_s32(isum[t]), sc[t][k]);
     }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = hsum(acc[t]) * cb.inv_denom;
  }
}

template <int NT>
[[gnu::noinline]] void rows_cb8_seg(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const Codebook8& cb = *w.cb8;
  const int8x16_t TB = vld1q_s8(cb.seg_bm), TE = vld1q_s8(cb.seg_e);
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cp = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    const int16_t* xp[NT];
    for (int t = 0; t < NT; ++t) xp[t] = a.q16 + static_cast<size_t>(t0 + t) * a.nb * kBlock;
    float32x4_t acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = vdupq_n_f32(0.f);
    for (int g = 0; g < nb; g += 4) {
      const int gn = nb - g < 4 ? nb - g : 4;
      float sc[NT][4];
      for (int t = 0; t < NT; ++t) vst1q_f32(sc[t], scales4(sr, a.d + static_cast<size_t>(t0 + t) * a.nb, g, gn));
      for (int k = 0; k < gn; ++k, cp += kBlock) {
        prefetch(cp);
        int32x4_t isum[NT];
        for (int t = 0; t < NT; ++t) isum[t] = vdupq_n_s32(0);
        for (int h = 0; h < 2; ++h) {
          const uint8x16_t code = vld1q_u8(cp + 16 * h);
          const uint8x16_t n = vshrq_n_u8(code, 4);
          const int8x16_t e = vqtbl1q_s8(TE, n);
          const int8x16_t u = vaddq_s8(vqtbl1q_s8(TB, n), vreinterpretq_s8_u8(vandq_u8(code, m4)));
          const int16x8_t w0 = vmlal_s8(vshll_n_s8(vget_low_s8(e), 7), vget_low_s8(e), vget_low_s8(u));
          const int16x8_t w1 = vmlal_high_s8(vshll_high_n_s8(e, 7), e, u);
          for (int t = 0; t < NT; ++t) {
            isum[t] = mla_i16(isum[t], w0, vld1q_s16(xp[t] + 16 * h));
            isum[t] = mla_i16(isum[t], w1, vld1q_s16(xp[t] + 16 * h + 8));
          }
        }
        for (int t = 0; t < NT; ++t) {
          acc[t] = vfmaq_n_f32(acc[t], vcvtq_f32_s32(isum[t]), sc[t][k]);
          xp[t] += kBlock;
        }
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = hsum(acc[t]) * cb.inv_denom;
  }
}

template <int NT>
[[gnu::noinline]] void rows_cb4(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const int8x16_t tab = vld1q_s8(w.cb4->ints);
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * (w.cols_p / 2);
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    float32x4_t acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = vdupq_n_f32(0.f);
    for (int g = 0; g < nb; g += 4) {
      const int gn = nb - g < 4 ? nb - g : 4;
      float sc[NT][4];
      for (int t = 0; t < NT; ++t) vst1q_f32(sc[t], scales4(sr, a.d + static_cast<size_t>(t0 + t) * a.nb, g, gn));
      prefetch(cr + static_cast<size_t>(g) * (kBlock / 2));
      for (int k = 0; k < gn; ++k) {
        const int b = g + k;
        const uint8x16_t raw = vld1q_u8(cr + b * (kBlock / 2));
        const int8x16_t wlo = vqtbl1q_s8(tab, vandq_u8(raw, m4));
        const int8x16_t whi = vqtbl1q_s8(tab, vshrq_n_u8(raw, 4));
        for (int t = 0; t < NT; ++t) {
          const int8_t* q = a.q + (static_cast<size_t>(t0 + t) * a.nb + b) * kBlock;
          int32x4_t s = dot_i8x16(vdupq_n_s32(0), wlo, vld1q_s8(q));
          s = dot_i8x16(s, whi, vld1q_s8(q + 16));
          acc[t] = vfmaq_n_f32(acc[t], vcvtq_f32_s32(s), sc[t][k]);
        }
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = hsum(acc[t]) * w.cb4->inv_denom;
  }
}

template <int NT>
[[gnu::noinline]] void rows_seed(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const SeedTable& st = *w.seed;
  const Tab256 lo_t(st.lo), hi_t(st.hi);
  const int cols = w.cols;
  const int nb = (cols + kBlock - 1) / kBlock;
  const size_t sbytes = (static_cast<size_t>(cols) + 7) / 8;
  static const uint8_t kBits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t bits = vld1q_u8(kBits);
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * cols;
    const uint8_t* sg = w.signs + static_cast<size_t>(r) * sbytes;
    float acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = 0.f;
    for (int b = 0; b < nb; ++b) {
      const int c0 = b * kBlock;
      const int n = cols - c0 < kBlock ? cols - c0 : kBlock;
      int32x4_t isum[NT];
      int32_t tail[NT];
      for (int t = 0; t < NT; ++t) {
        isum[t] = vdupq_n_s32(0);
        tail[t] = 0;
      }
      int j = 0;
      for (; j + 16 <= n; j += 16) {
        const int c = c0 + j;
        const uint8x16_t code = vld1q_u8(cr + c);
        const uint8x16_t lo = lo_t.lookup<4>(code), hi = hi_t.lookup<4>(code);
        const int16x8_t w0 = vreinterpretq_s16_u8(vzip1q_u8(lo, hi));
        const int16x8_t w1 = vreinterpretq_s16_u8(vzip2q_u8(lo, hi));
        const uint8x16_t sb = vcombine_u8(vdup_n_u8(sg[c / 8]), vdup_n_u8(sg[c / 8 + 1]));
        const int8x16_t neg = vreinterpretq_s8_u8(vtstq_u8(sb, bits));
        for (int t = 0; t < NT; ++t) {
          int8x16_t q = vld1q_s8(a.q + (static_cast<size_t>(t0 + t) * a.nb + b) * kBlock + j);
          q = vsubq_s8(veorq_s8(q, neg), neg);
          isum[t] = mla_i16(isum[t], w0, vmovl_s8(vget_low_s8(q)));
          isum[t] = mla_i16(isum[t], w1, vmovl_high_s8(q));
        }
      }
      for (; j < n; ++j) {
        const int c = c0 + j;
        const int mag = st.ints[cr[c]];
        const bool negative = (sg[c >> 3] >> (c & 7)) & 1;
        for (int t = 0; t < NT; ++t) {
          const int v = mag * a.q[(static_cast<size_t>(t0 + t) * a.nb + b) * kBlock + j];
          tail[t] += negative ? -v : v;
        }
      }
      for (int t = 0; t < NT; ++t) {
        const size_t tb = static_cast<size_t>(t0 + t) * a.nb + b;
        acc[t] += a.d[tb] * static_cast<float>(vaddvq_s32(isum[t]) + tail[t]);
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = acc[t] * st.step;
  }
}

template <int NT>
void run_tile(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  switch (w.kind) {
    case WeightKind::F32: return rows_float<NT, false>(w, a, t0, r0, r1, y, ldy);
    case WeightKind::BF16: return rows_float<NT, true>(w, a, t0, r0, r1, y, ldy);
    case WeightKind::CB8:
      if (w.cb8->segments) return rows_cb8_seg<NT>(w, a, t0, r0, r1, y, ldy);
      switch (w.cb8->form) {
        case Cb8Form::Symmetric: return rows_cb8<NT, Cb8Form::Symmetric>(w, a, t0, r0, r1, y, ldy);
        case Cb8Form::General: return rows_cb8<NT, Cb8Form::General>(w, a, t0, r0, r1, y, ldy);
        case Cb8Form::Int8: return rows_cb8<NT, Cb8Form::Int8>(w, a, t0, r0, r1, y, ldy);
      }
      return;
    case WeightKind::CB4: return rows_cb4<NT>(w, a, t0, r0, r1, y, ldy);
    case WeightKind::Seed: return rows_seed<NT>(w, a, t0, r0, r1, y, ldy);
  }
}

void matmul(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  int t = 0;
  for (; t + kTile <= a.T; t += kTile) run_tile<kTile>(t, w, a, r0, r1, y, ldy);
  switch (a.T - t) {
    case 3: run_tile<3>(t, w, a, r0, r1, y, ldy); break;
    case 2: run_tile<2>(t, w, a, r0, r1, y, ldy); break;
    case 1: run_tile<1>(t, w, a, r0, r1, y, ldy); break;
    default: break;
  }
}

#if defined(__ARM_FEATURE_DOTPROD)
// ---------------------------------------------------------------------------------------------
// GEMM (prefill): four rows at a time are decoded into int8 planes where each 16-byte vector holds
// one column quad of the four rows (int16 values as a high and a low plane: v = 256 * hi + lo);
// the activations come as groups of four tokens (Acts::xq). vdotq_laneq_s32 multiplies the four
// tokens' quad with one row's quad: 16 multiply-adds per instruction.

// int16 value -> (hi, lo) bytes with v = 256 * hi + lo, lo in -128..127.
inline void split16(int v, int8_t* hi, int8_t* lo) {
  const int h = (v + 128) >> 8;
  *hi = static_cast<int8_t>(h);
  *lo = static_cast<int8_t>(v - 256 * h);
}

// Decodes rows r..r+3 (rows past r1 repeat row r) into interleaved planes; returns the planes used
// (1 for int8-valued weights, 2 otherwise) and the output factor.
int decode_rows4(const WeightView& w, int r, int r1, int8_t* lo, int8_t* hi, float* scale, float* post) {
  const int nb = (w.cols + kBlock - 1) / kBlock;
  const bool int8 = w.kind == WeightKind::CB4 || (w.kind == WeightKind::CB8 && w.cb8->form == Cb8Form::Int8);
  std::vector<float> row(static_cast<size_t>(nb) * kBlock);
  for (int i = 0; i < 4; ++i) {
    const int rr = r + i < r1 ? r + i : r;
    float* sc = scale + static_cast<size_t>(i) * nb;
    int16_t vals[kBlock];
    for (int b = 0; b < nb; ++b) {
      // integer values of block b of row rr and its scale
      if (w.kind == WeightKind::CB4) {
        const uint8_t* blk = w.codes + static_cast<size_t>(rr) * (w.cols_p / 2) + static_cast<size_t>(b) * 16;
        for (int j = 0; j < kBlock; ++j) vals[j] = w.cb4->ints[j < 16 ? (blk[j] & 15) : (blk[j - 16] >> 4)];
        sc[b] = half_f32(w.scales[static_cast<size_t>(rr) * nb + b]);
        *post = w.cb4->inv_denom;
      } else {
        const uint8_t* cr = w.codes + static_cast<size_t>(rr) * w.cols_p + static_cast<size_t>(b) * kBlock;
        for (int j = 0; j < kBlock; ++j) vals[j] = w.cb8->ints[cr[j]];
        sc[b] = half_f32(w.scales[static_cast<size_t>(rr) * nb + b]);
        *post = w.cb8->inv_denom;
      }
      for (int qd = 0; qd < 8; ++qd)
        for (int k = 0; k < 4; ++k) {
          const size_t o = ((static_cast<size_t>(b) * 8 + qd) * 4 + i) * 4 + k;
          if (int8) lo[o] = static_cast<int8_t>(vals[4 * qd + k]);
          else split16(vals[4 * qd + k], hi + o, lo + o);
        }
    }
  }
  return int8 ? 1 : 2;
}

template <int P>
void gemm_tile(const int8_t* lo, const int8_t* hi, const float* scale, int nb, const Acts& a, int g0, int ngv, float* out) {
  float32x4_t facc[4][2];
  for (int i = 0; i < 4; ++i) facc[i][0] = facc[i][1] = vdupq_n_f32(0.f);
  for (int b = 0; b < nb; ++b) {
    int32x4_t al[4][2], ah[4][2];
    for (int i = 0; i < 4; ++i)
      for (int n = 0; n < 2; ++n) al[i][n] = ah[i][n] = vdupq_n_s32(0);
    const int8_t* xb0 = a.xq + (static_cast<size_t>(g0) * nb + b) * 128;
    const int8_t* xb1 = a.xq + (static_cast<size_t>(g0 + (ngv > 1 ? 1 : 0)) * nb + b) * 128;
    for (int qd = 0; qd < 8; ++qd) {
      const int8x16_t X0 = vld1q_s8(xb0 + qd * 16), X1 = vld1q_s8(xb1 + qd * 16);
      const int8x16_t WL = vld1q_s8(lo + (static_cast<size_t>(b) * 8 + qd) * 16);
      al[0][0] = vdotq_laneq_s32(al[0][0], X0, WL, 0);
      al[1][0] = vdotq_laneq_s32(al[1][0], X0, WL, 1);
      al[2][0] = vdotq_laneq_s32(al[2][0], X0, WL, 2);
      al[3][0] = vdotq_laneq_s32(al[3][0], X0, WL, 3);
      al[0][1] = vdotq_laneq_s32(al[0][1], X1, WL, 0);
      al[1][1] = vdotq_laneq_s32(al[1][1], X1, WL, 1);
      al[2][1] = vdotq_laneq_s32(al[2][1], X1, WL, 2);
      al[3][1] = vdotq_laneq_s32(al[3][1], X1, WL, 3);
      if (P == 2) {
        const int8x16_t WH = vld1q_s8(hi + (static_cast<size_t>(b) * 8 + qd) * 16);
        ah[0][0] = vdotq_laneq_s32(ah[0][0], X0, WH, 0);
        ah[1][0] = vdotq_laneq_s32(ah[1][0], X0, WH, 1);
        ah[2][0] = vdotq_laneq_s32(ah[2][0], X0, WH, 2);
        ah[3][0] = vdotq_laneq_s32(ah[3][0], X0, WH, 3);
        ah[0][1] = vdotq_laneq_s32(ah[0][1], X1, WH, 0);
        ah[1][1] = vdotq_laneq_s32(ah[1][1], X1, WH, 1);
        ah[2][1] = vdotq_laneq_s32(ah[2][1], X1, WH, 2);
        ah[3][1] = vdotq_laneq_s32(ah[3][1], X1, WH, 3);
      }
    }
    for (int n = 0; n < 2; ++n) {
      const float32x4_t D = vld1q_f32(a.dt + (static_cast<size_t>(g0 + (n < ngv ? n : 0)) * nb + b) * kQuadGroup);
      for (int i = 0; i < 4; ++i) {
        const int32x4_t isum = P == 2 ? vaddq_s32(vshlq_n_s32(ah[i][n], 8), al[i][n]) : al[i][n];
        facc[i][n] = vfmaq_f32(facc[i][n], vcvtq_f32_s32(isum), vmulq_n_f32(D, scale[static_cast<size_t>(i) * nb + b]));
      }
    }
  }
  for (int i = 0; i < 4; ++i)
    for (int n = 0; n < 2; ++n) vst1q_f32(out + (i * 2 + n) * kQuadGroup, facc[i][n]);
}

// Values a (hi, lo) byte pair can hold: 256 * hi + lo with hi, lo in -128..127.
bool splits(const WeightView& w) {
  if (w.kind == WeightKind::CB4) return true;
  if (w.kind == WeightKind::Seed) return false;  // magnitudes up to 32767
  for (int k = 0; k < 256; ++k)
    if (w.cb8->ints[k] > 32639) return false;
  return true;
}

void gemm(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  // Float weights, and codebooks with values beyond the two-plane range (format 1 qins8, seed),
  // take the GEMV kernels token by token.
  if (!w.coded() || !splits(w)) return matmul(w, a, r0, r1, y, ldy);
  const int nb = (w.cols + kBlock - 1) / kBlock;
  const int ng = quad_groups(a.T);
  thread_local std::vector<int8_t> lo, hi;
  thread_local std::vector<float> scale;
  lo.resize(static_cast<size_t>(nb) * kBlock * 4);
  hi.resize(static_cast<size_t>(nb) * kBlock * 4);
  scale.resize(static_cast<size_t>(nb) * 4);
  float out[4 * 2 * kQuadGroup];
  for (int r = r0; r < r1; r += 4) {
    float post = 1.f;
    const int planes = decode_rows4(w, r, r1, lo.data(), hi.data(), scale.data(), &post);
    const int rr = r1 - r < 4 ? r1 - r : 4;
    for (int g = 0; g < ng; g += 2) {
      const int ngv = ng - g >= 2 ? 2 : 1;
      if (planes == 2)
        gemm_tile<2>(lo.data(), hi.data(), scale.data(), nb, a, g, ngv, out);
      else
        gemm_tile<1>(lo.data(), hi.data(), scale.data(), nb, a, g, ngv, out);
      for (int i = 0; i < rr; ++i)
        for (int n = 0; n < ngv; ++n)
          for (int l = 0; l < kQuadGroup; ++l) {
            const int t = (g + n) * kQuadGroup + l;
            if (t < a.T) y[static_cast<size_t>(t) * ldy + r + i] = out[(i * 2 + n) * kQuadGroup + l] * post;
          }
    }
  }
}
#endif

// e^x (Cephes expf: range reduction by ln 2, degree-5 polynomial; about 1 ulp).
inline float32x4_t exp_ps(float32x4_t x) {
  x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(88.0f)), vdupq_n_f32(-87.3365447505531f));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_n_f32(x, n, 0.693359375f);
  r = vfmsq_n_f32(r, n, -2.12194440e-4f);
  float32x4_t y = vdupq_n_f32(1.9875691500e-4f);
  y = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), y, r);
  y = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), y, r);
  y = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), y, r);
  y = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), y, r);
  y = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), y, r);
  y = vaddq_f32(vfmaq_f32(r, y, vmulq_f32(r, r)), vdupq_n_f32(1.f));
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(y, vreinterpretq_f32_s32(e));
}

inline float load1(const float* p) { return *p; }
inline float load1(const uint16_t* p) { return half_f32(*p); }
inline float32x4_t load4(const float* p) { return vld1q_f32(p); }
inline float32x4_t load4(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

template <typename KV>
void attend(const float* q, const KV* k, const KV* v, int n, int hd, float scale, float* out, float* sc) {
  const int h4 = hd / 4 * 4;
  float mx = -INFINITY;
  for (int j = 0; j < n; ++j) {
    const KV* kj = k + static_cast<size_t>(j) * hd;
    float32x4_t a = vdupq_n_f32(0.f);
    for (int i = 0; i < h4; i += 4) a = vfmaq_f32(a, vld1q_f32(q + i), load4(kj + i));
    float s = vaddvq_f32(a);
    for (int i = h4; i < hd; ++i) s += q[i] * load1(kj + i);
    sc[j] = s * scale;
    mx = sc[j] > mx ? sc[j] : mx;
  }
  const float32x4_t mxv = vdupq_n_f32(mx);
  float32x4_t sumv = vdupq_n_f32(0.f);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const float32x4_t e = exp_ps(vsubq_f32(vld1q_f32(sc + j), mxv));
    vst1q_f32(sc + j, e);
    sumv = vaddq_f32(sumv, e);
  }
  float sum = vaddvq_f32(sumv);
  for (; j < n; ++j) {
    sc[j] = vgetq_lane_f32(exp_ps(vdupq_n_f32(sc[j] - mx)), 0);
    sum += sc[j];
  }
  const float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0.f;
  for (j = 0; j < n; ++j) {
    const KV* vj = v + static_cast<size_t>(j) * hd;
    const float p = sc[j] * inv;
    for (int i = 0; i < h4; i += 4) vst1q_f32(out + i, vfmaq_n_f32(vld1q_f32(out + i), load4(vj + i), p));
    for (int i = h4; i < hd; ++i) out[i] += p * load1(vj + i);
  }
}

// q8 cache: int8 rows widened to float, a float fp16 scale per block.
void attend_q8(const float* q, const uint8_t* k, const uint8_t* v, int n, int hd, float scale, float* out, float* sc) {
  const int nb = kv_q8_blocks(hd);
  const size_t rb = static_cast<size_t>(kv_q8_row_bytes(hd));
  float mx = -INFINITY;
  for (int j = 0; j < n; ++j) {
    const int8_t* kq = reinterpret_cast<const int8_t*>(k + j * rb);
    const uint16_t* ks = reinterpret_cast<const uint16_t*>(k + j * rb + static_cast<size_t>(nb) * kBlock);
    float s = 0.f;
    for (int b = 0; b < nb; ++b) {
      const int c0 = b * kBlock, e = hd - c0 < kBlock ? hd - c0 : kBlock;
      uint16_t h;
      std::memcpy(&h, ks + b, 2);
      float32x4_t blk = vdupq_n_f32(0.f);
      int i = 0;
      for (; i + 8 <= e; i += 8) {
        const int16x8_t w = vmovl_s8(vld1_s8(kq + c0 + i));
        blk = vfmaq_f32(blk, vld1q_f32(q + c0 + i), vcvtq_f32_s32(vmovl_s16(vget_low_s16(w))));
        blk = vfmaq_f32(blk, vld1q_f32(q + c0 + i + 4), vcvtq_f32_s32(vmovl_high_s16(w)));
      }
      float t = vaddvq_f32(blk);
      for (; i < e; ++i) t += q[c0 + i] * static_cast<float>(kq[c0 + i]);
      s += half_f32(h) * t;
    }
    sc[j] = s * scale;
    mx = sc[j] > mx ? sc[j] : mx;
  }
  const float32x4_t mxv = vdupq_n_f32(mx);
  float32x4_t sumv = vdupq_n_f32(0.f);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const float32x4_t e = exp_ps(vsubq_f32(vld1q_f32(sc + j), mxv));
    vst1q_f32(sc + j, e);
    sumv = vaddq_f32(sumv, e);
  }
  float sum = vaddvq_f32(sumv);
  for (; j < n; ++j) {
    sc[j] = vgetq_lane_f32(exp_ps(vdupq_n_f32(sc[j] - mx)), 0);
    sum += sc[j];
  }
  const float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0.f;
  for (j = 0; j < n; ++j) {
    const int8_t* vq = reinterpret_cast<const int8_t*>(v + j * rb);
    const uint16_t* vs = reinterpret_cast<const uint16_t*>(v + j * rb + static_cast<size_t>(nb) * kBlock);
    const float p = sc[j] * inv;
    for (int b = 0; b < nb; ++b) {
      const int c0 = b * kBlock, e = hd - c0 < kBlock ? hd - c0 : kBlock;
      uint16_t h;
      std::memcpy(&h, vs + b, 2);
      const float c = p * half_f32(h);
      int i = 0;
      for (; i + 8 <= e; i += 8) {
        const int16x8_t w = vmovl_s8(vld1_s8(vq + c0 + i));
        vst1q_f32(out + c0 + i, vfmaq_n_f32(vld1q_f32(out + c0 + i), vcvtq_f32_s32(vmovl_s16(vget_low_s16(w))), c));
        vst1q_f32(out + c0 + i + 4, vfmaq_n_f32(vld1q_f32(out + c0 + i + 4), vcvtq_f32_s32(vmovl_high_s16(w)), c));
      }
      for (; i < e; ++i) out[c0 + i] += c * static_cast<float>(vq[c0 + i]);
    }
  }
}

void attend_f32(const float* q, const float* k, const float* v, int n, int hd, float scale, float* out, float* sc) {
  attend<float>(q, k, v, n, hd, scale, out, sc);
}
void attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n, int hd, float scale, float* out, float* sc) {
  attend<uint16_t>(q, k, v, n, hd, scale, out, sc);
}

float dot_f32(const float* a, const float* b, int n) {
  float32x4_t acc = vdupq_n_f32(0.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) acc = vfmaq_f32(acc, vld1q_f32(a + i), vld1q_f32(b + i));
  float s = vaddvq_f32(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy_f32(float alpha, const float* x, float* y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), alpha));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

inline float32x4_t load_h4(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

float dot_f16(const float* a, const uint16_t* b, int n) {
  float32x4_t acc = vdupq_n_f32(0.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) acc = vfmaq_f32(acc, vld1q_f32(a + i), load_h4(b + i));
  float s = vaddvq_f32(acc);
  for (; i < n; ++i) s += a[i] * half_f32(b[i]);
  return s;
}

void axpy_f16(float alpha, const uint16_t* x, float* y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), load_h4(x + i), alpha));
  for (; i < n; ++i) y[i] += alpha * half_f32(x[i]);
}

void silu_mul(const float* g, const float* u, float* out, int n) {
  const float32x4_t one = vdupq_n_f32(1.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t gv = vld1q_f32(g + i);
    const float32x4_t e = exp_ps(vnegq_f32(gv));
    vst1q_f32(out + i, vmulq_f32(vdivq_f32(gv, vaddq_f32(one, e)), vld1q_f32(u + i)));
  }
  for (; i < n; ++i) out[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

void f32_to_f16(const float* x, uint16_t* y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
  for (; i < n; ++i) y[i] = f32_half(x[i]);
}

uint64_t stream_read(const void* p, size_t bytes) {
  const uint64_t* u = static_cast<const uint64_t*>(p);
  uint64x2_t a0 = vdupq_n_u64(0), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 8; i += 8) {
    a0 = vaddq_u64(a0, vld1q_u64(u + i));
    a1 = vaddq_u64(a1, vld1q_u64(u + i + 2));
    a2 = vaddq_u64(a2, vld1q_u64(u + i + 4));
    a3 = vaddq_u64(a3, vld1q_u64(u + i + 6));
  }
  return vaddvq_u64(vaddq_u64(vaddq_u64(a0, a1), vaddq_u64(a2, a3)));
}

void decode_row(const WeightView& w, int r, float* out) { generic_kernels().decode_row(w, r, out); }

const KernelSet kNeon = {
#if defined(__ARM_FEATURE_DOTPROD)
    "neon-dotprod",
#else
    "neon",
#endif
    false, Q16Order::Natural, matmul,
#if defined(__ARM_FEATURE_DOTPROD)
    gemm, GemmLayout::Quads4, 8,
#else
    nullptr, GemmLayout::None, 0,
#endif
    decode_row, attend_f32, attend_f16, attend_q8, dot_f32, axpy_f32, dot_f16, axpy_f16, f32_to_f16, silu_mul, stream_read};

}  // namespace

const KernelSet& neon_kernels() { return kNeon; }

}  // namespace qins
