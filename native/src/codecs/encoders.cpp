// Generic encoders for every quantized codec (see encoders.h and docs/qins-format.md): the
// reference every SIMD set reproduces, the code for partial blocks and other block sizes, the row
// drivers and the choice of the encoder set.
#include "codecs/encoders.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/half.h"

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
      for (size_t i = 0; i < n; i++) out[i] = half_f32(s[i]);
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
  zero = 0;
  for (int j = 1; j < 16; j++)
    if (std::abs(ints16[j]) < std::abs(ints16[zero])) zero = j;
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
// generic block encoders (n <= block weights; the rest of the block is padding)

namespace {

/** Round to nearest, ties to even, for |v| < 2^22 (no libm call); larger values stay large. */
inline float round_ne(float v) { return (v + 12582912.0f) - 12582912.0f; }

void q8_block(const float* w, int n, int block, uint8_t* codes, uint16_t* scale, BlockSums& acc) {
  float amax = 0;
  for (int j = 0; j < n; j++) amax = std::max(amax, std::fabs(w[j]));
  const uint16_t h = scale_half(amax);
  const float s = half_f32(h);
  *scale = h;
  const float inv = s > 0 ? 127.0f / s : 0.0f;
  const float step = s / 127.0f;
  float e[256], x2[256];
  for (int j = 0; j < n; j++) {
    const float x = w[j];
    const float q = std::min(127.0f, std::max(-127.0f, round_ne(x * inv)));
    codes[j] = static_cast<uint8_t>(static_cast<int8_t>(q));
    const float d = x - q * step;
    e[j] = d * d;
    x2[j] = x * x;
  }
  for (int j = n; j < block; j++) codes[j] = 0;
  acc.errsq += block_sum(e, n);
  acc.sumsq += block_sum(x2, n);
  acc.amax = std::max(acc.amax, amax);
}

void qins8_block(const float* w, int n, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scale, BlockSums& acc) {
  float amax = 0;
  for (int j = 0; j < n; j++) amax = std::max(amax, std::fabs(w[j]));
  const uint16_t h = scale_half(amax);
  const float s = half_f32(h);
  *scale = h;
  float e[256], x2[256];
  for (int j = 0; j < n; j++) x2[j] = w[j] * w[j];
  if (s > 0) {
    const float inv = tb.denom / s;
    for (int j = 0; j < n; j++) {
      const float v = w[j];
      const int k = qins8_level(tb, std::fabs(v) * inv);
      const bool neg = v < 0;
      codes[j] = static_cast<uint8_t>(k == 0 ? 0 : (neg ? 128 + k : k));
      const float r = s * tb.lev[k];
      const float d = v - (neg ? -r : r);
      e[j] = d * d;
    }
  } else {
    for (int j = 0; j < n; j++) {
      codes[j] = 0;
      e[j] = x2[j];
    }
  }
  for (int j = n; j < block; j++) codes[j] = 0;
  acc.errsq += block_sum(e, n);
  acc.sumsq += block_sum(x2, n);
  acc.amax = std::max(acc.amax, amax);
}

void pack_nibbles(const uint8_t* idx, int block, uint8_t* out) {
  const int half = block / 2;
  for (int j = 0; j < half; j++) out[j] = static_cast<uint8_t>((idx[j] & 15) | ((idx[j + half] & 15) << 4));
}

void q4_block(const float* w, int n, int block, uint8_t* codes, uint16_t* scale, BlockSums& acc) {
  uint8_t idx[256];
  float amax = 0, mx = 0;  // mx: the first weight of the largest magnitude (+0 for an all-zero block)
  for (int j = 0; j < n; j++) {
    const float a = std::fabs(w[j]);
    if (a > amax) {
      amax = a;
      mx = w[j];
    }
  }
  const uint16_t h = scale_half(-mx);
  const float s = half_f32(h);
  *scale = h;
  const float id = s != 0 ? 8.0f / s : 0.0f;
  const float step = s / 8.0f;
  float e[256], x2[256];
  for (int j = 0; j < n; j++) {
    const float x = w[j];
    const float qf = std::min(15.0f, std::max(0.0f, x * id + 8.5f));
    const int q = static_cast<int>(qf);
    idx[j] = static_cast<uint8_t>(q);
    const float d = x - static_cast<float>(q - 8) * step;
    e[j] = d * d;
    x2[j] = x * x;
  }
  for (int j = n; j < block; j++) idx[j] = 8;
  pack_nibbles(idx, block, codes);
  acc.errsq += block_sum(e, n);
  acc.sumsq += block_sum(x2, n);
  acc.amax = std::max(acc.amax, amax);
}

}  // namespace

void block_weights(const float* w, int n, Weighting mode, float* wt) {
  if (mode == Weighting::None) {
    for (int j = 0; j < n; j++) wt[j] = 1.0f;
  } else if (mode == Weighting::Square) {
    for (int j = 0; j < n; j++) wt[j] = w[j] * w[j];
  } else {
    for (int j = 0; j < n; j++) wt[j] = w[j] * w[j];
    float s2 = block_sum(wt, n);
    s2 = n > 0 ? 2.0f * s2 / static_cast<float>(n) : 0.0f;
    for (int j = 0; j < n; j++) wt[j] = std::sqrt(s2 + wt[j]);
  }
}

namespace {

double qins4_block_generic(const float* w, int n, const Table16& tb, Q4Search search, uint8_t* code_idx, float* scale_out) {
  float amax = 0, mx = 0;
  for (int j = 0; j < n; j++) {
    const float a = std::fabs(w[j]);
    if (a > amax) {
      amax = a;
      mx = w[j];
    }
  }
  if (amax == 0) {
    for (int j = 0; j < n; j++) code_idx[j] = static_cast<uint8_t>(tb.zero);
    *scale_out = 0;
    return 0;
  }
  // Map the block's extreme onto the codebook's most negative entry (L[0] < 0), then try slightly
  // compressed / stretched mappings; each assignment gets its least-squares scale, and the one
  // that removes the most error wins.
  const float id0 = tb.L[0] / mx;
  float wt[256], a[256], b[256];
  block_weights(w, n, search.weighting, wt);
  float best = -1, best_d = 0;
  for (int t = -search.n; t <= search.n; t++) {
    const float id = id0 * (1.0f + static_cast<float>(t) / 127.0f);
    for (int j = 0; j < n; j++) {
      const float q = tb.L[tb.nearest(w[j] * id)];
      const float wq = q * wt[j];
      a[j] = wq * w[j];
      b[j] = wq * q;
    }
    const float sumqx = block_sum(a, n), sumq2 = block_sum(b, n);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      best = sumqx * sumqx / sumq2;
      best_d = sumqx / sumq2;
    }
  }
  const float s = half_f32(scale_half(best_d));
  *scale_out = s;
  if (s == 0) {
    for (int j = 0; j < n; j++) {
      code_idx[j] = static_cast<uint8_t>(tb.zero);
      a[j] = w[j] * w[j];
    }
    return block_sum(a, n);
  }
  const float inv = 1.0f / s;
  for (int j = 0; j < n; j++) {
    const int q = tb.nearest(w[j] * inv);
    code_idx[j] = static_cast<uint8_t>(q);
    const float d = w[j] - s * tb.L[q];
    a[j] = d * d;
  }
  return block_sum(a, n);
}

// The generic EncoderSet: the block encoders above on full blocks of 32.
void q8_generic(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc) {
  for (int b = 0; b < nblocks; b++) q8_block(w + 32 * b, 32, 32, codes + 32 * b, scales + b, acc);
}
void qins8_generic(const float* w, int nblocks, const Qins8Table& tb, uint8_t* codes, uint16_t* scales, BlockSums& acc) {
  for (int b = 0; b < nblocks; b++) qins8_block(w + 32 * b, 32, 32, tb, codes + 32 * b, scales + b, acc);
}
void q4_generic(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc) {
  for (int b = 0; b < nblocks; b++) q4_block(w + 32 * b, 32, 32, codes + 16 * b, scales + b, acc);
}
void qins4_assign_generic(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t (*idx)[32], float* scale, float* err) {
  for (int b = 0; b < nblocks; b++) err[b] = static_cast<float>(qins4_block_generic(w + 32 * b, 32, tb, search, idx[b], scale + b));
}

/** One full qins4 block of a row: codes, scale, sums (the generic row encoder for every block size). */
void qins4_row_block(const float* w, int n, int block, const Table16& tb, Q4Search search, uint8_t* codes, uint16_t* scale,
                     BlockSums& acc, double (*assign)(const float*, int, const Table16&, Q4Search, uint8_t*, float*)) {
  uint8_t idx[256];
  float s = 0;
  acc.errsq += assign(w, n, tb, search, idx, &s);
  for (int j = n; j < block; j++) idx[j] = static_cast<uint8_t>(tb.zero);
  *scale = scale_half(s);
  pack_nibbles(idx, block, codes);
  float x2[256], amax = 0;
  for (int j = 0; j < n; j++) {
    x2[j] = w[j] * w[j];
    amax = std::max(amax, std::fabs(w[j]));
  }
  acc.sumsq += block_sum(x2, n);
  acc.amax = std::max(acc.amax, amax);
}

void qins4_generic(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t* codes, uint16_t* scales, BlockSums& acc) {
  for (int b = 0; b < nblocks; b++) qins4_row_block(w + 32 * b, 32, 32, tb, search, codes + 16 * b, scales + b, acc, qins4_block_generic);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// CRC-32 (reflected polynomial 0xEDB88320, zlib's pre- and post-inversion)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crc32_generic reads words as little-endian"
#endif

namespace {
struct CrcTables {
  uint32_t t[8][256];
  CrcTables() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
      for (int k = 1; k < 8; k++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
};
const CrcTables& crc_tables() {
  static const CrcTables tables;
  return tables;
}
}  // namespace

uint32_t crc32_generic(uint32_t crc, const uint8_t* p, size_t n) {
  const auto& t = crc_tables().t;
  uint32_t c = ~crc;
  for (; n && (reinterpret_cast<uintptr_t>(p) & 7); n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= c;
    c = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^
        t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
  }
  for (; n; n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

const EncoderSet& generic_encoders() {
  static const EncoderSet set = {"generic", q8_generic, qins8_generic, q4_generic, qins4_generic, qins4_assign_generic, crc32_generic};
  return set;
}

const EncoderSet& encoders(Isa isa) {
  switch (isa) {
#if defined(QINS_HAVE_X86_KERNELS)
    case Isa::Avx2:
    case Isa::AvxVnni: return avx2_encoders();
    case Isa::Avx512: return avx512_encoders();
#endif
#if defined(QINS_HAVE_NEON_KERNELS)
    case Isa::Neon: return neon_encoders();
#endif
    default: return generic_encoders();
  }
}

// ---------------------------------------------------------------------------------------------
// rows: full blocks of 32 through the chosen set, the rest (and other block sizes) generic

namespace {
inline int simd_blocks(int cols, int block) { return block == kBlock ? cols / kBlock : 0; }
inline void finish(const BlockSums& acc, Stats& st) {
  st.errsq += acc.errsq;
  st.sumsq += acc.sumsq;
  st.absmax = std::max(st.absmax, acc.amax);
}
inline int block_len(int cols, int j0, int block) { return std::max(0, std::min(block, cols - j0)); }
}  // namespace

void encode_row_q8(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa) {
  BlockSums acc;
  const int full = simd_blocks(cols, block);
  if (full) encoders(isa).q8(w, full, codes, scales, acc);
  for (int b = full; b < cols_p / block; b++) {
    const int j0 = b * block;
    q8_block(w + j0, block_len(cols, j0, block), block, codes + j0, scales + b, acc);
  }
  finish(acc, st);
}

void encode_row_qins8(const float* w, int cols, int cols_p, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scales,
                      Stats& st, Isa isa) {
  BlockSums acc;
  const int full = simd_blocks(cols, block);
  if (full) encoders(isa).qins8(w, full, tb, codes, scales, acc);
  for (int b = full; b < cols_p / block; b++) {
    const int j0 = b * block;
    qins8_block(w + j0, block_len(cols, j0, block), block, tb, codes + j0, scales + b, acc);
  }
  finish(acc, st);
}

void encode_row_q4(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa) {
  BlockSums acc;
  const int full = simd_blocks(cols, block);
  if (full) encoders(isa).q4(w, full, codes, scales, acc);
  for (int b = full; b < cols_p / block; b++) {
    const int j0 = b * block;
    q4_block(w + j0, block_len(cols, j0, block), block, codes + j0 / 2, scales + b, acc);
  }
  finish(acc, st);
}

void encode_row_qins4(const float* w, int cols, int cols_p, int block, const Table16& tb, Q4Search search, uint8_t* codes,
                      uint16_t* scales, Stats& st, Isa isa) {
  BlockSums acc;
  const int full = simd_blocks(cols, block);
  if (full) encoders(isa).qins4(w, full, tb, search, codes, scales, acc);
  for (int b = full; b < cols_p / block; b++) {
    const int j0 = b * block;
    qins4_row_block(w + j0, block_len(cols, j0, block), block, tb, search, codes + j0 / 2, scales + b, acc, qins4_block_generic);
  }
  finish(acc, st);
}

double qins4_block_assign(const float* w, int n, const Table16& tb, Q4Search search, uint8_t* code_idx, float* scale_out) {
  return qins4_block_generic(w, n, tb, search, code_idx, scale_out);
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
