// Scalar reference encoders for every quantized codec (see encoders.h and docs/qins-format.md).
#include "encoders.h"

#include <algorithm>
#include <cmath>
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
  t.denom = 32767;
  for (int k = 1; k <= 127; k++) {
    const double level = (1.0 + c) / (static_cast<double>(k) + c);
    const int32_t v = static_cast<int32_t>(std::floor(level * 32767.0 + 0.5));
    t.ints[k] = v;
    t.ints[128 + k] = -v;
    t.m[k] = static_cast<float>(v) / 32767.0f;
  }
  t.ints[0] = 0;
  t.ints[128] = 0;
  t.m[0] = 0;
  t.m[128] = 0;
  return t;
}

std::string Qins8Table::adopt(const int32_t* ints256, double denom_, double c_) {
  if (!(c_ >= 0) || c_ > 1e6) return "qins8: c must be a non-negative number";
  if (denom_ != 32767) return "qins8: denom must be 32767";
  Qins8Table ref = make(c_);
  for (int i = 0; i < 256; i++)
    if (ints256[i] != ref.ints[i]) return "qins8: codebook ints do not match (1 + c) / (k + c) for the given c";
  *this = ref;
  return "";
}

std::string Table16::adopt(const int32_t* ints16, double denom_) {
  if (!(denom_ > 0)) return "4-bit codebook: denom must be positive";
  bool zero = false;
  for (int j = 0; j < 16; j++) {
    if (ints16[j] < -127 || ints16[j] > 127) return "4-bit codebook: entries must lie in -127..127";
    if (j > 0 && ints16[j] <= ints16[j - 1]) return "4-bit codebook: entries must be strictly ascending";
    if (ints16[j] == 0) zero = true;
    ints[j] = ints16[j];
    L[j] = static_cast<float>(ints16[j] / denom_);
  }
  if (!zero) return "4-bit codebook: must contain 0";
  denom = static_cast<float>(denom_);
  for (int j = 0; j < 15; j++) T[j] = 0.5f * (L[j] + L[j + 1]);
  return "";
}

// ---------------------------------------------------------------------------------------------
// 8-bit

void encode_row_q8(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st) {
  const int nb = cols_p / block;
  for (int b = 0; b < nb; b++) {
    const int j0 = b * block;
    const int n = std::max(0, std::min(block, cols - j0));
    float amax = 0;
    for (int j = 0; j < n; j++) amax = std::max(amax, std::fabs(w[j0 + j]));
    const uint16_t h = scale_to_f16(amax);
    const float s = f16_to_f32(h);
    scales[b] = h;
    const float inv = s > 0 ? 127.0f / s : 0.0f;
    double e = 0, ss = 0;
    for (int j = 0; j < n; j++) {
      const float x = w[j0 + j];
      float q = std::round(x * inv);
      q = std::min(127.0f, std::max(-127.0f, q));
      codes[j0 + j] = static_cast<uint8_t>(static_cast<int8_t>(q));
      const float r = s * (q / 127.0f);
      e += static_cast<double>(x - r) * (x - r);
      ss += static_cast<double>(x) * x;
    }
    for (int j = n; j < block; j++) codes[j0 + j] = 0;
    st.errsq += e;
    st.sumsq += ss;
    st.absmax = std::max(st.absmax, amax);
  }
}

void encode_row_qins8(const float* w, int cols, int cols_p, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scales,
                      Stats& st) {
  const int nb = cols_p / block;
  const float A = 1.0f + tb.c;
  const float c = tb.c;
  for (int b = 0; b < nb; b++) {
    const int j0 = b * block;
    const int n = std::max(0, std::min(block, cols - j0));
    float amax = 0;
    for (int j = 0; j < n; j++) amax = std::max(amax, std::fabs(w[j0 + j]));
    const uint16_t h = scale_to_f16(amax);
    const float s = f16_to_f32(h);
    scales[b] = h;
    double e = 0, ss = 0;
    if (s > 0) {
      const float inv = 1.0f / s;
      for (int j = 0; j < n; j++) {
        const float v = w[j0 + j];
        const float x = std::fabs(v) * inv;
        float t = x > 0 ? A / x - c : 127.0f;
        t = std::min(127.0f, std::max(1.0f, t));
        const int k = static_cast<int>(t);
        const float d1 = std::fabs(x - tb.m[k]);
        const float d2 = std::fabs(x - tb.m[k + 1]);
        const int kk = d2 < d1 ? k + 1 : k;
        const float r = s * tb.m[kk];
        const bool neg = v < 0;
        codes[j0 + j] = kk == 128 ? 0 : static_cast<uint8_t>(neg ? 128 + kk : kk);
        const float rec = neg ? -r : r;
        e += static_cast<double>(v - rec) * (v - rec);
        ss += static_cast<double>(v) * v;
      }
    } else {
      for (int j = 0; j < n; j++) {
        const float v = w[j0 + j];
        codes[j0 + j] = 0;
        e += static_cast<double>(v) * v;
        ss += static_cast<double>(v) * v;
      }
    }
    for (int j = n; j < block; j++) codes[j0 + j] = 0;
    st.errsq += e;
    st.sumsq += ss;
    st.absmax = std::max(st.absmax, amax);
  }
}

Stats qins8_error(const float* w, size_t rows, int cols, int block, const Qins8Table& tb) {
  const int cols_p = (cols + block - 1) / block * block;
  std::vector<uint8_t> codes(cols_p);
  std::vector<uint16_t> scales(cols_p / block);
  Stats st;
  for (size_t r = 0; r < rows; r++) encode_row_qins8(w + r * cols, cols, cols_p, block, tb, codes.data(), scales.data(), st);
  return st;
}

// ---------------------------------------------------------------------------------------------
// 4-bit

static inline void pack_nibbles(const uint8_t* idx, int block, uint8_t* out) {
  const int half = block / 2;
  for (int j = 0; j < half; j++) out[j] = static_cast<uint8_t>((idx[j] & 15) | ((idx[j + half] & 15) << 4));
}

void encode_row_q4(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st) {
  const int nb = cols_p / block;
  uint8_t idx[256];
  for (int b = 0; b < nb; b++) {
    const int j0 = b * block;
    const int n = std::max(0, std::min(block, cols - j0));
    float amax = 0, mx = 0;
    for (int j = 0; j < n; j++) {
      const float a = std::fabs(w[j0 + j]);
      if (a > amax) {
        amax = a;
        mx = w[j0 + j];
      }
    }
    const uint16_t h = scale_to_f16(-mx);
    const float s = f16_to_f32(h);
    scales[b] = h;
    const float id = s != 0 ? 8.0f / s : 0.0f;
    double e = 0, ss = 0;
    for (int j = 0; j < n; j++) {
      const float x = w[j0 + j];
      int q = static_cast<int>(x * id + 8.5f);
      q = std::min(15, std::max(0, q));
      idx[j] = static_cast<uint8_t>(q);
      const float r = s * (static_cast<float>(q - 8) / 8.0f);
      e += static_cast<double>(x - r) * (x - r);
      ss += static_cast<double>(x) * x;
    }
    for (int j = n; j < block; j++) idx[j] = 8;
    pack_nibbles(idx, block, codes + j0 / 2);
    st.errsq += e;
    st.sumsq += ss;
    st.absmax = std::max(st.absmax, amax);
  }
}

double qins4_block_assign(const float* w, int n, const Table16& tb, int search, uint8_t* code_idx, float* scale_out) {
  int zero = 0;
  for (int j = 0; j < 16; j++)
    if (tb.ints[j] == 0) zero = j;
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
  // Map the block's extreme onto the codebook's most negative entry (L[0] < 0), then try
  // slightly compressed / stretched mappings; each assignment gets its least-squares scale.
  const float id0 = tb.L[0] / mx;
  float best = -1, best_d = 0;
  for (int t = -search; t <= search; t++) {
    const float id = id0 * (1.0f + static_cast<float>(t) / 127.0f);
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < n; j++) {
      const float q = tb.L[tb.nearest(w[j] * id)];
      sumqx += q * w[j];
      sumq2 += q * q;
    }
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      best = sumqx * sumqx / sumq2;
      best_d = sumqx / sumq2;
    }
  }
  const float s = f16_to_f32(scale_to_f16(best_d));
  *scale_out = s;
  double e = 0;
  if (s == 0) {
    for (int j = 0; j < n; j++) {
      code_idx[j] = static_cast<uint8_t>(zero);
      e += static_cast<double>(w[j]) * w[j];
    }
    return e;
  }
  const float inv = 1.0f / s;
  for (int j = 0; j < n; j++) {
    const int q = tb.nearest(w[j] * inv);
    code_idx[j] = static_cast<uint8_t>(q);
    const float r = s * tb.L[q];
    e += static_cast<double>(w[j] - r) * (w[j] - r);
  }
  return e;
}

void encode_row_qins4(const float* w, int cols, int cols_p, int block, const Table16& tb, int search, uint8_t* codes,
                      uint16_t* scales, Stats& st) {
  const int nb = cols_p / block;
  uint8_t idx[256];
  int zero = 0;
  for (int j = 0; j < 16; j++)
    if (tb.ints[j] == 0) zero = j;
  for (int b = 0; b < nb; b++) {
    const int j0 = b * block;
    const int n = std::max(0, std::min(block, cols - j0));
    float s = 0;
    const double e = qins4_block_assign(w + j0, n, tb, search, idx, &s);
    for (int j = n; j < block; j++) idx[j] = static_cast<uint8_t>(zero);
    scales[b] = scale_to_f16(s);
    pack_nibbles(idx, block, codes + j0 / 2);
    double ss = 0;
    float amax = 0;
    for (int j = 0; j < n; j++) {
      ss += static_cast<double>(w[j0 + j]) * w[j0 + j];
      amax = std::max(amax, std::fabs(w[j0 + j]));
    }
    st.errsq += e;
    st.sumsq += ss;
    st.absmax = std::max(st.absmax, amax);
  }
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
      stored = q >= 255.0f ? 255.0f : std::max(1.0f, std::nearbyint(q));
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
