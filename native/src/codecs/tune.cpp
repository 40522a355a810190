// Codebook tuning (see tune.h). Both searches minimise the squared reconstruction error of the
// sample exactly as the encoders will code it (fp16 scales, integer codebook entries).
#include "tune.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "parallel.h"

namespace qins::codecs {

Qins8Search search_qins8_c(const float* w, size_t rows, int cols, int block, double max_c, int threads, Isa isa) {
  Qins8Search out;
  auto eval = [&](const std::vector<double>& cs) {
    std::vector<Stats> res(cs.size());
    parallel_for(cs.size(), threads, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; i++) res[i] = qins8_error(w, rows, cols, block, Qins8Table::make(cs[i]), isa);
    });
    for (size_t i = 0; i < cs.size(); i++) {
      out.curve.emplace_back(cs[i], res[i].errsq);
      if (out.curve.size() == 1 || res[i].errsq < out.errsq) {
        out.errsq = res[i].errsq;
        out.c = cs[i];
        out.sumsq = res[i].sumsq;
      }
    }
  };
  std::vector<double> grid;
  for (double c = 0; c <= max_c + 1e-9; c += 2) grid.push_back(c);
  eval(grid);
  const double c0 = out.c;
  std::vector<double> fine;
  for (int i = -7; i <= 7; i++) {
    const double c = c0 + i / 4.0;
    if (i != 0 && c >= 0) fine.push_back(c);
  }
  eval(fine);
  return out;
}

void inverse4_init(double c, int32_t out[16]) {
  if (c >= kUniformC) {  // the c → ∞ limit of the (affinely normalised) family: a uniform grid
    for (int j = 0; j < 16; j++) out[j] = -127 + static_cast<int32_t>(std::floor(j * 254.0 / 16 + 0.5));
    return;
  }
  int n = 0;
  for (int k = 1; k <= 7; k++) out[n++] = -static_cast<int32_t>(std::floor(127.0 * (1 + c) / (k + c) + 0.5));
  out[n++] = 0;
  for (int k = 1; k <= 8; k++) out[n++] = static_cast<int32_t>(std::floor(127.0 * (1 + c) / (k + c) + 0.5));
  std::sort(out, out + 16);
  for (int i = 1; i < 16; i++)
    if (out[i] <= out[i - 1]) out[i] = out[i - 1] + 1;  // only for extreme c, keeps entries distinct
}

namespace {

struct Pass {
  double errsq = 0, sumsq = 0;
  /** Σ weight·(w − ŵ)² */
  double werr = 0;
  /** the objective the search minimises */
  double objective(Weighting mode) const { return mode == Weighting::None ? errsq : werr; }
  double num[16] = {}, den[16] = {};
};

/** The sample's blocks are summed in this many fixed parts, added in order: a pass gives the same
 *  sums whatever the number of threads (one thread per part at most). */
constexpr int kPassParts = 2;

/** What a pass sums: everything (Lloyd steps, starts), or only the objective and errsq (the
 *  coordinate descent compares candidates by their objective alone). */
enum class Sums { All, Objective };

/** Codes every block of the sample with `tb`; accumulates the error and, for Sums::All, the Lloyd
 *  sums and Σw² (with Sums::Objective they stay 0; the objective and errsq are the same either way). */
Pass run_pass(const float* w, size_t rows, int cols, int block, const Table16& tb, Q4Search search, int threads, Isa isa,
              Sums sums = Sums::All) {
  const int nb = (cols + block - 1) / block;
  const size_t nblocks = rows * nb;
  Pass parts[kPassParts];
  parallel_for(kPassParts, threads, [&](size_t q0, size_t q1, int) {
    for (size_t q = q0; q < q1; q++) {
      const size_t per = nblocks / kPassParts, rem = nblocks % kPassParts;
      const size_t b0 = q * per + std::min(q, rem), b1 = b0 + per + (q < rem ? 1 : 0);
      Pass& p = parts[q];
      // full blocks of 32 of one row go to the set's assignment in runs, the rest one by one (generic)
      constexpr int kRun = 64;
      uint8_t idx[kRun][32], one[256];
      float sc[kRun], er[kRun];
      const EncoderSet& set = encoders(isa);
      for (size_t bi = b0; bi < b1;) {
        const size_t r = bi / nb;
        const int jb = static_cast<int>(bi % nb);
        const float* row = w + r * cols;
        const int full = block == 32 ? cols / 32 : 0;  // full blocks of this row
        int run = 0;
        if (jb < full) {
          run = static_cast<int>(std::min<size_t>({static_cast<size_t>(kRun), static_cast<size_t>(full - jb), b1 - bi}));
          set.qins4_assign(row + 32 * jb, run, tb, search, idx, sc, er);
        } else {
          run = 1;
        }
        for (int k = 0; k < run; k++) {
          const int j0 = (jb + k) * block;
          const int n = std::min(block, cols - j0);
          const float* x = row + j0;
          const uint8_t* id = one;
          float s = 0;
          if (jb < full) {
            p.errsq += er[k];
            s = sc[k];
            id = idx[k];
          } else {
            p.errsq += qins4_block_assign(x, n, tb, search, one, &s);
          }
          if (search.weighting == Weighting::None) {  // wt = 1: the same sums, without the weighted error
            if (sums == Sums::Objective) continue;
            const double ss = static_cast<double>(s) * s;
            for (int j = 0; j < n; j++) {
              p.sumsq += static_cast<double>(x[j]) * x[j];
              p.num[id[j]] += static_cast<double>(x[j]) * s;
              p.den[id[j]] += ss;
            }
            continue;
          }
          float wtb[256];
          block_weights(x, n, search.weighting, wtb);
          if (sums == Sums::Objective) {
            for (int j = 0; j < n; j++) {
              const double d = x[j] - static_cast<double>(s) * tb.L[id[j]];
              p.werr += wtb[j] * d * d;
            }
            continue;
          }
          for (int j = 0; j < n; j++) {
            const double wt = wtb[j];
            p.sumsq += static_cast<double>(x[j]) * x[j];
            p.num[id[j]] += wt * x[j] * s;
            p.den[id[j]] += wt * s * s;
            const double d = x[j] - static_cast<double>(s) * tb.L[id[j]];
            p.werr += wt * d * d;
          }
        }
        bi += run;
      }
    }
  });
  Pass tot;
  for (const Pass& p : parts) {
    tot.errsq += p.errsq;
    tot.sumsq += p.sumsq;
    tot.werr += p.werr;
    for (int j = 0; j < 16; j++) {
      tot.num[j] += p.num[j];
      tot.den[j] += p.den[j];
    }
  }
  return tot;
}

/** Rounds desired levels (in 1/127 units) to distinct integers, keeping -127 (and 0 if asked) in the set. */
void sanitize(const double desired[16], const int32_t prev[16], bool anchor_zero, int32_t out[16]) {
  std::set<int32_t> used = {-127};
  if (anchor_zero) used.insert(0);
  std::vector<double> free_levels;
  for (int j = 0; j < 16; j++)
    if (prev[j] != -127 && !(anchor_zero && prev[j] == 0)) free_levels.push_back(desired[j]);
  std::sort(free_levels.begin(), free_levels.end());
  for (double v : free_levels) {
    int32_t t = static_cast<int32_t>(std::floor(v + 0.5));
    t = std::max(-126, std::min(127, t));
    for (int d = 0; d < 256; d++) {  // nearest free integer
      if (t + d <= 127 && !used.count(t + d)) {
        t += d;
        break;
      }
      if (t - d >= -126 && !used.count(t - d)) {
        t -= d;
        break;
      }
    }
    used.insert(t);
  }
  int n = 0;
  for (int32_t v : used) out[n++] = v;
}

}  // namespace

Qins4Tune tune_qins4(const float* w, size_t rows, int cols, int block, Q4Search search, int iterations, int cd_rounds, bool anchor_zero,
                     const int32_t* init, double init_c, int threads, Isa isa) {
  Qins4Tune best;
  double best_obj = -1;
  auto consider = [&](const int32_t* ints, const Pass& p, double init_c, int it) {
    const double obj = p.objective(search.weighting);
    if (best_obj < 0 || obj < best_obj) {
      best_obj = obj;
      best.errsq = p.errsq;
      best.sumsq = p.sumsq;
      best.iterations = it;
      if (init_c >= 0) best.init_c = init_c;
      std::copy(ints, ints + 16, best.ints);
    }
  };
  if (init) {
    int32_t start[16];
    std::copy(init, init + 16, start);
    if (anchor_zero && std::find(start, start + 16, 0) == start + 16) {  // put 0 in place of the entry nearest to it
      int z = 1;
      for (int j = 2; j < 16; j++)
        if (std::abs(start[j]) < std::abs(start[z])) z = j;
      start[z] = 0;
    }
    Table16 tb;
    if (tb.adopt(start, 127).empty()) consider(start, run_pass(w, rows, cols, block, tb, search, threads, isa), init_c, 0);
  }
  if (best_obj < 0) {
    const double inits[] = {0, 0.5, 1, 2, 4, 8, 16, kUniformC};
    for (double c : inits) {
      int32_t ints[16];
      inverse4_init(c, ints);
      Table16 tb;
      if (!tb.adopt(ints, 127).empty()) continue;
      consider(ints, run_pass(w, rows, cols, block, tb, search, threads, isa), c, 0);
    }
  }
  int32_t cur[16];
  std::copy(best.ints, best.ints + 16, cur);
  for (int it = 1; it <= iterations; it++) {
    Table16 tb;
    tb.adopt(cur, 127);
    const Pass p = run_pass(w, rows, cols, block, tb, search, threads, isa);
    consider(cur, p, -1, it - 1);
    double desired[16];
    // Over-relaxed update: plain Lloyd creeps along the direction where the codebook's spread and
    // the block scales trade off; doubling the step converges in a few iterations.
    constexpr double omega = 2.0;
    for (int j = 0; j < 16; j++) desired[j] = p.den[j] > 0 ? cur[j] + omega * (127.0 * p.num[j] / p.den[j] - cur[j]) : cur[j];
    int32_t next[16];
    sanitize(desired, cur, anchor_zero, next);
    if (std::equal(next, next + 16, cur)) break;
    std::copy(next, next + 16, cur);
    if (it == iterations) {  // the last update has not been evaluated yet
      Table16 last;
      last.adopt(cur, 127);
      consider(cur, run_pass(w, rows, cols, block, last, search, threads, isa), -1, it);
    }
  }
  // Coordinate descent on the integer levels (Lloyd alone drifts slowly along the direction where
  // the codebook's spread and the block scales trade off).
  if (cd_rounds > 0) {
    int32_t curt[16];
    std::copy(best.ints, best.ints + 16, curt);
    const std::vector<int> steps = init ? std::vector<int>{2, 1} : std::vector<int>{8, 4, 2, 1};
    for (int step : steps) {
      for (int round = 0; round < cd_rounds; round++) {
        bool improved = false;
        for (int j = 1; j < 16; j++) {
          if (anchor_zero && curt[j] == 0) continue;
          for (int dir : {-1, 1}) {
            int32_t cand[16];
            std::copy(curt, curt + 16, cand);
            cand[j] += dir * step;
            if (cand[j] <= cand[j - 1] || (j < 15 && cand[j] >= cand[j + 1]) || cand[j] > 127 || cand[j] < -126) continue;
            Table16 tb;
            if (!tb.adopt(cand, 127).empty()) continue;
            const Pass p = run_pass(w, rows, cols, block, tb, search, threads, isa, Sums::Objective);
            if (p.objective(search.weighting) < best_obj) {
              best_obj = p.objective(search.weighting);
              best.errsq = p.errsq;
              std::copy(cand, cand + 16, best.ints);
              std::copy(cand, cand + 16, curt);
              improved = true;
              break;
            }
          }
        }
        if (!improved) break;
      }
    }
  }
  return best;
}

}  // namespace qins::codecs
