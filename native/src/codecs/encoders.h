// Weight encoders of the .qins codecs (docs/qins-format.md). Pure C++: no Node-API here, so the
// same code serves the addon and standalone tests.
#pragma once
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

/** The qins8 offset-inverse codebook: magnitude m[k] = ints[k] / denom for k = 1..127, m[128] = 0. */
struct Qins8Table {
  float c = 0;
  float m[129] = {};
  /** ints[256] as stored in the header; built from c by make(). */
  int32_t ints[256] = {};
  float denom = 32767;
  static Qins8Table make(double c);
  /** Checks that ints has the offset-inverse structure; fills m. Returns an error text or "". */
  std::string adopt(const int32_t* ints256, double denom, double c);
};

/** A sorted 16-entry codebook (qins4): values L[j] = ints[j] / denom, ascending, containing 0. */
struct Table16 {
  int32_t ints[16] = {};
  float L[16] = {};
  float T[15] = {};  // thresholds between neighbours
  float denom = 127;
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

/** Per-row encoders. `w` holds cols values; cols_p = cols rounded up to the block. */
void encode_row_q8(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st);
void encode_row_qins8(const float* w, int cols, int cols_p, int block, const Qins8Table& tb, uint8_t* codes, uint16_t* scales,
                      Stats& st);
void encode_row_q4(const float* w, int cols, int cols_p, int block, uint8_t* codes, uint16_t* scales, Stats& st);
/** search: number of extra scale candidates on each side of the block maximum (0 = max only). */
void encode_row_qins4(const float* w, int cols, int cols_p, int block, const Table16& tb, int search, uint8_t* codes,
                      uint16_t* scales, Stats& st);
void encode_row_seed(const float* w, int cols, float scale, uint8_t* codes, uint8_t* signs, Stats& st);

/** Squared error of qins4-coding `n` weights (blocks of `block`) with the table; fills per-weight code/scale if given. */
double qins4_block_assign(const float* w, int n, const Table16& tb, int search, uint8_t* code_idx, float* scale_out);

/** Error of qins8 on a sample for one c (used by the c search). */
Stats qins8_error(const float* w, size_t rows, int cols, int block, const Qins8Table& tb);

}  // namespace qins::codecs
