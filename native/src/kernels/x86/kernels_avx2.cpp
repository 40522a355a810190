// AVX2 + FMA + F16C kernels (Haswell / Zen 1 and later).
//
// The same source, compiled with QINS_AVXVNNI defined (kernels_avxvnni.cpp, -mavxvnni), is the
// avxvnni set for AVX2 CPUs that also have AVX-VNNI (Alder Lake and later Intel cores, Zen 5):
// vpdpbusd / vpdpwssd multiply and accumulate in one instruction where AVX2 needs two or three,
// and the 4-bit path multiplies the unsigned biased table values with the activations directly
// (no int16 intermediate to saturate, so no |w| and sign steps for wide tables).
//
// One block (32 codes) per step:
//   8-bit int8 (q8) and 4-bit: int8 weights, vpmaddubsw on |w| and sign-adjusted activations
//     (|w| <= 128 and |q| <= 127 keep the int16 pair sums exact), then vpmaddwd to int32.
//   8-bit symmetric / general and seed: AVX2 has no 128/256-entry byte permute, so the int16 values
//     come from a 256-entry int32 table by vpgatherdd (8 codes per gather) and are multiplied with
//     the activations by vpmaddwd (the activation's upper 16 bits are zero, so each int32 lane is
//     exactly value * q).
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/half.h"
#include "kernels/kernels.h"

namespace qins {
namespace {

constexpr int kTile = 4;
// Software prefetch distance in bytes ahead of the weight stream (decode reads weights once, from
// memory; the loads alone keep too few cache misses in flight to reach the memory's bandwidth).
#ifndef QINS_PREFETCH
#define QINS_PREFETCH 4096
#endif
constexpr int kPrefetch = QINS_PREFETCH;

#if defined(QINS_AVXVNNI)
// acc + sum of the four u8 x s8 products of each int32 lane.
inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_avx_epi32(acc, u, s); }
// acc + sum of the two int16 x int16 products of each int32 lane.
inline __m256i dot_i16(__m256i acc, __m256i a, __m256i b) { return _mm256_dpwssd_avx_epi32(acc, a, b); }
#else
// (without VNNI, only for |u| * |s| pair sums that fit int16: see the callers)
inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}
inline __m256i dot_i16(__m256i acc, __m256i a, __m256i b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
#endif

inline void prefetch(const void* p) {
  if constexpr (kPrefetch > 0) _mm_prefetch(static_cast<const char*>(p) + kPrefetch, _MM_HINT_T0);
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 load_bf16x8(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
}

template <int NT, bool BF16>
[[gnu::noinline]] void rows_float(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int cols = w.cols;
  for (int r = r0; r < r1; ++r) {
    const float* wf = static_cast<const float*>(w.data) + static_cast<size_t>(r) * cols;
    const uint16_t* wb = static_cast<const uint16_t*>(w.data) + static_cast<size_t>(r) * cols;
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
      if ((c & 15) == 0) prefetch(BF16 ? static_cast<const void*>(wb + c) : static_cast<const void*>(wf + c));
      const __m256 wv = BF16 ? load_bf16x8(wb + c) : _mm256_loadu_ps(wf + c);
      for (int t = 0; t < NT; ++t)
        acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(a.x + static_cast<size_t>(t0 + t) * a.ldx + c), acc[t]);
    }
    for (int t = 0; t < NT; ++t) {
      float s = hsum(acc[t]);
      const float* x = a.x + static_cast<size_t>(t0 + t) * a.ldx;
      for (int k = c; k < cols; ++k) s += (BF16 ? bf16_f32(wb[k]) : wf[k]) * x[k];
      y[static_cast<size_t>(t0 + t) * ldy + r] = s;
    }
  }
}

// int8 weights w (32 lanes) times int8 activations q: 8 int32 partial sums.
inline __m256i dot_i8(__m256i w, __m256i q) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(q, w));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

template <int NT>
void rows_cb8_int8(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy);

// q (8 int8 values) as int32 lanes holding the int16 value in the low half and zero above.
inline __m256i q_lo16(const int8_t* q) {
  return _mm256_and_si256(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))), _mm256_set1_epi32(0xffff));
}

template <int NT>
[[gnu::noinline]] void rows_cb8_gather(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  alignas(32) int32_t tab[256];
  for (int i = 0; i < 256; ++i) tab[i] = w.cb8->ints[i];
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; ++b) {
      __m256i wv[4];
      for (int k = 0; k < 4; ++k) {
        const __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(cr + b * kBlock + 8 * k)));
        wv[k] = _mm256_i32gather_epi32(tab, idx, 4);
      }
      const float ws = half_f32(sr[b]);
      for (int t = 0; t < NT; ++t) {
        const size_t tb = static_cast<size_t>(t0 + t) * a.nb + b;
        const int8_t* q = a.q + tb * kBlock;
        __m256i s = _mm256_madd_epi16(wv[0], q_lo16(q));
        for (int k = 1; k < 4; ++k) s = _mm256_add_epi32(s, _mm256_madd_epi16(wv[k], q_lo16(q + 8 * k)));
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(ws * a.d[tb]), acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = hsum(acc[t]) * w.cb8->inv_denom;
  }
}

// Lane mask for the first n of 8 int32 / float lanes.
inline __m256i lanes(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }

// fp16 weight scales of blocks b..b+n-1 (n <= 8) as floats; lanes past n are zero.
inline __m256 weight_scales(const uint16_t* sr, int b, int n) {
  if (n == 8) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sr + b)));
  alignas(16) uint16_t h[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(h, sr + b, sizeof(uint16_t) * n);
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
}

// Scales of a group of up to 8 blocks for NT tokens: fp16 weight scale x activation scale, stored
// so that each block's factor is one broadcast load.
template <int NT>
inline void group_scales(const uint16_t* sr, const Acts& a, int t0, int b, int n, float (*out)[8]) {
  const __m256 ws = weight_scales(sr, b, n);
  const __m256i m = lanes(n);
  for (int t = 0; t < NT; ++t) _mm256_store_ps(out[t], _mm256_mul_ps(ws, _mm256_maskload_ps(a.d + static_cast<size_t>(t0 + t) * a.nb + b, m)));
}

// 8-bit int8 codebooks (q8): the code byte is the value.
template <int NT>
[[gnu::noinline]] void rows_cb8_int8(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const int8_t* xb[NT];
  for (int t = 0; t < NT; ++t) xb[t] = a.q + static_cast<size_t>(t0 + t) * a.nb * kBlock;
  alignas(32) float sc[NT][8];
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int g = 0; g < nb; g += 8) {
      const int gn = nb - g < 8 ? nb - g : 8;
      group_scales<NT>(sr, a, t0, g, gn, sc);
      for (int k = 0; k < gn; ++k) {
        const int b = g + k;
        prefetch(cr + static_cast<size_t>(b) * kBlock);
        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cr + static_cast<size_t>(b) * kBlock));
        const __m256i aw = _mm256_abs_epi8(wv);
        for (int t = 0; t < NT; ++t) {
          const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[t] + static_cast<size_t>(b) * kBlock));
          const __m256i p = dot_u8s8(_mm256_setzero_si256(), aw, _mm256_sign_epi8(qv, wv));
          acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_broadcast_ss(&sc[t][k]), acc[t]);
        }
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = hsum(acc[t]) * w.cb8->inv_denom;
  }
}

// 8-bit segment codebooks (qins8): the code's high nibble n (sign and segment) indexes 16-entry
// tables of B (unsigned) and E (signed), the low nibble is the step j, and the value is
// E[n] * (B[n] + j). vpmaddubsw forms it in int16 lanes, once with E masked to the even bytes and
// once to the odd ones; vpmaddwd multiplies it with the int16 activations (Acts::q16: even columns,
// then odd ones). 15 vector operations per 32 weights.
template <int NT>
[[gnu::noinline]] void rows_cb8_seg(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const Codebook8& cb = *w.cb8;
  const __m256i TB = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(cb.seg_b)));
  const __m256i TE = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(cb.seg_e)));
  const __m256i m4 = _mm256_set1_epi8(0x0f), even = _mm256_set1_epi16(0x00ff), odd = _mm256_set1_epi16(static_cast<short>(0xff00));
  const int16_t* xb[NT];
  for (int t = 0; t < NT; ++t) xb[t] = a.q16 + static_cast<size_t>(t0 + t) * a.nb * kBlock;
  alignas(32) float sc[NT][8];
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (int g = 0; g < nb; g += 8) {
      const int gn = nb - g < 8 ? nb - g : 8;
      group_scales<NT>(sr, a, t0, g, gn, sc);
      for (int k = 0; k < gn; ++k) {
        const int b = g + k;
        prefetch(cr + static_cast<size_t>(b) * kBlock);
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cr + static_cast<size_t>(b) * kBlock));
        const __m256i n = _mm256_and_si256(_mm256_srli_epi16(c, 4), m4);
        const __m256i u = _mm256_add_epi8(_mm256_shuffle_epi8(TB, n), _mm256_and_si256(c, m4));
        const __m256i e = _mm256_shuffle_epi8(TE, n);
        const __m256i ve = _mm256_maddubs_epi16(u, _mm256_and_si256(e, even));
        const __m256i vo = _mm256_maddubs_epi16(u, _mm256_and_si256(e, odd));
        for (int t = 0; t < NT; ++t) {
          const int16_t* x = xb[t] + static_cast<size_t>(b) * kBlock;
          const __m256i p = dot_i16(_mm256_madd_epi16(ve, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))), vo,
                                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 16)));
          acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_broadcast_ss(&sc[t][k]), acc[t]);
        }
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = hsum(acc[t]) * cb.inv_denom;
  }
}

// 4-bit codebooks: two blocks (32 code bytes) per step. Low nibbles hold columns 0..15 of each
// block and high nibbles columns 16..31, so the activations come in that order (Acts::q4,
// reorder_q4). Tables whose values span at most 127 (q4) are looked up with a bias that makes them
// unsigned 0..127: vpmaddubsw multiplies them with the activations directly and the bias comes back
// out per row as bias * sum_b(scale_b * d_b * sum(q_b)). Wider tables (qins4) take |w| and move
// the sign to the activations. With VNNI (the avxvnni set) every table goes the biased way: values
// + 128 (Codebook4::biased) are unsigned bytes, vpdpbusd sums their products with the activations
// in int32 (nothing to saturate) and the bias comes back out the same way. 10 vector operations per
// 64 weights besides the loads, against 12 (Small) and 17 (Wide) without VNNI.
enum class Cb4Way { Small, Wide, Biased };

template <int NT, Cb4Way Way>
[[gnu::noinline]] void rows_cb4_t(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const int ng = (nb + 3) / 4;
  const Codebook4& cb = *w.cb4;
  const void* table = Way == Cb4Way::Small ? static_cast<const void*>(cb.small) : Way == Cb4Way::Wide ? static_cast<const void*>(cb.ints) : cb.biased;
  const __m256i tab = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(table)));
  const float bias = Way == Cb4Way::Small ? static_cast<float>(cb.small_bias) : 128.f;
  const __m256i m4 = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
  // lanes 0..3 <- block k, 4..7 <- block k + 1 of a group's 8 scales
  const __m256i pidx[4] = {_mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1), _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3),
                           _mm256_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5), _mm256_setr_epi32(6, 6, 6, 6, 7, 7, 7, 7)};
  const int8_t* xb[NT];
  for (int t = 0; t < NT; ++t) xb[t] = a.q4 + static_cast<size_t>(t0 + t) * ng * 128;
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * (w.cols_p / 2);
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    __m256 acc[NT], corr[NT];
    for (int t = 0; t < NT; ++t) acc[t] = corr[t] = _mm256_setzero_ps();
    for (int g = 0; g < nb; g += 8) {
      const int gn = nb - g < 8 ? nb - g : 8;
      const __m256 ws = weight_scales(sr, g, gn);
      const __m256i m = lanes(gn);
      __m256 S[NT];
      for (int t = 0; t < NT; ++t) {
        const size_t tb = static_cast<size_t>(t0 + t) * a.nb + g;
        const __m256 d = _mm256_maskload_ps(a.d + tb, m);
        S[t] = _mm256_mul_ps(ws, d);
        if (Way != Cb4Way::Wide) corr[t] = _mm256_fmadd_ps(S[t], _mm256_cvtepi32_ps(_mm256_maskload_epi32(a.s + tb, m)), corr[t]);
      }
      for (int k = 0; k < gn; k += 2) {
        const int b = g + k;
        const uint8_t* cp = cr + static_cast<size_t>(b) * (kBlock / 2);
        prefetch(cp);
        // a lone last block: its upper lanes hold code 0 times zero-padded activations
        const __m256i raw = k + 1 < gn ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cp))
                                       : _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(cp)));
        const __m256i wl = _mm256_shuffle_epi8(tab, _mm256_and_si256(raw, m4));
        const __m256i wh = _mm256_shuffle_epi8(tab, _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4));
        // activations of blocks b, b+1 in nibble order: 32 bytes of low columns, then (64 on) the high ones
        const size_t off = static_cast<size_t>(b / 4) * 128 + static_cast<size_t>(b % 4) * 16;
        for (int t = 0; t < NT; ++t) {
          const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[t] + off));
          const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[t] + off + 64));
          __m256i p;
          if (Way == Cb4Way::Biased) {
            p = dot_u8s8(dot_u8s8(_mm256_setzero_si256(), wl, xl), wh, xh);  // VNNI only (no int16 step)
          } else if (Way == Cb4Way::Small) {
            p = _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(wl, xl), _mm256_maddubs_epi16(wh, xh)), ones);
          } else {
            p = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(wl), _mm256_sign_epi8(xl, wl)), ones),
                                 _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(wh), _mm256_sign_epi8(xh, wh)), ones));
          }
          acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_permutevar8x32_ps(S[t], pidx[k / 2]), acc[t]);
        }
      }
    }
    for (int t = 0; t < NT; ++t) {
      float v = hsum(acc[t]);
      if (Way != Cb4Way::Wide) v -= bias * hsum(corr[t]);
      y[static_cast<size_t>(t0 + t) * ldy + r] = v * cb.inv_denom;
    }
  }
}


template <int NT>
void rows_cb4(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
#if defined(QINS_AVXVNNI)
  return rows_cb4_t<NT, Cb4Way::Biased>(w, a, t0, r0, r1, y, ldy);
#else
  if (w.cb4->small_bias >= 0) return rows_cb4_t<NT, Cb4Way::Small>(w, a, t0, r0, r1, y, ldy);
  rows_cb4_t<NT, Cb4Way::Wide>(w, a, t0, r0, r1, y, ldy);
#endif
}

template <int NT>
[[gnu::noinline]] void rows_seed(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  alignas(32) int32_t tab[256];
  for (int i = 0; i < 256; ++i) tab[i] = w.seed->ints[i];
  const int cols = w.cols;
  const int nfull = cols / kBlock;
  const size_t sbytes = (static_cast<size_t>(cols) + 7) / 8;
  const __m256i bitsel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * cols;
    const uint8_t* sg = w.signs + static_cast<size_t>(r) * sbytes;
    __m256 acc[NT];
    float tail[NT];
    for (int t = 0; t < NT; ++t) {
      acc[t] = _mm256_setzero_ps();
      tail[t] = 0.f;
    }
    for (int b = 0; b < nfull; ++b) {
      __m256i wv[4];
      for (int k = 0; k < 4; ++k) {
        const int c = b * kBlock + 8 * k;
        const __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(cr + c)));
        const __m256i mag = _mm256_i32gather_epi32(tab, idx, 4);
        // negate where the sign bit is set: (v ^ m) - m
        const __m256i m = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(sg[c / 8]), bitsel), bitsel);
        wv[k] = _mm256_sub_epi32(_mm256_xor_si256(mag, m), m);
      }
      for (int t = 0; t < NT; ++t) {
        const size_t tb = static_cast<size_t>(t0 + t) * a.nb + b;
        const int8_t* q = a.q + tb * kBlock;
        __m256i s = _mm256_mullo_epi32(wv[0], _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))));
        for (int k = 1; k < 4; ++k)
          s = _mm256_add_epi32(s, _mm256_mullo_epi32(wv[k], _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * k)))));
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(a.d[tb]), acc[t]);
      }
    }
    if (nfull * kBlock < cols) {  // partial last block
      const int b = nfull;
      for (int t = 0; t < NT; ++t) {
        const size_t tb = static_cast<size_t>(t0 + t) * a.nb + b;
        int32_t isum = 0;
        for (int c = b * kBlock; c < cols; ++c) {
          const int v = tab[cr[c]] * a.q[tb * kBlock + (c - b * kBlock)];
          isum += ((sg[c >> 3] >> (c & 7)) & 1) ? -v : v;
        }
        tail[t] = a.d[tb] * static_cast<float>(isum);
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = (hsum(acc[t]) + tail[t]) * w.seed->step;
  }
}

template <int NT>
void run_tile(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  switch (w.kind) {
    case WeightKind::F32: return rows_float<NT, false>(w, a, t0, r0, r1, y, ldy);
    case WeightKind::BF16: return rows_float<NT, true>(w, a, t0, r0, r1, y, ldy);
    case WeightKind::CB8:
      if (w.cb8->form == Cb8Form::Int8) return rows_cb8_int8<NT>(w, a, t0, r0, r1, y, ldy);
      if (w.cb8->segments) return rows_cb8_seg<NT>(w, a, t0, r0, r1, y, ldy);
      return rows_cb8_gather<NT>(w, a, t0, r0, r1, y, ldy);
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

// ---------------------------------------------------------------------------------------------
// GEMM (prefill): tokens in lanes (Acts::xp, groups of 8 tokens as int16 column pairs). Rows are
// decoded once to int16 values and a float scale per block; every token group reuses them. A pair
// of weights (one int32) is broadcast to all lanes and vpmaddwd multiplies it with the pair's
// columns of 8 tokens: 16 multiply-adds per operation for every codec. Block sums are exact int32.

// Decodes row r to int16 values (cols_p of them, zero padded) and per-block float scales; returns
// the factor that turns the float sums into outputs.
float decode_row16(const WeightView& w, int r, int16_t* out, float* scale) {
  const int nb = w.cols_p / kBlock;
  if (w.kind == WeightKind::Seed) {
    const SeedTable& st = *w.seed;
    const int cols = w.cols;
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * cols;
    const uint8_t* sg = w.signs + static_cast<size_t>(r) * ((static_cast<size_t>(cols) + 7) / 8);
    for (int c = 0; c < (cols + kBlock - 1) / kBlock * kBlock; ++c) out[c] = 0;
    for (int c = 0; c < cols; ++c) {
      const int16_t v = st.ints[cr[c]];
      out[c] = ((sg[c >> 3] >> (c & 7)) & 1) ? static_cast<int16_t>(-v) : v;
    }
    for (int b = 0; b < (cols + kBlock - 1) / kBlock; ++b) scale[b] = 1.f;
    return st.step;
  }
  const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
  for (int b = 0; b < nb; b += 8) _mm256_storeu_ps(scale + b, weight_scales(sr, b, nb - b < 8 ? nb - b : 8));
  if (w.kind == WeightKind::CB4) {
    const Codebook4& cb = *w.cb4;
    const __m128i tab = _mm_load_si128(reinterpret_cast<const __m128i*>(cb.ints)), m4 = _mm_set1_epi8(0x0f);
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * (w.cols_p / 2);
    for (int b = 0; b < nb; ++b) {
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cr + static_cast<size_t>(b) * 16));
      const __m128i lo = _mm_shuffle_epi8(tab, _mm_and_si128(raw, m4));
      const __m128i hi = _mm_shuffle_epi8(tab, _mm_and_si128(_mm_srli_epi16(raw, 4), m4));
      int16_t* o = out + static_cast<size_t>(b) * kBlock;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_cvtepi8_epi16(lo));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 16), _mm256_cvtepi8_epi16(hi));
    }
    return cb.inv_denom;
  }
  const Codebook8& cb = *w.cb8;
  const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
  if (cb.form == Cb8Form::Int8) {
    for (int c = 0; c < w.cols_p; c += 16)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c),
                          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(cr + c))));
  } else if (cb.segments) {
    const __m256i TB = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(cb.seg_b)));
    const __m256i TE = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(cb.seg_e)));
    const __m256i m4 = _mm256_set1_epi8(0x0f), even = _mm256_set1_epi16(0x00ff), odd = _mm256_set1_epi16(static_cast<short>(0xff00));
    for (int c = 0; c < w.cols_p; c += kBlock) {
      const __m256i code = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cr + c));
      const __m256i n = _mm256_and_si256(_mm256_srli_epi16(code, 4), m4);
      const __m256i u = _mm256_add_epi8(_mm256_shuffle_epi8(TB, n), _mm256_and_si256(code, m4));
      const __m256i e = _mm256_shuffle_epi8(TE, n);
      const __m256i ve = _mm256_maddubs_epi16(u, _mm256_and_si256(e, even));
      const __m256i vo = _mm256_maddubs_epi16(u, _mm256_and_si256(e, odd));
      const __m256i lo = _mm256_unpacklo_epi16(ve, vo), hi = _mm256_unpackhi_epi16(ve, vo);  // columns 0-7 16-23 | 8-15 24-31
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c), _mm256_permute2x128_si256(lo, hi, 0x20));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
    }
  } else {
    for (int c = 0; c < w.cols_p; ++c) out[c] = cb.ints[cr[c]];
  }
  return cb.inv_denom;
}

#if defined(QINS_AVXVNNI)
// GEMM with VNNI (the Quads16 layout of the AVX-512 GEMM, read as two halves of 8 tokens): each
// row is decoded to int16 (decode_row16) and then to unsigned byte planes, one (value + 128) when
// the values are int8 (4-bit and q8 codes), else two (value + 32768 = 256 * hi + lo). A broadcast
// quad of weight bytes times four columns of 8 tokens is one vpdpbusd: 32 multiply-adds per
// instruction where vpmaddwd does 16. The offsets come back out through the correction
// -128 * sum(q) of each token (xt's ct; x 256 for the high plane), which starts the accumulator.
struct Planes {
  int count;   // 1 or 2
  float post;  // the factor that turns the float sums into outputs
};

Planes decode_planes(const WeightView& w, int r, int16_t* tmp, uint8_t* lo, uint8_t* hi, float* scale) {
  const float post = decode_row16(w, r, tmp, scale);
  const int cp = (w.cols + kBlock - 1) / kBlock * kBlock;
  const bool int8 = w.kind == WeightKind::CB4 || (w.kind == WeightKind::CB8 && w.cb8->form == Cb8Form::Int8);
  const __m256i bias = _mm256_set1_epi16(static_cast<short>(int8 ? 0x80 : 0x8000)), lo8 = _mm256_set1_epi16(0xff);
  for (int c = 0; c < cp; c += 32) {
    // 32 values as unsigned 16-bit, then their low bytes (and high bytes) in column order
    const __m256i v0 = _mm256_add_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tmp + c)), bias);
    const __m256i v1 = _mm256_add_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tmp + c + 16)), bias);
    const __m256i l = _mm256_permute4x64_epi64(_mm256_packus_epi16(_mm256_and_si256(v0, lo8), _mm256_and_si256(v1, lo8)), 0xd8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lo + c), l);
    if (!int8) {
      const __m256i h = _mm256_permute4x64_epi64(_mm256_packus_epi16(_mm256_srli_epi16(v0, 8), _mm256_srli_epi16(v1, 8)), 0xd8);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(hi + c), h);
    }
  }
  return {int8 ? 1 : 2, post};
}

// R rows x the two 8-token halves of one Quads16 token group.
template <int R, int P>
void gemm_tile_vnni(const uint8_t* const* lo, const uint8_t* const* hi, const float* const* scale, int nb, const Acts& a, int g, float* out) {
  __m256 accf[R][2];
  for (int i = 0; i < R; ++i) accf[i][0] = accf[i][1] = _mm256_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    const size_t gb = static_cast<size_t>(g) * nb + b;
    __m256i al[R][2], ah[R][2];
    for (int n = 0; n < 2; ++n) {
      const __m256i C = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.ct + gb * kGemmGroup + 8 * n));
      for (int i = 0; i < R; ++i) {
        al[i][n] = P == 2 ? _mm256_setzero_si256() : C;
        ah[i][n] = C;
      }
    }
    const int8_t* xb = a.xt + gb * 8 * kGemmGroup * 4;
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      const __m256i X0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb + j * 64));
      const __m256i X1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb + j * 64 + 32));
      for (int i = 0; i < R; ++i) {
        int32_t wl;
        std::memcpy(&wl, lo[i] + b * kBlock + 4 * j, 4);
        const __m256i WL = _mm256_set1_epi32(wl);
        al[i][0] = dot_u8s8(al[i][0], WL, X0);
        al[i][1] = dot_u8s8(al[i][1], WL, X1);
        if (P == 2) {
          int32_t wh;
          std::memcpy(&wh, hi[i] + b * kBlock + 4 * j, 4);
          const __m256i WH = _mm256_set1_epi32(wh);
          ah[i][0] = dot_u8s8(ah[i][0], WH, X0);
          ah[i][1] = dot_u8s8(ah[i][1], WH, X1);
        }
      }
    }
    for (int n = 0; n < 2; ++n) {
      const __m256 D = _mm256_loadu_ps(a.dt + gb * kGemmGroup + 8 * n);
      for (int i = 0; i < R; ++i) {
        const __m256i isum = P == 2 ? _mm256_add_epi32(_mm256_slli_epi32(ah[i][n], 8), al[i][n]) : al[i][n];
        accf[i][n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(D, _mm256_broadcast_ss(scale[i] + b)), accf[i][n]);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int n = 0; n < 2; ++n) _mm256_storeu_ps(out + (static_cast<size_t>(i) * 2 + n) * 8, accf[i][n]);
}

template <int R, int P>
void gemm_rows_vnni(const WeightView& w, const Acts& a, int r, int rr, const uint8_t* const* lo, const uint8_t* const* hi, const float* const* sc,
                    float post, float* y, size_t ldy) {
  const int nb = (w.cols + kBlock - 1) / kBlock;
  alignas(32) float out[R * 2 * 8];
  for (int g = 0; g < gemm_groups(a.T); ++g) {
    gemm_tile_vnni<R, P>(lo, hi, sc, nb, a, g, out);
    for (int i = 0; i < rr; ++i)
      for (int l = 0; l < kGemmGroup; ++l) {
        const int t = g * kGemmGroup + l;
        if (t < a.T) y[static_cast<size_t>(t) * ldy + r + i] = out[i * kGemmGroup + l] * post;
      }
  }
}

void gemm(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  if (!w.coded()) return matmul(w, a, r0, r1, y, ldy);
  constexpr int R = 3;  // rows per tile with one plane; two planes take two rows (registers)
  const int nb = (w.cols + kBlock - 1) / kBlock;
  thread_local std::vector<int16_t> tmp;
  thread_local std::vector<uint8_t> planes;
  thread_local std::vector<float> scales;
  const size_t stride = static_cast<size_t>(nb) * kBlock + 32;
  tmp.resize(stride);
  planes.resize(stride * 2 * R);
  scales.resize(static_cast<size_t>(nb + 8) * R);
  for (int r = r0; r < r1;) {
    const uint8_t* lo[R];
    const uint8_t* hi[R];
    const float* sc[R];
    Planes p{1, 1.f};
    const int want = r1 - r < R ? r1 - r : R;
    int rr = 0;
    for (int i = 0; i < want; ++i) {
      uint8_t* l = planes.data() + stride * 2 * i;
      float* s = scales.data() + static_cast<size_t>(nb + 8) * i;
      p = decode_planes(w, r + i, tmp.data(), l, l + stride, s);
      lo[i] = l;
      hi[i] = l + stride;
      sc[i] = s;
      rr = i + 1;
      if (p.count == 2 && rr == 2) break;
    }
    for (int i = rr; i < R; ++i) {
      lo[i] = lo[0];
      hi[i] = hi[0];
      sc[i] = sc[0];
    }
    if (p.count == 2)
      gemm_rows_vnni<2, 2>(w, a, r, rr, lo, hi, sc, p.post, y, ldy);
    else
      gemm_rows_vnni<R, 1>(w, a, r, rr, lo, hi, sc, p.post, y, ldy);
    r += rr;
  }
}
#else
template <int R, int NG>
void gemm_tile(const int16_t* const* wr, const float* const* scale, int nb, const Acts& a, int g0, float* out) {
  __m256 facc[R][NG];
  for (int i = 0; i < R; ++i)
    for (int n = 0; n < NG; ++n) facc[i][n] = _mm256_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    __m256i acc[R][NG];
    for (int i = 0; i < R; ++i)
      for (int n = 0; n < NG; ++n) acc[i][n] = _mm256_setzero_si256();
    const int16_t* xb[NG];
    for (int n = 0; n < NG; ++n) xb[n] = a.xp + (static_cast<size_t>(g0 + n) * nb + b) * 256;
#pragma GCC unroll 2
    for (int p = 0; p < kBlock / 2; ++p) {
      __m256i X[NG];
      for (int n = 0; n < NG; ++n) X[n] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[n] + p * 16));
      for (int i = 0; i < R; ++i) {
        int32_t pair;
        std::memcpy(&pair, wr[i] + b * kBlock + 2 * p, 4);
        const __m256i W = _mm256_set1_epi32(pair);
        for (int n = 0; n < NG; ++n) acc[i][n] = dot_i16(acc[i][n], W, X[n]);
      }
    }
    for (int n = 0; n < NG; ++n) {
      const __m256 D = _mm256_loadu_ps(a.dt + (static_cast<size_t>(g0 + n) * nb + b) * kPairGroup);
      for (int i = 0; i < R; ++i)
        facc[i][n] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][n]), _mm256_mul_ps(D, _mm256_broadcast_ss(scale[i] + b)), facc[i][n]);
    }
  }
  for (int i = 0; i < R; ++i)
    for (int n = 0; n < NG; ++n) _mm256_storeu_ps(out + (static_cast<size_t>(i) * NG + n) * kPairGroup, facc[i][n]);
}

void gemm(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  if (!w.coded()) return matmul(w, a, r0, r1, y, ldy);
  constexpr int R = 3;
  const int nb = (w.cols + kBlock - 1) / kBlock;
  const int ng = pair_groups(a.T);
  thread_local std::vector<int16_t> rows;
  thread_local std::vector<float> scales;
  const size_t stride = static_cast<size_t>(nb) * kBlock + 32;
  rows.resize(stride * R);
  scales.resize(static_cast<size_t>(nb + 8) * R);
  const int16_t* wr[R];
  const float* sc[R];
  alignas(32) float out[R * 2 * kPairGroup];
  for (int r = r0; r < r1; r += R) {
    const int rr = r1 - r < R ? r1 - r : R;
    float post = 1.f;
    for (int i = 0; i < R; ++i) {
      int16_t* row = rows.data() + stride * i;
      float* s = scales.data() + static_cast<size_t>(nb + 8) * i;
      if (i < rr) post = decode_row16(w, r + i, row, s);
      wr[i] = rows.data() + stride * (i < rr ? i : 0);
      sc[i] = scales.data() + static_cast<size_t>(nb + 8) * (i < rr ? i : 0);
    }
    for (int g = 0; g < ng; g += 2) {
      const int NGv = ng - g >= 2 ? 2 : 1;
      if (NGv == 2)
        gemm_tile<R, 2>(wr, sc, nb, a, g, out);
      else
        gemm_tile<R, 1>(wr, sc, nb, a, g, out);
      for (int i = 0; i < rr; ++i)
        for (int n = 0; n < NGv; ++n)
          for (int l = 0; l < kPairGroup; ++l) {
            const int t = (g + n) * kPairGroup + l;
            if (t < a.T) y[static_cast<size_t>(t) * ldy + r + i] = out[(static_cast<size_t>(i) * NGv + n) * kPairGroup + l] * post;
          }
    }
  }
}

#endif

// e^x (Cephes expf: range reduction by ln 2, degree-5 polynomial; about 1 ulp).
inline __m256 exp_ps(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.3365447505531f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_add_ps(_mm256_fmadd_ps(y, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

inline float load1(const float* p) { return *p; }
inline float load1(const uint16_t* p) { return half_f32(*p); }
inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 load8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

template <typename KV>
void attend(const float* q, const KV* k, const KV* v, int n, int hd, float scale, float* out, float* sc) {
  const int h8 = hd / 8 * 8;
  float mx = -INFINITY;
  for (int j = 0; j < n; ++j) {
    const KV* kj = k + static_cast<size_t>(j) * hd;
    __m256 a = _mm256_setzero_ps();
    for (int i = 0; i < h8; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8(kj + i), a);
    float s = hsum(a);
    for (int i = h8; i < hd; ++i) s += q[i] * load1(kj + i);
    sc[j] = s * scale;
    mx = sc[j] > mx ? sc[j] : mx;
  }
  const __m256 mxv = _mm256_set1_ps(mx);
  __m256 sumv = _mm256_setzero_ps();
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(sc + j), mxv));
    _mm256_storeu_ps(sc + j, e);
    sumv = _mm256_add_ps(sumv, e);
  }
  float sum = hsum(sumv);
  for (; j < n; ++j) {
    alignas(32) float t[8] = {sc[j] - mx, 0, 0, 0, 0, 0, 0, 0};
    _mm256_store_ps(t, exp_ps(_mm256_load_ps(t)));
    sc[j] = t[0];
    sum += t[0];
  }
  const float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0.f;
  for (j = 0; j < n; ++j) {
    const KV* vj = v + static_cast<size_t>(j) * hd;
    const float p = sc[j] * inv;
    const __m256 pv = _mm256_set1_ps(p);
    for (int i = 0; i < h8; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(pv, load8(vj + i), _mm256_loadu_ps(out + i)));
    for (int i = h8; i < hd; ++i) out[i] += p * load1(vj + i);
  }
}

// q8 cache: int8 rows widened to float (vpmovsxbd + vcvtdq2ps), a float fp16 scale per block.
void attend_q8(const float* q, const uint8_t* k, const uint8_t* v, int n, int hd, float scale, float* out, float* sc) {
  const int nb = kv_q8_blocks(hd);
  const size_t rb = static_cast<size_t>(kv_q8_row_bytes(hd));
  const auto f8 = [](const int8_t* p) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))); };
  float mx = -INFINITY;
  for (int j = 0; j < n; ++j) {
    const int8_t* kq = reinterpret_cast<const int8_t*>(k + j * rb);
    const uint16_t* ks = reinterpret_cast<const uint16_t*>(k + j * rb + static_cast<size_t>(nb) * kBlock);
    __m256 tot = _mm256_setzero_ps();
    float tail = 0.f;
    for (int b = 0; b < nb; ++b) {
      const int c0 = b * kBlock, e = hd - c0 < kBlock ? hd - c0 : kBlock;
      uint16_t h;
      std::memcpy(&h, ks + b, 2);
      const float d = _cvtsh_ss(h);
      __m256 blk = _mm256_setzero_ps();
      int i = 0;
      for (; i + 8 <= e; i += 8) blk = _mm256_fmadd_ps(_mm256_loadu_ps(q + c0 + i), f8(kq + c0 + i), blk);
      float t = 0.f;
      for (; i < e; ++i) t += q[c0 + i] * static_cast<float>(kq[c0 + i]);
      tot = _mm256_fmadd_ps(blk, _mm256_set1_ps(d), tot);
      tail += d * t;
    }
    sc[j] = (hsum(tot) + tail) * scale;
    mx = sc[j] > mx ? sc[j] : mx;
  }
  const __m256 mxv = _mm256_set1_ps(mx);
  __m256 sumv = _mm256_setzero_ps();
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(sc + j), mxv));
    _mm256_storeu_ps(sc + j, e);
    sumv = _mm256_add_ps(sumv, e);
  }
  float sum = hsum(sumv);
  for (; j < n; ++j) {
    alignas(32) float t[8] = {sc[j] - mx, 0, 0, 0, 0, 0, 0, 0};
    _mm256_store_ps(t, exp_ps(_mm256_load_ps(t)));
    sc[j] = t[0];
    sum += t[0];
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
      const float c = p * _cvtsh_ss(h);
      const __m256 cv = _mm256_set1_ps(c);
      int i = 0;
      for (; i + 8 <= e; i += 8) _mm256_storeu_ps(out + c0 + i, _mm256_fmadd_ps(cv, f8(vq + c0 + i), _mm256_loadu_ps(out + c0 + i)));
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
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  float s = hsum(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy_f32(float alpha, const float* x, float* y, int n) {
  const __m256 av = _mm256_set1_ps(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

float dot_f16(const float* a, const uint16_t* b, int n) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8)
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))), acc);
  float s = hsum(acc);
  for (; i < n; ++i) s += a[i] * half_f32(b[i]);
  return s;
}

void axpy_f16(float alpha, const uint16_t* x, float* y, int n) {
  const __m256 av = _mm256_set1_ps(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, xv, _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += alpha * half_f32(x[i]);
}

void silu_mul(const float* g, const float* u, float* out, int n) {
  const __m256 one = _mm256_set1_ps(1.f), zero = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gv = _mm256_loadu_ps(g + i);
    const __m256 e = exp_ps(_mm256_sub_ps(zero, gv));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(gv, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) out[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

void f32_to_f16(const float* x, uint16_t* y, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) y[i] = f32_half(x[i]);
}

uint64_t stream_read(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(c + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(c + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(c + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(c + i + 96)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t v[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(v), s);
  return v[0] + v[1] + v[2] + v[3];
}

void decode_row(const WeightView& w, int r, float* out) { generic_kernels().decode_row(w, r, out); }

#if defined(QINS_AVXVNNI)
constexpr char kName[] = "avxvnni";
#else
constexpr char kName[] = "avx2";
#endif
#if defined(QINS_AVXVNNI)
constexpr GemmLayout kLayout = GemmLayout::Quads16;
#else
constexpr GemmLayout kLayout = GemmLayout::Pairs8;
#endif
const KernelSet kSet = {kName, true, Q16Order::EvenOdd, matmul, gemm, kLayout, kPairGroup, decode_row, attend_f32, attend_f16, attend_q8, dot_f32, axpy_f32, dot_f16, axpy_f16, f32_to_f16, silu_mul, stream_read};

}  // namespace

#if defined(QINS_AVXVNNI)
const KernelSet& avxvnni_kernels() { return kSet; }
#else
const KernelSet& avx2_kernels() { return kSet; }
#endif

}  // namespace qins
