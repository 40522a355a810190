// Per-tensor codebook tuning on a sample of rows: the qins8 offset c and the qins4 codebook.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "encoders.h"

namespace qins::codecs {

struct Qins8Search {
  double c = 0;
  double errsq = 0;
  double sumsq = 0;
  /** (c, errsq) of every candidate evaluated, in order. */
  std::vector<std::pair<double, double>> curve;
};
/** Grid search of c over 0..max_c (step 2), then a refinement around the best (step 1/4). The
 *  threads share out the candidates: the result does not depend on their number. */
Qins8Search search_qins8_c(const float* w, size_t rows, int cols, int block, double max_c, int threads, Isa isa);

struct Qins4Tune {
  int32_t ints[16] = {};
  double init_c = 0;
  double errsq = 0;
  double sumsq = 0;
  int iterations = 0;
};
/**
 * Tunes a 16-entry codebook on a sample: the best start (the given `init`, or else the
 * inverse-family codebooks for several c including the c → ∞ uniform limit), then over-relaxed
 * Lloyd iterations, then coordinate descent on the integer entries (`cd_rounds` passes per step
 * size; steps 8, 4, 2, 1 from an inverse-family start, 2, 1 from `init`). -127 stays fixed (the block
 * extreme's level); 0 stays fixed when `anchor_zero` (tensors whose width needs padding). Each pass
 * sums the sample in fixed parts, so the result does not depend on the number of threads.
 */
Qins4Tune tune_qins4(const float* w, size_t rows, int cols, int block, Q4Search search, int iterations, int cd_rounds, bool anchor_zero,
                     const int32_t* init, double init_c, int threads, Isa isa);

/** c value standing for the uniform (c → ∞) member of the inverse family. */
constexpr double kUniformC = 1e9;

/** The inverse-family 16-entry codebook: -(1+c)/(k+c) for k = 1..7, 0, (1+c)/(k+c) for k = 1..8, ×127. */
void inverse4_init(double c, int32_t out[16]);

}  // namespace qins::codecs
