// Weight encoders of the .qins codecs (docs/qins-format.md). Pure C++: no Node-API here, so the
// same code serves the addon and standalone tests.
//
// Instruction sets: the engine's dialect (qins::Isa, chosen by kernels/dispatch.cpp). Each set has
// an EncoderSet of block-of-32 encoders (generic C++ in encoders.cpp, x86/encoders_avx2.cpp,
// x86/encoders_avx512.cpp, arm/encoders_neon.cpp); the row drivers below hand them the full blocks
// of a row and code partial blocks (and other block sizes) with the generic code. Every set
// performs the generic code's float operations in the same order (no fused multiply-add: the
// encoder sources are compiled with -ffp-contract=off), and sums over a block of 32 in one fixed
// order (sum32), so all sets produce identical codes, scales and error sums.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace qins::codecs {

enum class Dtype : int { BF16 = 0, F16 = 1, F32 = 2 };
inline size_t dtype_bytes(Dtype d) { return d == Dtype::F32 ? 4 : 2; }

/** Converts n source values to float. */
void load_f32(const uint8_t* src, Dtype dtype, size_t n, float* out);

/** Sums over the encoded weights: Σw², Σ(w − ŵ)², max |w|. */
struct Stats {
  double sumsq = 0;
  double errsq = 0;
  float absmax = 0;
  void add(const Stats& o) {
    sumsq += o.sumsq;
    errsq += o.errsq;
    if (o.absmax > absmax) absmax = o.absmax;
  }
};

/** Running sums of a row's blocks: each block's float sums (sum32) added in block order. */
struct BlockSums {
  double errsq = 0, sumsq = 0;
  float amax = 0;
};

/**
 * The sum of 32 floats in the order every instruction set reproduces: lane l = 0..7 holds
 * (v[l] + v[l+16]) + (v[l+8] + v[l+24]), then lanes fold 8 → 4 → 2 → 1 (l + l+4, l + l+2, 0 + 1).
 */
inline float sum32(const float* v) {
  float p[8], q[4];
  for (int l = 0; l < 8; l++) p[l] = (v[l] + v[l + 16]) + (v[l + 8] + v[l + 24]);
  for (int l = 0; l < 4; l++) q[l] = p[l] + p[l + 4];
  const float r0 = q[0] + q[2], r1 = q[1] + q[3];
  return r0 + r1;
}
/** The block sum used by the generic code: sum32 for full blocks, in order otherwise. */
inline float block_sum(const float* v, int n) {
  if (n == 32) return sum32(v);
  float s = 0;
  for (int j = 0; j < n; j++) s += v[j];
  return s;
}

/**
 * The qins8 codebook (format version 2): eight magnitude segments of sixteen linear steps whose
 * starts follow the offset-inverse curve (1 + c) / (k + c) at k = 113, 97, ..., 17 (from the
 * bottom; the top segment ends at k = 1), plus a first segment from 0. Code = sign << 7 | seg << 4 | j;
 * magnitude(seg, j) = E[seg] · (B[seg] + j) / denom with 1 <= E <= 127 (the step) and
 * 0 <= B <= 240, segments ascending and disjoint, B[0] = 0 (code 0 is 0), denom = the top level,
 * so the block maximum maps to 1. Decoding needs two 16-entry tables (B as unsigned bytes, ±E as
 * signed bytes) and one byte product: one table lookup per operand on every instruction set.
 */
struct Qins8Table {
  static constexpr int kSegments = 8, kSteps = 16;
  /** Largest c the codebook is defined for (segment starts stay within B <= 240). */
  static constexpr double kMaxC = 100;
  float c = 0;
  int32_t E[kSegments] = {}, B[kSegments] = {};
  /** ints[256] as stored in the header: ints[seg · 16 + j] = E · (B + j), ints[128 + k] = -ints[k]. */
  int32_t ints[256] = {};
  float denom = 1;
  /** Encoder constants (all implementations use exactly these floats): segment start E·B, top E·(B+15), 1/E. */
  float Af[kSegments] = {}, Tf[kSegments] = {}, invE[kSegments] = {};
  /** lev[k] = ints[k] / denom, k = 0..127 (reconstruction for the error sums). */
  float lev[128] = {};
  static Qins8Table make(double c);
  /** Checks that ints / denom are make(c)'s. Returns an error text or "". */
  std::string adopt(const int32_t* ints256, double denom, double c);
};

/**
 * The nearest level to a magnitude y given in units of the table's integers (y = |w| · denom / s):
 * returns k = seg · 16 + j. Every encoder implementation performs exactly these float operations
 * (compare with the starts, multiply by 1/E, round half to even, compare the two neighbours across
 * a gap), so all of them produce the same codes. t is capped at 16 before rounding (same result,
 * and no integer overflow for huge weights whose block scale saturated).
 */
inline int qins8_level(const Qins8Table& tb, float y) {
  constexpr int S = Qins8Table::kSegments, J = Qins8Table::kSteps;
  int seg = 0;
  for (int m = 1; m < S; m++) seg += y >= tb.Af[m] ? 1 : 0;
  const float t = std::min((y - tb.Af[seg]) * tb.invE[seg], 16.0f);
  int j = static_cast<int>(std::nearbyint(t));
  if (j > J - 1) {
    j = J - 1;
    if (seg < S - 1 && tb.Af[seg + 1] - y < y - tb.Tf[seg]) {
      seg++;
      j = 0;
    }
  }
  return seg * J + j;
}

/** How qins4 weighs each weight's squared error when choosing block scales and tuning codebooks. */
enum class Weighting : int {
  None = 0,
  /** w² (llama.cpp's IQ4_NL without an importance matrix) */
  Square = 1,
  /** sqrt(σ² + w²), σ² = 2·mean(w²) of the block (llama.cpp's form with a flat importance matrix) */
  Sigma = 2,
};

/** qins4 block scale search: `n` extra candidates on each side of the block maximum. */
struct Q4Search {
  int n = 0;
  Weighting weighting = Weighting::None;
};

/** Error weights of one block of n weights (n ≤ 256). */
void block_weights(const float* w, int n, Weighting mode, float* wt);

/** A sorted 16-entry codebook (qins4): values L[j] = ints[j] / denom, ascending, containing 0. */
struct Table16 {
  int32_t ints[16] = {};
  float L[16] = {};
  float T[15] = {};  // thresholds between neighbours
  float denom = 127;
  /** The entry closest to zero (0 itself in every codebook the converter makes): the padding code. */
  int zero = 0;
  // Bucket table for SIMD nearest-entry lookups: 32 equal buckets over [lut_lo, lut_lo + 32 / lut_scale];
  // lut[b] = entries whose upper threshold lies below bucket b, so the answer is lut[b] or lut[b] + 1.
  // lut_ok is false when some bucket holds two thresholds (the SIMD sets search the thresholds then).
  int32_t lut[32] = {};
  float lut_lo = 0, lut_scale = 0;
  bool lut_ok = false;
  std::string adopt(const int32_t* ints16, double denom);
  /** Index of the nearest entry: the number of thresholds below y (every set computes exactly this). */
  inline int nearest(float y) const {
    int i = 0;
    i += (y > T[i + 7]) ? 8 : 0;
    i += (y > T[i + 3]) ? 4 : 0;
    i += (y > T[i + 1]) ? 2 : 0;
    i += (y > T[i]) ? 1 : 0;
    return i;
  }
};

/** Most candidates of the qins4 scale search (Q4Search::n <= 64), rounded up for vector loops. */
constexpr int kMaxQ4Candidates = 144;

/** Block-of-32 encoders of one instruction set (full blocks of a row, block = 32). */
struct EncoderSet {
  const char* name;
  /** nblocks blocks of 32: codes (4-bit: ggml Q4_0 nibble order), fp16 scales; adds to acc. */
  void (*q8)(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc);
  void (*qins8)(const float* w, int nblocks, const Qins8Table& tb, uint8_t* codes, uint16_t* scales, BlockSums& acc);
  void (*q4)(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, BlockSums& acc);
  void (*qins4)(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t* codes, uint16_t* scales, BlockSums& acc);
  /** qins4's assignment used by the codebook tuning, nblocks consecutive blocks of 32: code indices
   *  (unpacked), the fp16-exact scales and Σ(w − ŵ)² of each block. */
  void (*qins4_assign)(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t (*idx)[32], float* scale, float* err);
  /** CRC-32 of the coded bytes as zlib computes it: crc32(crc32(0, a), b) = crc32(0, a + b). */
  uint32_t (*crc32)(uint32_t crc, const uint8_t* data, size_t n);
};

/** The generic CRC-32 (slicing by 8), zlib's polynomial and conventions. */
uint32_t crc32_generic(uint32_t crc, const uint8_t* data, size_t n);

/** The encoders of an available instruction set (see kernels/dispatch.cpp: best_isa, choose_isa). */
const EncoderSet& encoders(Isa isa);
const EncoderSet& generic_encoders();
#if defined(QINS_HAVE_X86_KERNELS)
const EncoderSet& avx2_encoders();
const EncoderSet& avx512_encoders();
/** CRC-32 with PCLMULQDQ (x86/encoders_avx2.cpp; every CPU with the AVX2 set has it). */
uint32_t crc32_pclmul(uint32_t crc, const uint8_t* data, size_t n);
#endif
#if defined(QINS_HAVE_NEON_KERNELS)
const EncoderSet& neon_encoders();
#endif

/**
 * Per-row encoders. `w` holds cols values (readable up to cols_p, zero-padded); cols_p = cols
 * rounded up to the block. Full blocks of 32 go to encoders(isa); the rest is generic.
 */
void encode_row_q8(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa);
void encode_row_qins8(const float* w, int cols, int cols_p, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scales,
                      Stats& st, Isa isa);
void encode_row_q4(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa);
/** search: number of extra scale candidates on each side of the block maximum (0 = max only). */
void encode_row_qins4(const float* w, int cols, int cols_p, int block, const Table16& tb, Q4Search search, uint8_t* codes,
                      uint16_t* scales, Stats& st, Isa isa);
void encode_row_seed(const float* w, int cols, float scale, uint8_t* codes, uint8_t* signs, Stats& st);

/** Codes one block of n weights with the 16-entry table (generic): code indices, the (fp16-exact) scale; returns Σ(w − ŵ)². */
double qins4_block_assign(const float* w, int n, const Table16& tb, Q4Search search, uint8_t* code_idx, float* scale_out);

/** Error of qins8 on a sample for one c (used by the c search). */
Stats qins8_error(const float* w, size_t rows, int cols, int block, const Qins8Table& tb, Isa isa);

}  // namespace qins::codecs
