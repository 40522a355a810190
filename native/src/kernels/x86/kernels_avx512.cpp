// AVX-512 kernels (F, BW, VL, DQ, VBMI, VNNI: Ice Lake / Zen 4 and later).
//
// Coded paths work on 64 codes (two blocks of 32) per step:
//   8-bit symmetric (qins8): bit 7 of the code is the sign; the 128 int16 magnitudes are split into
//     a low-byte and a high-byte table of 128 entries each, looked up with vpermi2b; the sign is
//     folded into the int8 activations (masked negate) and vpdpbusd computes
//     256 * sum(hi * q) + sum(lo * q) exactly in int32.
//   8-bit general: the same with 256-entry offset-binary tables (two vpermi2b + blend per plane)
//     and a -32768 * sum(q) correction per block.
//   8-bit int8 (q8): code ^ 0x80 is an unsigned byte; one vpdpbusd and a -128 * sum(q) correction.
//   4-bit: four blocks (128 codes) per step; nibbles index a 16-entry table with vpermb; the
//     activations come re-ordered to the nibble order (Acts::q4, reorder_q4).
//   seed: 256-entry magnitude tables like the general form; the sign plane is a 64-bit k-mask.
//   8-bit segments (qins8, format 2): 16-entry vpshufb lookups of the code's high nibble, products
//     formed by vpmaddubsw in int16 lanes, vpdpwssd with int16 activations (Acts::q16).
// int32 lanes 0..7 hold the first block's partial sums and 8..15 the second's; they are converted to
// float and scaled by fp16 scale x activation scale per block.
#include <immintrin.h>

// GCC 12 warns about an uninitialised temporary inside its own _mm512_reduce_add_ps (a header false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <cstring>
#include <vector>

#include "kernels/half.h"
#include "kernels/kernels.h"

namespace qins {
namespace {

constexpr int kTile = 4;  // tokens sharing one decoded weight step
inline __mmask64 mask64(int n) { return n >= 64 ? ~0ULL : ((1ULL << n) - 1); }
inline __mmask16 mask16(int n) { return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1); }

// fp16 weight scales of blocks g..g+n-1 (n <= 16) as floats, lanes past n zero. A full group takes a
// plain load: a masked load of data that must come from memory held one core to ~24 GB/s on Zen 5
// (the 4-bit GEMV below read 35–37 GB/s per core with the plain load, `kernel_bench`-style stack of
// 1 GB), since these scales stream from memory with the codes.
inline __m512 weight_scales16(const uint16_t* sr, int g, int n) {
  return _mm512_cvtph_ps(n == 16 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sr + g)) : _mm256_maskz_loadu_epi16(mask16(n), sr + g));
}

// Software prefetch distance in bytes ahead of the 4-bit weight stream (decode reads every weight
// once, from memory).
#ifndef QINS_PREFETCH
#define QINS_PREFETCH 4096
#endif
constexpr int kPrefetch = QINS_PREFETCH;
inline void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p) + kPrefetch, _MM_HINT_T0); }

// ---------------------------------------------------------------------------------------------
// float paths

template <bool BF16>
inline __m512 load_w16(const float* wf, const uint16_t* wb, int c) {
  if (BF16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + c))), 16));
  return _mm512_loadu_ps(wf + c);
}

template <int NT, bool BF16>
[[gnu::noinline]] void rows_float(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int cols = w.cols;
  const float* x[NT];
  for (int t = 0; t < NT; ++t) x[t] = a.x + static_cast<size_t>(t0 + t) * a.ldx;
  for (int r = r0; r < r1; ++r) {
    __m512 acc[NT], acc2[NT];
    for (int t = 0; t < NT; ++t) acc[t] = acc2[t] = _mm512_setzero_ps();
    const float* wf = static_cast<const float*>(w.data) + static_cast<size_t>(r) * cols;
    const uint16_t* wb = static_cast<const uint16_t*>(w.data) + static_cast<size_t>(r) * cols;
    int c = 0;
    for (; c + 32 <= cols; c += 32) {
      const __m512 w0 = load_w16<BF16>(wf, wb, c), w1 = load_w16<BF16>(wf, wb, c + 16);
      for (int t = 0; t < NT; ++t) {
        acc[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x[t] + c), acc[t]);
        acc2[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x[t] + c + 16), acc2[t]);
      }
    }
    for (; c < cols; c += 16) {
      const __mmask16 k = mask16(cols - c);
      __m512 wv;
      if (BF16)
        wv = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, wb + c)), 16));
      else
        wv = _mm512_maskz_loadu_ps(k, wf + c);
      for (int t = 0; t < NT; ++t) acc[t] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(k, x[t] + c), acc[t]);
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = _mm512_reduce_add_ps(_mm512_add_ps(acc[t], acc2[t]));
  }
}

// ---------------------------------------------------------------------------------------------
// 8-bit codebook path

// Scale vector for the pair of blocks p (0..7) of a 16-block group S: lanes 0..7 = S[2p], 8..15 = S[2p+1].
inline __m512i pair_index(int p) {
  return _mm512_add_epi32(_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0), _mm512_set1_epi32(2 * p));
}

struct Cb8Tables {
  __m512i L0, L1, L2, L3, H0, H1, H2, H3;
  explicit Cb8Tables(const Codebook8& cb)
      : L0(_mm512_load_si512(cb.lo)),
        L1(_mm512_load_si512(cb.lo + 64)),
        L2(_mm512_load_si512(cb.lo + 128)),
        L3(_mm512_load_si512(cb.lo + 192)),
        H0(_mm512_load_si512(cb.hi)),
        H1(_mm512_load_si512(cb.hi + 64)),
        H2(_mm512_load_si512(cb.hi + 128)),
        H3(_mm512_load_si512(cb.hi + 192)) {}
};

// One step of 64 codes (two blocks; with Masked, kc selects the codes that exist) for NT tokens.
// q[t] points at the step's activations of token t; S / C are the tokens' 16-block scale and
// correction vectors, pidx selects this pair's lanes of them.
template <int NT, Cb8Form F, bool Masked>
inline void cb8_step(const Cb8Tables& tb, const uint8_t* codes, const int8_t* const* q, __mmask64 kc, __m512i pidx, const __m512* S,
                     const __m512i* C, __m512* acc) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i code = Masked ? _mm512_maskz_loadu_epi8(kc, codes) : _mm512_loadu_si512(codes);
  __m512i lo, hi;
  __mmask64 neg = 0;
  if (F == Cb8Form::Symmetric) {
    neg = _mm512_movepi8_mask(code);
    lo = _mm512_permutex2var_epi8(tb.L0, code, tb.L1);
    hi = _mm512_permutex2var_epi8(tb.H0, code, tb.H1);
  } else if (F == Cb8Form::General) {
    const __mmask64 up = _mm512_movepi8_mask(code);
    lo = _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(tb.L0, code, tb.L1), _mm512_permutex2var_epi8(tb.L2, code, tb.L3));
    hi = _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(tb.H0, code, tb.H1), _mm512_permutex2var_epi8(tb.H2, code, tb.H3));
  } else {
    lo = _mm512_xor_si512(code, _mm512_set1_epi8(static_cast<char>(0x80)));
    hi = zero;
  }
  for (int t = 0; t < NT; ++t) {
    __m512i x = Masked ? _mm512_maskz_loadu_epi8(kc, q[t]) : _mm512_loadu_si512(q[t]);
    __m512i isum;
    if (F == Cb8Form::Symmetric) {
      x = _mm512_mask_sub_epi8(x, neg, zero, x);
      isum = _mm512_dpbusd_epi32(zero, hi, x);
      isum = _mm512_slli_epi32(isum, 8);
      isum = _mm512_dpbusd_epi32(isum, lo, x);
    } else {
      // correction -128 * sum(q) per block (int8 form; the general form's hi plane is shifted by 8)
      const __m512i corr = _mm512_maskz_permutexvar_epi32(0x0101, pidx, C[t]);
      if (F == Cb8Form::General) {
        isum = _mm512_dpbusd_epi32(corr, hi, x);
        isum = _mm512_slli_epi32(isum, 8);
        isum = _mm512_dpbusd_epi32(isum, lo, x);
      } else {
        isum = _mm512_dpbusd_epi32(corr, lo, x);
      }
    }
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_permutexvar_ps(pidx, S[t]), acc[t]);
  }
}

// Per-token factors of a group of up to 16 blocks: S = weight scale x activation scale, and with
// Correct the offset correction C = -128 * sum(q) of the biased (unsigned) weights, else zero.
template <int NT, bool Correct>
inline void group_factors(const uint16_t* sr, const Acts& a, int t0, int g, int gn, __m512* S, __m512i* C) {
  const __mmask16 kg = mask16(gn);
  const __m512 ws = weight_scales16(sr, g, gn);
  for (int t = 0; t < NT; ++t) {
    const size_t tb = static_cast<size_t>(t0 + t) * a.nb + g;
    S[t] = _mm512_mul_ps(ws, _mm512_maskz_loadu_ps(kg, a.d + tb));
    C[t] = Correct ? _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(_mm512_maskz_loadu_epi32(kg, a.s + tb), 7)) : _mm512_setzero_si512();
  }
}

// 8-bit segment codebooks (qins8, format 2): the AVX2 kernel's lookups on two blocks per step. The
// code's high nibble n indexes 16-entry tables of B (unsigned) and E (signed) by vpshufb, B + j
// adds the low nibble, and vpmaddubsw forms E * (B + j) in int16 lanes, once with E masked to the
// even bytes and once to the odd ones. The int16 activations (Acts::q16) hold each block's even
// columns, then its odd ones (256 bits each), so two blocks' evens fill one register for vpdpwssd.
template <bool Pair>
inline void seg_acts(const int16_t* x, __m512i& xe, __m512i& xo) {
  const __m256i e0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
  const __m256i o0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 16));
  if (Pair) {
    xe = _mm512_inserti64x4(_mm512_castsi256_si512(e0), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32)), 1);
    xo = _mm512_inserti64x4(_mm512_castsi256_si512(o0), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 48)), 1);
  } else {  // the row's last block alone: zero activations in the upper half
    xe = _mm512_zextsi256_si512(e0);
    xo = _mm512_zextsi256_si512(o0);
  }
}

struct SegTables {
  __m512i TB, TE, m4, even, odd;
  explicit SegTables(const Codebook8& cb)
      : TB(_mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(cb.seg_b)))),
        TE(_mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(cb.seg_e)))),
        m4(_mm512_set1_epi8(0x0f)),
        even(_mm512_set1_epi16(0x00ff)),
        odd(_mm512_set1_epi16(static_cast<short>(0xff00))) {}
};

// Blocks b and b + 1 (Pair) or b alone: codes at cp, activations at x[t] (block b's q16).
template <int NT, bool Pair>
inline void seg_step(const SegTables& tb, const uint8_t* cp, const int16_t* const* x, __m512i pidx, const __m512* S, __m512* acc) {
  prefetch(cp);
  const __m512i c = Pair ? _mm512_loadu_si512(cp) : _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(cp)));
  const __m512i n = _mm512_and_si512(_mm512_srli_epi16(c, 4), tb.m4);
  const __m512i u = _mm512_add_epi8(_mm512_shuffle_epi8(tb.TB, n), _mm512_and_si512(c, tb.m4));
  const __m512i e = _mm512_shuffle_epi8(tb.TE, n);
  const __m512i ve = _mm512_maddubs_epi16(u, _mm512_and_si512(e, tb.even));
  const __m512i vo = _mm512_maddubs_epi16(u, _mm512_and_si512(e, tb.odd));
  for (int t = 0; t < NT; ++t) {
    __m512i xe, xo;
    seg_acts<Pair>(x[t], xe, xo);
    const __m512i isum = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(_mm512_setzero_si512(), ve, xe), vo, xo);
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_permutexvar_ps(pidx, S[t]), acc[t]);
  }
}

// The 8-bit paths of rows_cb8: the decoded tables, the activations and the step over a pair of
// blocks (Tail: possibly the row's last block alone, blocks = 1 or 2).
template <Cb8Form F>
struct Cb8Path {
  using Tables = Cb8Tables;
  using Act = int8_t;
  static constexpr bool kCorrect = F != Cb8Form::Symmetric;
  static const int8_t* acts(const Acts& a) { return a.q; }
  template <int NT, bool Tail>
  static void step(const Tables& tb, const uint8_t* codes, const int8_t* const* x, int blocks, __m512i pidx, const __m512* S,
                   const __m512i* C, __m512* acc) {
    cb8_step<NT, F, Tail>(tb, codes, x, Tail ? mask64(blocks * kBlock) : 0, pidx, S, C, acc);
  }
};
struct SegPath {
  using Tables = SegTables;
  using Act = int16_t;
  static constexpr bool kCorrect = false;
  static const int16_t* acts(const Acts& a) { return a.q16; }
  template <int NT, bool Tail>
  static void step(const Tables& tb, const uint8_t* codes, const int16_t* const* x, int blocks, __m512i pidx, const __m512* S,
                   const __m512i*, __m512* acc) {
    if (Tail && blocks == 1)
      seg_step<NT, false>(tb, codes, x, pidx, S, acc);
    else
      seg_step<NT, true>(tb, codes, x, pidx, S, acc);
  }
};

// Rows r0..r1 of an 8-bit weight for NT tokens: groups of 16 blocks (their scales in S), pairs of
// blocks per step.
template <int NT, class Path>
[[gnu::noinline]] void rows_cb8(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  using Act = typename Path::Act;
  const int nb = w.cols_p / kBlock;
  const Codebook8& cb = *w.cb8;
  const typename Path::Tables tb(cb);
  const Act* xb[NT];
  for (int t = 0; t < NT; ++t) xb[t] = Path::acts(a) + static_cast<size_t>(t0 + t) * a.nb * kBlock;
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (int g = 0; g < nb; g += 16) {
      const int gn = nb - g < 16 ? nb - g : 16;
      __m512 S[NT];
      __m512i C[NT];
      group_factors<NT, Path::kCorrect>(sr, a, t0, g, gn, S, C);
      const Act* x[NT];
      if (gn == 16) {
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p) {
          const size_t off = static_cast<size_t>(g + 2 * p) * kBlock;
          for (int t = 0; t < NT; ++t) x[t] = xb[t] + off;
          Path::template step<NT, false>(tb, cr + off, x, 2, pair_index(p), S, C, acc);
        }
      } else {
        for (int p = 0; 2 * p < gn; ++p) {
          const int b = g + 2 * p;
          const size_t off = static_cast<size_t>(b) * kBlock;
          for (int t = 0; t < NT; ++t) x[t] = xb[t] + off;
          Path::template step<NT, true>(tb, cr + off, x, nb - b >= 2 ? 2 : 1, pair_index(p), S, C, acc);
        }
      }
    }
    for (int t = 0; t < NT; ++t)
      y[static_cast<size_t>(t0 + t) * ldy + r] = _mm512_reduce_add_ps(acc[t]) * cb.inv_denom;
  }
}

// ---------------------------------------------------------------------------------------------
// 4-bit codebook path

inline __m512i quad_index(int g4) {  // lanes 4j..4j+3 -> block 4*g4 + j
  return _mm512_add_epi32(_mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0), _mm512_set1_epi32(4 * g4));
}

// One step of 128 codes (four blocks) for NT tokens. The 16-entry table is repeated four times in
// a 64-byte vector so vpermb can index it with a whole byte (bits 4 and 5 select a copy), which
// spares the masking of the low nibble and of the shifted high nibble's neighbour bits.
template <int NT, bool Masked>
inline void cb4_step(__m512i tab64, const uint8_t* codes, int nblk, const int8_t* const* q, __m512i qidx, const __m512* S, const __m512i* C,
                     __m512* acc) {
  const __m512i raw = Masked ? _mm512_maskz_loadu_epi8(mask64(nblk * 16), codes) : _mm512_loadu_si512(codes);
  const __m512i lo = _mm512_permutexvar_epi8(raw, tab64);
  const __m512i hi = _mm512_permutexvar_epi8(_mm512_srli_epi16(raw, 4), tab64);
  for (int t = 0; t < NT; ++t) {
    const __m512i corr = _mm512_maskz_permutexvar_epi32(0x1111, qidx, C[t]);
    __m512i isum = _mm512_dpbusd_epi32(corr, lo, _mm512_loadu_si512(q[t]));
    isum = _mm512_dpbusd_epi32(isum, hi, _mm512_loadu_si512(q[t] + 64));
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_permutexvar_ps(qidx, S[t]), acc[t]);
  }
}

template <int NT>
[[gnu::noinline]] void rows_cb4(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const int ng = (nb + 3) / 4;
  const __m512i tab64 = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(w.cb4->biased)));
  const int8_t* qbase[NT];
  for (int t = 0; t < NT; ++t) qbase[t] = a.q4 + static_cast<size_t>(t0 + t) * ng * 128;
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * (w.cols_p / 2);
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (int g = 0; g < nb; g += 16) {
      const int gn = nb - g < 16 ? nb - g : 16;
      __m512 S[NT];
      __m512i C[NT];
      group_factors<NT, true>(sr, a, t0, g, gn, S, C);
      const int8_t* q[NT];
      if (gn == 16) {
#pragma GCC unroll 4
        for (int g4 = 0; g4 < 4; ++g4) {
          const int b = g + 4 * g4;
          for (int t = 0; t < NT; ++t) q[t] = qbase[t] + static_cast<size_t>(b / 4) * 128;
          prefetch(cr + static_cast<size_t>(b) * (kBlock / 2));
          cb4_step<NT, false>(tab64, cr + static_cast<size_t>(b) * (kBlock / 2), 4, q, quad_index(g4), S, C, acc);
        }
      } else {
        for (int g4 = 0; 4 * g4 < gn; ++g4) {
          const int b = g + 4 * g4;
          for (int t = 0; t < NT; ++t) q[t] = qbase[t] + static_cast<size_t>(b / 4) * 128;
          cb4_step<NT, true>(tab64, cr + static_cast<size_t>(b) * (kBlock / 2), nb - b < 4 ? nb - b : 4, q, quad_index(g4), S, C, acc);
        }
      }
    }
    for (int t = 0; t < NT; ++t)
      y[static_cast<size_t>(t0 + t) * ldy + r] = _mm512_reduce_add_ps(acc[t]) * w.cb4->inv_denom;
  }
}

// ---------------------------------------------------------------------------------------------
// qins-seed path

template <int NT, bool Masked>
inline void seed_step(const Cb8Tables& tb, const uint8_t* codes, const uint8_t* signs, const int8_t* const* q, int n, __m512i pidx,
                      const __m512* S, __m512* acc) {
  const __m512i zero = _mm512_setzero_si512();
  __mmask64 kc = ~0ULL, neg;
  __m512i code;
  if (Masked) {
    kc = mask64(n);
    code = _mm512_maskz_loadu_epi8(kc, codes);
    uint64_t sbits = 0;
    std::memcpy(&sbits, signs, static_cast<size_t>((n + 7) / 8));
    neg = _cvtu64_mask64(sbits) & kc;
  } else {
    code = _mm512_loadu_si512(codes);
    uint64_t sbits;
    std::memcpy(&sbits, signs, 8);
    neg = _cvtu64_mask64(sbits);
  }
  const __mmask64 up = _mm512_movepi8_mask(code);
  const __m512i lo = _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(tb.L0, code, tb.L1), _mm512_permutex2var_epi8(tb.L2, code, tb.L3));
  const __m512i hi = _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(tb.H0, code, tb.H1), _mm512_permutex2var_epi8(tb.H2, code, tb.H3));
  for (int t = 0; t < NT; ++t) {
    __m512i x = Masked ? _mm512_maskz_loadu_epi8(kc, q[t]) : _mm512_loadu_si512(q[t]);
    x = _mm512_mask_sub_epi8(x, neg, zero, x);
    __m512i isum = _mm512_dpbusd_epi32(zero, hi, x);
    isum = _mm512_slli_epi32(isum, 8);
    isum = _mm512_dpbusd_epi32(isum, lo, x);
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_permutexvar_ps(pidx, S[t]), acc[t]);
  }
}

template <int NT>
[[gnu::noinline]] void rows_seed(const WeightView& w, const Acts& a, int t0, int r0, int r1, float* y, size_t ldy) {
  const SeedTable& st = *w.seed;
  Codebook8 shim;  // the seed's magnitude planes in the 256-entry layout of the general 8-bit form
  std::memcpy(shim.lo, st.lo, 256);
  std::memcpy(shim.hi, st.hi, 256);
  const Cb8Tables tb(shim);
  const int cols = w.cols;
  const int nb = (cols + kBlock - 1) / kBlock;
  const size_t sbytes = (static_cast<size_t>(cols) + 7) / 8;
  const int8_t* qbase[NT];
  for (int t = 0; t < NT; ++t) qbase[t] = a.q + static_cast<size_t>(t0 + t) * a.nb * kBlock;
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * cols;
    const uint8_t* sg = w.signs + static_cast<size_t>(r) * sbytes;
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (int g = 0; g < nb; g += 16) {
      const int gn = nb - g < 16 ? nb - g : 16;
      const __mmask16 kg = mask16(gn);
      __m512 S[NT];
      for (int t = 0; t < NT; ++t) S[t] = _mm512_maskz_loadu_ps(kg, a.d + static_cast<size_t>(t0 + t) * a.nb + g);
      const int8_t* q[NT];
      const int gc = g * kBlock;
      if (gc + 16 * kBlock <= cols) {
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p) {
          const int c0 = gc + p * 64;
          for (int t = 0; t < NT; ++t) q[t] = qbase[t] + c0;
          seed_step<NT, false>(tb, cr + c0, sg + c0 / 8, q, 64, pair_index(p), S, acc);
        }
      } else {
        for (int p = 0; 2 * p < gn; ++p) {
          const int c0 = gc + p * 64;
          const int n = cols - c0 < 64 ? cols - c0 : 64;
          for (int t = 0; t < NT; ++t) q[t] = qbase[t] + c0;
          seed_step<NT, true>(tb, cr + c0, sg + c0 / 8, q, n, pair_index(p), S, acc);
        }
      }
    }
    for (int t = 0; t < NT; ++t) y[static_cast<size_t>(t0 + t) * ldy + r] = _mm512_reduce_add_ps(acc[t]) * st.step;
  }
}

// ---------------------------------------------------------------------------------------------

template <template <int> class Op, typename... Args>
void for_tiles(int T, Args&&... args) {
  int t = 0;
  for (; t + kTile <= T; t += kTile) Op<kTile>::run(t, args...);
  switch (T - t) {
    case 3: Op<3>::run(t, args...); break;
    case 2: Op<2>::run(t, args...); break;
    case 1: Op<1>::run(t, args...); break;
    default: break;
  }
}

template <int NT>
struct F32Op {
  static void run(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
    rows_float<NT, false>(w, a, t0, r0, r1, y, ldy);
  }
};
template <int NT>
struct BF16Op {
  static void run(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
    rows_float<NT, true>(w, a, t0, r0, r1, y, ldy);
  }
};
template <int NT>
struct CB8Op {
  static void run(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
    switch (w.cb8->form) {
      case Cb8Form::Symmetric: return rows_cb8<NT, Cb8Path<Cb8Form::Symmetric>>(w, a, t0, r0, r1, y, ldy);
      case Cb8Form::General: return rows_cb8<NT, Cb8Path<Cb8Form::General>>(w, a, t0, r0, r1, y, ldy);
      case Cb8Form::Int8: return rows_cb8<NT, Cb8Path<Cb8Form::Int8>>(w, a, t0, r0, r1, y, ldy);
    }
  }
};
template <int NT>
struct SegOp {
  static void run(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
    rows_cb8<NT, SegPath>(w, a, t0, r0, r1, y, ldy);
  }
};
template <int NT>
struct CB4Op {
  static void run(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
    rows_cb4<NT>(w, a, t0, r0, r1, y, ldy);
  }
};
template <int NT>
struct SeedOp {
  static void run(int t0, const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
    rows_seed<NT>(w, a, t0, r0, r1, y, ldy);
  }
};

void matmul(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  // qins8 segment codebooks: 16-entry vpshufb lookups and int16 activations (Acts::q16), like the
  // AVX2 kernel, rather than the two 128-entry vpermi2b lookups per 64 codes of the symmetric form.
  if (w.kind == WeightKind::CB8 && w.cb8->segments && a.q16) return for_tiles<SegOp>(a.T, w, a, r0, r1, y, ldy);
  switch (w.kind) {
    case WeightKind::F32: return for_tiles<F32Op>(a.T, w, a, r0, r1, y, ldy);
    case WeightKind::BF16: return for_tiles<BF16Op>(a.T, w, a, r0, r1, y, ldy);
    case WeightKind::CB8: return for_tiles<CB8Op>(a.T, w, a, r0, r1, y, ldy);
    case WeightKind::CB4: return for_tiles<CB4Op>(a.T, w, a, r0, r1, y, ldy);
    case WeightKind::Seed: return for_tiles<SeedOp>(a.T, w, a, r0, r1, y, ldy);
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM (prefill): tokens in lanes. Rows are decoded once into unsigned byte planes and every token
// group reuses them: two planes (value + 32768 = 256 * hi + lo) for the 16-bit paths, one plane
// (value + 128) for int8 and 4-bit weights. A quad of four weight bytes is broadcast to all lanes
// and vpdpbusd multiplies it with four columns of 16 tokens; the offsets come back out through the
// per-token correction -128 * sum(q) (x 256 for the high plane), which initialises the accumulator.

struct RowPlanes {
  std::vector<uint8_t> buf;
  std::vector<float> scales;
  int planes = 1;
};

// Decodes row r into lo (and hi) planes of cols_p bytes and a float scale per block. Returns the
// number of planes.
int decode_planes(const WeightView& w, int r, uint8_t* lo, uint8_t* hi, float* scale) {
  const __m512i zero = _mm512_setzero_si512();
  if (w.kind == WeightKind::CB8) {
    const int nb = w.cols_p / kBlock;
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    for (int b = 0; b < nb; b += 16) {
      const int n = nb - b < 16 ? nb - b : 16;
      _mm512_mask_storeu_ps(scale + b, mask16(n), _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask16(n), sr + b)));
    }
    if (w.cb8->form == Cb8Form::Int8) {
      const __m512i x80 = _mm512_set1_epi8(static_cast<char>(0x80));
      for (int c = 0; c < w.cols_p; c += 64) {
        const __mmask64 k = mask64(w.cols_p - c);
        _mm512_mask_storeu_epi8(lo + c, k, _mm512_xor_si512(_mm512_maskz_loadu_epi8(k, cr + c), x80));
      }
      return 1;
    }
    const Codebook8& cb = *w.cb8;
    const __m512i L0 = _mm512_load_si512(cb.ob_lo), L1 = _mm512_load_si512(cb.ob_lo + 64), L2 = _mm512_load_si512(cb.ob_lo + 128),
                  L3 = _mm512_load_si512(cb.ob_lo + 192);
    const __m512i H0 = _mm512_load_si512(cb.ob_hi), H1 = _mm512_load_si512(cb.ob_hi + 64), H2 = _mm512_load_si512(cb.ob_hi + 128),
                  H3 = _mm512_load_si512(cb.ob_hi + 192);
    for (int c = 0; c < w.cols_p; c += 64) {
      const __mmask64 k = mask64(w.cols_p - c);
      const __m512i code = _mm512_maskz_loadu_epi8(k, cr + c);
      const __mmask64 up = _mm512_movepi8_mask(code);
      _mm512_mask_storeu_epi8(lo + c, k, _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(L0, code, L1), _mm512_permutex2var_epi8(L2, code, L3)));
      _mm512_mask_storeu_epi8(hi + c, k, _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(H0, code, H1), _mm512_permutex2var_epi8(H2, code, H3)));
    }
    return 2;
  }
  if (w.kind == WeightKind::CB4) {
    const int nb = w.cols_p / kBlock;
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * (w.cols_p / 2);
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    for (int b = 0; b < nb; b += 16) {
      const int n = nb - b < 16 ? nb - b : 16;
      _mm512_mask_storeu_ps(scale + b, mask16(n), _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask16(n), sr + b)));
    }
    const __m512i tab = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(w.cb4->biased)));
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i i0 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0), i1 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    for (int b = 0; b < nb; b += 4) {  // four blocks (64 code bytes) at a time
      const int n = nb - b < 4 ? nb - b : 4;
      const __m512i raw = _mm512_maskz_loadu_epi8(mask64(16 * n), cr + static_cast<size_t>(b) * 16);
      const __m512i L = _mm512_shuffle_epi8(tab, _mm512_and_si512(raw, m4));
      const __m512i H = _mm512_shuffle_epi8(tab, _mm512_and_si512(_mm512_srli_epi16(raw, 4), m4));
      // block k = [L lane k, H lane k]
      _mm512_mask_storeu_epi8(lo + static_cast<size_t>(b) * kBlock, mask64(32 * n), _mm512_permutex2var_epi64(L, i0, H));
      if (n > 2) _mm512_mask_storeu_epi8(lo + static_cast<size_t>(b + 2) * kBlock, mask64(32 * (n - 2)), _mm512_permutex2var_epi64(L, i1, H));
    }
    return 1;
  }
  // qins-seed: offset-binary of +/- magnitude, sign from the bit plane; no block scales.
  const SeedTable& st = *w.seed;
  const int cols = w.cols;
  const int cp = (cols + kBlock - 1) / kBlock * kBlock;
  for (int b = 0; b < cp / kBlock; ++b) scale[b] = 1.f;
  const uint8_t* cr = w.codes + static_cast<size_t>(r) * cols;
  const uint8_t* sg = w.signs + static_cast<size_t>(r) * ((static_cast<size_t>(cols) + 7) / 8);
  const __m512i L0 = _mm512_load_si512(st.lo), L1 = _mm512_load_si512(st.lo + 64), L2 = _mm512_load_si512(st.lo + 128), L3 = _mm512_load_si512(st.lo + 192);
  const __m512i H0 = _mm512_load_si512(st.hi), H1 = _mm512_load_si512(st.hi + 64), H2 = _mm512_load_si512(st.hi + 128), H3 = _mm512_load_si512(st.hi + 192);
  const __m512i x80 = _mm512_set1_epi8(static_cast<char>(0x80)), one = _mm512_set1_epi8(1);
  for (int c = 0; c < cp; c += 64) {
    const int n = cols - c < 64 ? (cols - c > 0 ? cols - c : 0) : 64;
    const __mmask64 k = mask64(n), ks = mask64(cp - c);
    const __m512i code = _mm512_maskz_loadu_epi8(k, cr + c);
    uint64_t sbits = 0;
    std::memcpy(&sbits, sg + c / 8, static_cast<size_t>((n + 7) / 8));
    const __mmask64 neg = _cvtu64_mask64(sbits) & k;
    const __mmask64 up = _mm512_movepi8_mask(code);
    const __m512i L = _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(L0, code, L1), _mm512_permutex2var_epi8(L2, code, L3));
    const __m512i H = _mm512_mask_blend_epi8(up, _mm512_permutex2var_epi8(H0, code, H1), _mm512_permutex2var_epi8(H2, code, H3));
    // +m: (L, 128 + H); -m: (-L, 128 - H - (L != 0))
    const __m512i lo_v = _mm512_mask_sub_epi8(L, neg, zero, L);
    __m512i hi_v = _mm512_mask_sub_epi8(_mm512_add_epi8(H, x80), neg, x80, H);
    hi_v = _mm512_mask_sub_epi8(hi_v, neg & _mm512_test_epi8_mask(L, L), hi_v, one);
    _mm512_mask_storeu_epi8(lo + c, ks, lo_v);
    _mm512_mask_storeu_epi8(hi + c, ks, hi_v);
  }
  return 2;
}

template <int R, int NG, int P>
void gemm_tile(const uint8_t* const* lo, const uint8_t* const* hi, const float* const* scale, int nb, const Acts& a, int g0, float* out) {
  __m512 accf[R][NG];
  for (int i = 0; i < R; ++i)
    for (int n = 0; n < NG; ++n) accf[i][n] = _mm512_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    __m512i al[R][NG], ah[R][NG];
    for (int n = 0; n < NG; ++n) {
      const __m512i C = _mm512_loadu_si512(a.ct + (static_cast<size_t>(g0 + n) * nb + b) * kGemmGroup);
      for (int i = 0; i < R; ++i) {
        if (P == 2) {
          al[i][n] = _mm512_setzero_si512();
          ah[i][n] = C;
        } else {
          al[i][n] = C;
        }
      }
    }
    const int8_t* xb[NG];
    for (int n = 0; n < NG; ++n) xb[n] = a.xt + (static_cast<size_t>(g0 + n) * nb + b) * 8 * kGemmGroup * 4;
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      __m512i X[NG];
      for (int n = 0; n < NG; ++n) X[n] = _mm512_loadu_si512(xb[n] + j * 64);
      for (int i = 0; i < R; ++i) {
        int32_t wl;
        std::memcpy(&wl, lo[i] + b * kBlock + 4 * j, 4);
        const __m512i WL = _mm512_set1_epi32(wl);
        for (int n = 0; n < NG; ++n) al[i][n] = _mm512_dpbusd_epi32(al[i][n], WL, X[n]);
        if (P == 2) {
          int32_t wh;
          std::memcpy(&wh, hi[i] + b * kBlock + 4 * j, 4);
          const __m512i WH = _mm512_set1_epi32(wh);
          for (int n = 0; n < NG; ++n) ah[i][n] = _mm512_dpbusd_epi32(ah[i][n], WH, X[n]);
        }
      }
    }
    for (int n = 0; n < NG; ++n) {
      const __m512 D = _mm512_loadu_ps(a.dt + (static_cast<size_t>(g0 + n) * nb + b) * kGemmGroup);
      for (int i = 0; i < R; ++i) {
        const __m512i isum = P == 2 ? _mm512_add_epi32(_mm512_slli_epi32(ah[i][n], 8), al[i][n]) : al[i][n];
        accf[i][n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(D, _mm512_set1_ps(scale[i][b])), accf[i][n]);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int n = 0; n < NG; ++n) _mm512_storeu_ps(out + (static_cast<size_t>(i) * NG + n) * kGemmGroup, accf[i][n]);
}

template <int R, int P>
void gemm_rows(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy, float post) {
  const int nb = (w.cols + kBlock - 1) / kBlock;
  const int ng = gemm_groups(a.T);
  thread_local std::vector<uint8_t> planes;
  thread_local std::vector<float> scales;
  const size_t stride = static_cast<size_t>(nb) * kBlock + 64;
  planes.resize(stride * 2 * R);
  scales.resize(static_cast<size_t>(nb + 16) * R);
  const uint8_t* lo[R];
  const uint8_t* hi[R];
  const float* sc[R];
  alignas(64) float out[R * 2 * kGemmGroup];
  for (int r = r0; r < r1; r += R) {
    const int rr = r1 - r < R ? r1 - r : R;
    for (int i = 0; i < R; ++i) {
      uint8_t* l = planes.data() + stride * 2 * i;
      float* s = scales.data() + static_cast<size_t>(nb + 16) * i;
      if (i < rr) decode_planes(w, r + i, l, l + stride, s);
      lo[i] = planes.data() + stride * 2 * (i < rr ? i : 0);
      hi[i] = lo[i] + stride;
      sc[i] = scales.data() + static_cast<size_t>(nb + 16) * (i < rr ? i : 0);
    }
    for (int g = 0; g < ng; g += 2) {
      const int NGv = ng - g >= 2 ? 2 : 1;
      if (NGv == 2)
        gemm_tile<R, 2, P>(lo, hi, sc, nb, a, g, out);
      else
        gemm_tile<R, 1, P>(lo, hi, sc, nb, a, g, out);
      for (int i = 0; i < rr; ++i)
        for (int n = 0; n < NGv; ++n)
          for (int l = 0; l < kGemmGroup; ++l) {
            const int t = (g + n) * kGemmGroup + l;
            if (t < a.T) y[static_cast<size_t>(t) * ldy + r + i] = out[(static_cast<size_t>(i) * NGv + n) * kGemmGroup + l] * post;
          }
    }
  }
}

void gemm(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  switch (w.kind) {
    case WeightKind::CB8:
      if (w.cb8->form == Cb8Form::Int8) return gemm_rows<4, 1>(w, a, r0, r1, y, ldy, w.cb8->inv_denom);
      return gemm_rows<3, 2>(w, a, r0, r1, y, ldy, w.cb8->inv_denom);
    case WeightKind::CB4: return gemm_rows<4, 1>(w, a, r0, r1, y, ldy, w.cb4->inv_denom);
    case WeightKind::Seed: return gemm_rows<3, 2>(w, a, r0, r1, y, ldy, w.seed->step);
    default: return matmul(w, a, r0, r1, y, ldy);
  }
}

// ---------------------------------------------------------------------------------------------
// attention helpers and the bandwidth probe

// e^x for x <= 88 (Cephes expf: range reduction by ln 2, degree-5 polynomial; about 1 ulp).
inline __m512 exp_ps(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f)), _mm512_set1_ps(-87.3365447505531f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_add_ps(_mm512_fmadd_ps(y, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(y, n);
}

template <bool F16>
inline __m512 load_kv(const void* p, int i, __mmask16 k) {
  if (F16) return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, static_cast<const uint16_t*>(p) + i));
  return _mm512_maskz_loadu_ps(k, static_cast<const float*>(p) + i);
}

template <bool F16>
void attend(const float* q, const void* k, const void* v, int n, int hd, float scale, float* out, float* sc) {
  constexpr int kMaxV = 16;  // head_dim up to 256
  const int nv = (hd + 15) / 16;
  const size_t esz = F16 ? 2 : 4;
  const __mmask16 last = mask16(hd - 16 * (nv - 1));
  if (nv > kMaxV) {
    (F16 ? generic_kernels().attend_f16(q, static_cast<const uint16_t*>(k), static_cast<const uint16_t*>(v), n, hd, scale, out, sc)
         : generic_kernels().attend_f32(q, static_cast<const float*>(k), static_cast<const float*>(v), n, hd, scale, out, sc));
    return;
  }
  __m512 qv[kMaxV];
  for (int i = 0; i < nv; ++i) qv[i] = _mm512_maskz_loadu_ps(i + 1 < nv ? 0xffff : last, q + 16 * i);
  __m512 mxv = _mm512_set1_ps(-INFINITY);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const char* kb = static_cast<const char*>(k) + static_cast<size_t>(j) * hd * esz;
    for (int i = 0; i < nv; ++i) {
      const __mmask16 m = i + 1 < nv ? 0xffff : last;
      a0 = _mm512_fmadd_ps(qv[i], load_kv<F16>(kb, 16 * i, m), a0);
      a1 = _mm512_fmadd_ps(qv[i], load_kv<F16>(kb + hd * esz, 16 * i, m), a1);
      a2 = _mm512_fmadd_ps(qv[i], load_kv<F16>(kb + 2 * hd * esz, 16 * i, m), a2);
      a3 = _mm512_fmadd_ps(qv[i], load_kv<F16>(kb + 3 * hd * esz, 16 * i, m), a3);
    }
    sc[j] = _mm512_reduce_add_ps(a0) * scale;
    sc[j + 1] = _mm512_reduce_add_ps(a1) * scale;
    sc[j + 2] = _mm512_reduce_add_ps(a2) * scale;
    sc[j + 3] = _mm512_reduce_add_ps(a3) * scale;
  }
  for (; j < n; ++j) {
    __m512 a0 = _mm512_setzero_ps();
    const char* kb = static_cast<const char*>(k) + static_cast<size_t>(j) * hd * esz;
    for (int i = 0; i < nv; ++i) a0 = _mm512_fmadd_ps(qv[i], load_kv<F16>(kb, 16 * i, i + 1 < nv ? 0xffff : last), a0);
    sc[j] = _mm512_reduce_add_ps(a0) * scale;
  }
  for (j = 0; j < n; j += 16) mxv = _mm512_max_ps(mxv, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), mask16(n - j), sc + j));
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(mxv));
  __m512 sumv = _mm512_setzero_ps();
  for (j = 0; j < n; j += 16) {
    const __mmask16 m = mask16(n - j);
    const __m512 e = _mm512_maskz_mov_ps(m, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, sc + j), mx)));
    _mm512_mask_storeu_ps(sc + j, m, e);
    sumv = _mm512_add_ps(sumv, e);
  }
  const float inv = 1.f / _mm512_reduce_add_ps(sumv);
  __m512 ov[kMaxV];
  for (int i = 0; i < nv; ++i) ov[i] = _mm512_setzero_ps();
  for (j = 0; j < n; ++j) {
    const __m512 p = _mm512_set1_ps(sc[j] * inv);
    const char* vb = static_cast<const char*>(v) + static_cast<size_t>(j) * hd * esz;
    for (int i = 0; i < nv; ++i) ov[i] = _mm512_fmadd_ps(p, load_kv<F16>(vb, 16 * i, i + 1 < nv ? 0xffff : last), ov[i]);
  }
  for (int i = 0; i < nv; ++i) _mm512_mask_storeu_ps(out + 16 * i, i + 1 < nv ? 0xffff : last, ov[i]);
}

// q8 cache: int8 rows widened to float (vpmovsxbd + vcvtdq2ps), a float fp16 scale per block.
void attend_q8(const float* q, const uint8_t* k, const uint8_t* v, int n, int hd, float scale, float* out, float* sc) {
  const int nb = kv_q8_blocks(hd);
  const size_t rb = static_cast<size_t>(kv_q8_row_bytes(hd));
  const auto f16x = [](const int8_t* p, __mmask16 m) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p))); };
  for (int j = 0; j < n; ++j) {
    const int8_t* kq = reinterpret_cast<const int8_t*>(k + j * rb);
    const uint16_t* ks = reinterpret_cast<const uint16_t*>(k + j * rb + static_cast<size_t>(nb) * kBlock);
    __m512 tot = _mm512_setzero_ps();
    for (int b = 0; b < nb; ++b) {
      const int c0 = b * kBlock, e = hd - c0 < kBlock ? hd - c0 : kBlock;
      uint16_t h;
      std::memcpy(&h, ks + b, 2);
      __m512 blk = _mm512_setzero_ps();
      for (int i = 0; i < e; i += 16) {
        const __mmask16 m = mask16(e - i);
        blk = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + c0 + i), f16x(kq + c0 + i, m), blk);
      }
      tot = _mm512_fmadd_ps(blk, _mm512_set1_ps(_cvtsh_ss(h)), tot);
    }
    sc[j] = _mm512_reduce_add_ps(tot) * scale;
  }
  __m512 mxv = _mm512_set1_ps(-INFINITY);
  for (int j = 0; j < n; j += 16) mxv = _mm512_max_ps(mxv, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), mask16(n - j), sc + j));
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(mxv));
  __m512 sumv = _mm512_setzero_ps();
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = mask16(n - j);
    const __m512 e = _mm512_maskz_mov_ps(m, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, sc + j), mx)));
    _mm512_mask_storeu_ps(sc + j, m, e);
    sumv = _mm512_add_ps(sumv, e);
  }
  const float inv = 1.f / _mm512_reduce_add_ps(sumv);
  for (int i = 0; i < hd; ++i) out[i] = 0.f;
  for (int j = 0; j < n; ++j) {
    const int8_t* vq = reinterpret_cast<const int8_t*>(v + j * rb);
    const uint16_t* vs = reinterpret_cast<const uint16_t*>(v + j * rb + static_cast<size_t>(nb) * kBlock);
    const float p = sc[j] * inv;
    for (int b = 0; b < nb; ++b) {
      const int c0 = b * kBlock, e = hd - c0 < kBlock ? hd - c0 : kBlock;
      uint16_t h;
      std::memcpy(&h, vs + b, 2);
      const __m512 cv = _mm512_set1_ps(p * _cvtsh_ss(h));
      for (int i = 0; i < e; i += 16) {
        const __mmask16 m = mask16(e - i);
        _mm512_mask_storeu_ps(out + c0 + i, m, _mm512_fmadd_ps(cv, f16x(vq + c0 + i, m), _mm512_maskz_loadu_ps(m, out + c0 + i)));
      }
    }
  }
}

void attend_f32(const float* q, const float* k, const float* v, int n, int hd, float scale, float* out, float* sc) {
  attend<false>(q, k, v, n, hd, scale, out, sc);
}
void attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n, int hd, float scale, float* out, float* sc) {
  attend<true>(q, k, v, n, hd, scale, out, sc);
}

float dot_f32(const float* a, const float* b, int n) {
  __m512 acc = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

void axpy_f32(float alpha, const float* x, float* y, int n) {
  const __m512 av = _mm512_set1_ps(alpha);
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    _mm512_mask_storeu_ps(y + i, k, _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i)));
  }
}

float dot_f16(const float* a, const uint16_t* b, int n) {
  __m512 acc = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, b + i)), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

void axpy_f16(float alpha, const uint16_t* x, float* y, int n) {
  const __m512 av = _mm512_set1_ps(alpha);
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    const __m512 xv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, x + i));
    _mm512_mask_storeu_ps(y + i, k, _mm512_fmadd_ps(av, xv, _mm512_maskz_loadu_ps(k, y + i)));
  }
}

void silu_mul(const float* g, const float* u, float* out, int n) {
  const __m512 one = _mm512_set1_ps(1.f), zero = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    const __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
    const __m512 e = exp_ps(_mm512_sub_ps(zero, gv));
    _mm512_mask_storeu_ps(out + i, k, _mm512_mul_ps(_mm512_div_ps(gv, _mm512_add_ps(one, e)), _mm512_maskz_loadu_ps(k, u + i)));
  }
}

void f32_to_f16(const float* x, uint16_t* y, int n) {
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    _mm256_mask_storeu_epi16(y + i, k, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(k, x + i), _MM_FROUND_TO_NEAREST_INT));
  }
}

uint64_t stream_read(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes; i += 256) {
    a0 = _mm512_add_epi64(a0, _mm512_load_si512(c + i));
    a1 = _mm512_add_epi64(a1, _mm512_load_si512(c + i + 64));
    a2 = _mm512_add_epi64(a2, _mm512_load_si512(c + i + 128));
    a3 = _mm512_add_epi64(a3, _mm512_load_si512(c + i + 192));
  }
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3))));
}

void decode_row(const WeightView& w, int r, float* out) { generic_kernels().decode_row(w, r, out); }

const KernelSet kAvx512 = {"avx512", true, Q16Order::EvenOdd, matmul, gemm, GemmLayout::Quads16, kGemmGroup, decode_row, attend_f32, attend_f16, attend_q8, dot_f32, axpy_f32, dot_f16, axpy_f16, f32_to_f16, silu_mul, stream_read};

}  // namespace

const KernelSet& avx512_kernels() { return kAvx512; }

}  // namespace qins
