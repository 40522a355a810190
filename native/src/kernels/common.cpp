// Parts of the kernel layer shared by every instruction set: activation quantization and the
// preparation of codebook lookup tables.
#include <cmath>
#include <cstring>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "kernels/half.h"
#include "kernels/kernels.h"

namespace qins {
namespace {

// max(a, |x|) as std::fmax(a, std::fabs(x)) gives it (a NaN x leaves a), without a library call.
inline float max_abs(float a, float x) {
  const float ax = std::fabs(x);
  return ax > a ? ax : a;
}

// std::nearbyint in the default rounding mode (half to even), as an int: on x86-64 one cvtss2si
// instead of a call into libm (the baseline instruction set has no roundss).
inline int round_even(float v) {
#if defined(__SSE__)
  return _mm_cvtss_si32(_mm_set_ss(v));
#else
  return static_cast<int>(std::nearbyint(v));
#endif
}

}  // namespace

void quantize_acts(const float* x, size_t ldx, int cols, int T, int8_t* q, float* d, int32_t* s) {
  const int nb = (cols + kBlock - 1) / kBlock;
  for (int t = 0; t < T; ++t) {
    const float* xt = x + static_cast<size_t>(t) * ldx;
    int8_t* qt = q + static_cast<size_t>(t) * nb * kBlock;
    for (int b = 0; b < nb; ++b) {
      const int c0 = b * kBlock;
      const int n = cols - c0 < kBlock ? cols - c0 : kBlock;
      float amax = 0.f;
      for (int j = 0; j < n; ++j) amax = max_abs(amax, xt[c0 + j]);
      const float db = amax / 127.f;
      const float id = db > 0.f ? 127.f / amax : 0.f;
      int32_t sum = 0;
      for (int j = 0; j < kBlock; ++j) {
        int v = 0;
        if (j < n) {
          v = round_even(xt[c0 + j] * id);
          v = v > 127 ? 127 : (v < -127 ? -127 : v);
        }
        qt[c0 + j] = static_cast<int8_t>(v);
        sum += v;
      }
      d[static_cast<size_t>(t) * nb + b] = db;
      s[static_cast<size_t>(t) * nb + b] = sum;
    }
  }
}

void quantize_kv_q8(const float* x, int hd, uint8_t* row) {
  const int nb = kv_q8_blocks(hd);
  int8_t* q = reinterpret_cast<int8_t*>(row);
  uint8_t* s = row + static_cast<size_t>(nb) * kBlock;
  for (int b = 0; b < nb; ++b) {
    const int c0 = b * kBlock, n = hd - c0 < kBlock ? hd - c0 : kBlock;
    float amax = 0.f;
    for (int j = 0; j < n; ++j) amax = max_abs(amax, x[c0 + j]);
    const uint16_t h = f32_half(amax / 127.f);
    const float d = half_f32(h);
    const float id = d > 0.f ? 1.f / d : 0.f;
    for (int j = 0; j < kBlock; ++j) {
      int v = 0;
      if (j < n) {
        v = round_even(x[c0 + j] * id);
        v = v > 127 ? 127 : (v < -127 ? -127 : v);
      }
      q[c0 + j] = static_cast<int8_t>(v);
    }
    std::memcpy(s + 2 * b, &h, 2);
  }
}

void reorder_q4(const int8_t* q, int T, int nb, int8_t* out) {
  const size_t per = q4_order_bytes(nb);
  std::memset(out, 0, per * T);
  for (int t = 0; t < T; ++t) {
    const int8_t* qt = q + static_cast<size_t>(t) * nb * kBlock;
    int8_t* o = out + per * t;
    for (int b = 0; b < nb; ++b) {
      int8_t* og = o + (b / 4) * 128 + (b % 4) * 16;
      std::memcpy(og, qt + b * kBlock, 16);
      std::memcpy(og + 64, qt + b * kBlock + 16, 16);
    }
  }
}

void widen_q16(const int8_t* q, int T, int nb, Q16Order order, int16_t* out) {
  if (order == Q16Order::Natural) {
    for (size_t i = 0; i < static_cast<size_t>(T) * nb * kBlock; ++i) out[i] = q[i];
    return;
  }
  for (size_t b = 0; b < static_cast<size_t>(T) * nb; ++b)
    for (int j = 0; j < kBlock / 2; ++j) {
      out[b * kBlock + j] = q[b * kBlock + 2 * j];
      out[b * kBlock + kBlock / 2 + j] = q[b * kBlock + 2 * j + 1];
    }
}

void transpose_acts_pairs(const int8_t* q, const float* d, int T, int nb, int16_t* xp, float* dt) {
  const int G = kPairGroup;
  const int ng = pair_groups(T);
  std::memset(xp, 0, sizeof(int16_t) * ng * nb * 256);
  std::memset(dt, 0, sizeof(float) * ng * nb * G);
  for (int t = 0; t < T; ++t) {
    const int g = t / G, lane = t % G;
    for (int b = 0; b < nb; ++b) {
      const int8_t* src = q + (static_cast<size_t>(t) * nb + b) * kBlock;
      int16_t* dst = xp + (static_cast<size_t>(g) * nb + b) * 256 + lane * 2;
      for (int p = 0; p < kBlock / 2; ++p) {
        dst[p * 2 * G] = src[2 * p];
        dst[p * 2 * G + 1] = src[2 * p + 1];
      }
      dt[(static_cast<size_t>(g) * nb + b) * G + lane] = d[static_cast<size_t>(t) * nb + b];
    }
  }
}

void transpose_acts_quads(const int8_t* q, const float* d, int T, int nb, int8_t* xq, float* dt) {
  const int G = kQuadGroup;
  const int ng = quad_groups(T);
  std::memset(xq, 0, static_cast<size_t>(ng) * nb * 128);
  std::memset(dt, 0, sizeof(float) * ng * nb * G);
  for (int t = 0; t < T; ++t) {
    const int g = t / G, lane = t % G;
    for (int b = 0; b < nb; ++b) {
      const int8_t* src = q + (static_cast<size_t>(t) * nb + b) * kBlock;
      int8_t* dst = xq + (static_cast<size_t>(g) * nb + b) * 128 + lane * 4;
      for (int j = 0; j < 8; ++j) std::memcpy(dst + j * 16, src + 4 * j, 4);
      dt[(static_cast<size_t>(g) * nb + b) * G + lane] = d[static_cast<size_t>(t) * nb + b];
    }
  }
}

void transpose_acts(const int8_t* q, const float* d, const int32_t* s, int T, int nb, int8_t* xt, int32_t* ct, float* dt) {
  const int G = kGemmGroup;
  const int ng = gemm_groups(T);
  std::memset(xt, 0, static_cast<size_t>(ng) * nb * 8 * G * 4);
  std::memset(ct, 0, sizeof(int32_t) * ng * nb * G);
  std::memset(dt, 0, sizeof(float) * ng * nb * G);
  for (int t = 0; t < T; ++t) {
    const int g = t / G, lane = t % G;
    for (int b = 0; b < nb; ++b) {
      const int8_t* src = q + (static_cast<size_t>(t) * nb + b) * kBlock;
      int8_t* dst = xt + ((static_cast<size_t>(g) * nb + b) * 8) * G * 4 + lane * 4;
      for (int j = 0; j < 8; ++j) std::memcpy(dst + j * G * 4, src + 4 * j, 4);
      const size_t o = (static_cast<size_t>(g) * nb + b) * G + lane;
      ct[o] = -128 * s[static_cast<size_t>(t) * nb + b];
      dt[o] = d[static_cast<size_t>(t) * nb + b];
    }
  }
}

bool prepare_codebook8(const int32_t* ints, int n, double denom, Codebook8* out, const char** why) {
  if (n != 256) {
    *why = "an 8-bit codebook needs 256 entries";
    return false;
  }
  if (!(denom > 0) || !std::isfinite(denom)) {
    *why = "codebook denominator must be a positive number";
    return false;
  }
  for (int i = 0; i < 256; ++i) {
    if (ints[i] < -32767 || ints[i] > 32767) {
      *why = "8-bit codebook values must lie in -32767..32767";
      return false;
    }
  }
  std::memset(out, 0, sizeof(*out));
  for (int i = 0; i < 256; ++i) {
    out->ints[i] = static_cast<int16_t>(ints[i]);
    const uint32_t u = static_cast<uint32_t>(ints[i] + 32768);
    out->ob_lo[i] = static_cast<uint8_t>(u & 0xff);
    out->ob_hi[i] = static_cast<uint8_t>(u >> 8);
  }
  out->inv_denom = static_cast<float>(1.0 / denom);

  bool int8 = true;
  for (int i = 0; i < 256; ++i) int8 = int8 && ints[i] == static_cast<int8_t>(static_cast<uint8_t>(i));
  bool sym = true;
  for (int k = 0; k < 128; ++k) sym = sym && ints[k] >= 0 && ints[128 + k] == -ints[k];

  // Segment structure: symmetric, and each run of 16 magnitudes is E * (B + j) with
  // 1 <= E <= 127 and 0 <= B <= 240.
  bool seg = sym;
  for (int n = 0; n < 8 && seg; ++n) {
    const int32_t e = ints[16 * n + 1] - ints[16 * n];
    seg = e >= 1 && e <= 127 && ints[16 * n] % e == 0 && ints[16 * n] / e <= 240;
    const int32_t b = seg ? ints[16 * n] / e : 0;
    for (int j = 0; j < 16 && seg; ++j) seg = ints[16 * n + j] == e * (b + j);
    if (seg) {
      out->seg_b[n] = out->seg_b[n + 8] = static_cast<uint8_t>(b);
      out->seg_bm[n] = out->seg_bm[n + 8] = static_cast<int8_t>(b - 128);
      out->seg_e[n] = static_cast<int8_t>(e);
      out->seg_e[n + 8] = static_cast<int8_t>(-e);
    }
  }
  out->segments = seg;

  if (int8) {
    out->form = Cb8Form::Int8;
  } else if (sym) {
    out->form = Cb8Form::Symmetric;
    for (int k = 0; k < 256; ++k) {
      const uint32_t m = static_cast<uint32_t>(ints[k & 127]);
      out->lo[k] = static_cast<uint8_t>(m & 0xff);
      out->hi[k] = static_cast<uint8_t>(m >> 8);
    }
  } else {
    out->form = Cb8Form::General;
    for (int k = 0; k < 256; ++k) {
      const uint32_t u = static_cast<uint32_t>(ints[k] + 32768);
      out->lo[k] = static_cast<uint8_t>(u & 0xff);
      out->hi[k] = static_cast<uint8_t>(u >> 8);
    }
  }
  return true;
}

bool prepare_codebook4(const int32_t* ints, int n, double denom, Codebook4* out, const char** why) {
  if (n != 16) {
    *why = "a 4-bit codebook needs 16 entries";
    return false;
  }
  if (!(denom > 0) || !std::isfinite(denom)) {
    *why = "codebook denominator must be a positive number";
    return false;
  }
  for (int i = 0; i < 16; ++i) {
    if (ints[i] < -127 || ints[i] > 127) {
      *why = "4-bit codebook values must lie in -127..127";
      return false;
    }
  }
  std::memset(out, 0, sizeof(*out));
  for (int i = 0; i < 16; ++i) {
    out->ints[i] = static_cast<int8_t>(ints[i]);
    out->biased[i] = static_cast<uint8_t>(ints[i] + 128);
  }
  int32_t lo = ints[0], hi = ints[0];
  for (int i = 1; i < 16; ++i) {
    lo = ints[i] < lo ? ints[i] : lo;
    hi = ints[i] > hi ? ints[i] : hi;
  }
  out->small_bias = hi - lo <= 127 ? -lo : -1;
  for (int i = 0; i < 16; ++i) out->small[i] = out->small_bias >= 0 ? static_cast<uint8_t>(ints[i] + out->small_bias) : 0;
  out->inv_denom = static_cast<float>(1.0 / denom);
  return true;
}

void prepare_seed_table(float scale, SeedTable* out) {
  std::memset(out, 0, sizeof(*out));
  for (int s = 1; s < 256; ++s) {
    const int v = static_cast<int>(std::lround(32767.0 / s));
    out->ints[s] = static_cast<int16_t>(v);
    out->lo[s] = static_cast<uint8_t>(v & 0xff);
    out->hi[s] = static_cast<uint8_t>(v >> 8);
  }
  out->scale = scale;
  out->step = scale / 32767.f;
}

}  // namespace qins
