// Weight encoders of the .qins codecs (docs/qins-format.md). Pure C++: no Node-API here, so the
// same code serves the addon and standalone tests.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
 * a gap), so all of them produce the same codes.
 */
inline int qins8_level(const Qins8Table& tb, float y) {
  constexpr int S = Qins8Table::kSegments, J = Qins8Table::kSteps;
  int seg = 0;
  for (int m = 1; m < S; m++) seg += y >= tb.Af[m] ? 1 : 0;
  const float t = (y - tb.Af[seg]) * tb.invE[seg];
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
  // Bucket table for SIMD nearest-entry lookups: 32 equal buckets over [lut_lo, lut_lo + 32 / lut_scale];
  // lut[b] = entries whose upper threshold lies below bucket b, so the answer is lut[b] or lut[b] + 1.
  // lut_ok is false when some bucket holds two thresholds (the binary search is used then).
  int32_t lut[32] = {};
  float lut_lo = 0, lut_scale = 0;
  bool lut_ok = false;
  std::string adopt(const int32_t* ints16, double denom);
  inline int nearest(float y) const {
    int i = 0;
    i += (y > T[i + 7]) ? 8 : 0;
    i += (y > T[i + 3]) ? 4 : 0;
    i += (y > T[i + 1]) ? 2 : 0;
    i += (y > T[i]) ? 1 : 0;
    return i;
  }
};

/** Which implementation the row encoders use for full blocks of 32. */
enum class Isa : int { Scalar = 0, Avx512 = 1 };
/** The best implementation this CPU (and OS) supports. */
Isa best_isa();
const char* isa_name(Isa isa);

/**
 * Per-row encoders. `w` holds cols values (readable up to cols_p, zero-padded); cols_p = cols
 * rounded up to the block. `isa` selects the SIMD path for full blocks of 32 where available.
 */
void encode_row_q8(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa = Isa::Scalar);
void encode_row_qins8(const float* w, int cols, int cols_p, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scales,
                      Stats& st, Isa isa = Isa::Scalar);
void encode_row_q4(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st, Isa isa = Isa::Scalar);
/** search: number of extra scale candidates on each side of the block maximum (0 = max only). */
void encode_row_qins4(const float* w, int cols, int cols_p, int block, const Table16& tb, Q4Search search, uint8_t* codes,
                      uint16_t* scales, Stats& st, Isa isa = Isa::Scalar);
void encode_row_seed(const float* w, int cols, float scale, uint8_t* codes, uint8_t* signs, Stats& st);

/** Codes one block of n weights with the 16-entry table: code indices, the (fp16-exact) scale; returns Σ(w − ŵ)². */
double qins4_block_assign(const float* w, int n, const Table16& tb, Q4Search search, uint8_t* code_idx, float* scale_out,
                          Isa isa = Isa::Scalar);

/** Error of qins8 on a sample for one c (used by the c search). */
Stats qins8_error(const float* w, size_t rows, int cols, int block, const Qins8Table& tb, Isa isa = Isa::Scalar);

// AVX-512 block-of-32 kernels (encoders_avx512.cpp); only called when best_isa() says so.
namespace avx512 {
void q8_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, double& errsq, double& sumsq, float& amax);
void qins8_blocks(const float* w, int nblocks, const Qins8Table& tb, uint8_t* codes, uint16_t* scales, double& errsq,
                  double& sumsq, float& amax);
void q4_blocks(const float* w, int nblocks, uint8_t* codes, uint16_t* scales, double& errsq, double& sumsq, float& amax);
/** Full blocks of 32 of one row: packed codes, fp16 scales, error sums. */
void qins4_blocks(const float* w, int nblocks, const Table16& tb, Q4Search search, uint8_t* codes, uint16_t* scales, double& errsq,
                  double& sumsq, float& amax);
/** One block of 32: code indices (unpacked), scale; returns the squared error. */
float qins4_block(const float* w, const Table16& tb, Q4Search search, uint8_t* idx, float* scale);
}  // namespace avx512

}  // namespace qins::codecs
