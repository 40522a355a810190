// Encoder tests: every SIMD encoder set available on this CPU against the generic encoders, on
// random rows of 1..1100 columns (partial blocks, unaligned rows) with outliers, all-zero blocks,
// values in the fp16 and float subnormal ranges, saturating block scales and weights on rounding
// ties (NaN-free). Every set must produce the same codes, scales and error sums, bit for bit, for
// q8, qins8, q4 and qins4 (all search widths and weightings, bucket-table and crowded codebooks),
// the qins4 assignment used by tuning, and the tuning results themselves (qins8 c,
// qins4 codebook). The generic encoders are also checked against the format's definitions: the
// decoded weights give the error sums they report, and q8 / q4 codes are the nearest levels. The
// sets' CRC-32 of the coded bytes equals the generic one (and zlib's check value).
// Usage: encoder_test [--require isa1,isa2] [--quick] [--bench [codec or set]] (--bench: CPU ns/weight of each set)
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "codecs/encoders.h"
#include "codecs/tune.h"
#include "kernels/half.h"
#include "kernels/kernels.h"

using namespace qins;
using namespace qins::codecs;

namespace {

std::mt19937_64 rng(20240611);
int failures = 0;
long comparisons = 0;

float urand(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }
int irand(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
float gauss(float sd) { return std::normal_distribution<float>(0.0f, sd)(rng); }

void fail(const std::string& what) {
  if (failures < 40) std::printf("FAIL %s\n", what.c_str());
  ++failures;
}

/** Weights of one row in one of several regimes. */
void make_row(int cols, int mode, float* w) {
  const float sd = mode == 3 ? 1e-6f : mode == 4 ? 3e-39f : mode == 5 ? 2e4f : 0.02f;
  for (int j = 0; j < cols; j++) w[j] = gauss(sd);
  switch (mode) {
    case 1:  // outliers
      for (int k = 0; k < 1 + cols / 50; k++) w[irand(0, cols - 1)] = urand(-1.f, 1.f) * std::pow(10.f, urand(0.f, 2.f));
      break;
    case 2:  // all-zero blocks and exact zeros / negative zeros
      for (int b = 0; b * 32 < cols; b++)
        if (irand(0, 2) == 0)
          for (int j = b * 32; j < std::min(cols, b * 32 + 32); j++) w[j] = 0;
      for (int k = 0; k < cols / 10; k++) w[irand(0, cols - 1)] = irand(0, 1) ? 0.0f : -0.0f;
      break;
    case 6:  // rounding ties: multiples of 1/254 and 1/16 of a power of two, block maxima of 1
      for (int j = 0; j < cols; j++) w[j] = static_cast<float>(irand(-254, 254)) / (irand(0, 1) ? 254.0f : 16.0f);
      break;
    case 7: {  // a few distinct values, repeated maxima of both signs
      const float v[] = {0.5f, -0.5f, 0.25f, 0.0f, 1.0f / 3.0f, -0.125f};
      for (int j = 0; j < cols; j++) w[j] = v[irand(0, 5)];
      break;
    }
    case 8: {  // q4 rounding boundaries: x * id + 8.5 within an ulp of an integer (catches fused multiply-adds)
      const float id = 8.0f / 0.75f;
      for (int j = 0; j < cols; j++) {
        float x = static_cast<float>(irand(1, 15)) - 8.5f;
        x = x / id;
        const int nudge = irand(-1, 1);
        if (nudge) x = std::nextafter(x, nudge > 0 ? 1.0f : -1.0f);
        w[j] = j % 32 == 0 ? -0.75f : x;
      }
      break;
    }
    default: break;
  }
}

struct Coded {
  std::vector<uint8_t> codes;
  std::vector<uint16_t> scales;
  Stats st;
};

std::string g9(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

bool same_stats(const Stats& a, const Stats& b) {
  return std::memcmp(&a.errsq, &b.errsq, 8) == 0 && std::memcmp(&a.sumsq, &b.sumsq, 8) == 0 && std::memcmp(&a.absmax, &b.absmax, 4) == 0;
}

enum class Codec { Q8, QINS8, Q4, QINS4 };
const char* codec_name(Codec c) { return c == Codec::Q8 ? "q8" : c == Codec::QINS8 ? "qins8" : c == Codec::Q4 ? "q4" : "qins4"; }

/** Codes `rows` rows of `cols` weights (each row copied to an odd offset of a zero-padded buffer). */
Coded encode(Codec codec, const std::vector<float>& w, int rows, int cols, Isa isa, const Qins8Table& t8, const Table16& t16, Q4Search search) {
  const int cols_p = (cols + 31) / 32 * 32, nb = cols_p / 32;
  const bool four = codec == Codec::Q4 || codec == Codec::QINS4;
  const int code_row = four ? cols_p / 2 : cols_p;
  Coded out;
  out.codes.assign(static_cast<size_t>(rows) * code_row, 0xEE);
  out.scales.assign(static_cast<size_t>(rows) * nb, 0xEEEE);
  std::vector<float> buf(cols_p + 8, 0.0f);
  for (int r = 0; r < rows; r++) {
    const int off = 1 + r % 3;  // unaligned rows
    std::fill(buf.begin(), buf.end(), 0.0f);
    std::memcpy(buf.data() + off, w.data() + static_cast<size_t>(r) * cols, cols * sizeof(float));
    const float* x = buf.data() + off;
    uint8_t* c = out.codes.data() + static_cast<size_t>(r) * code_row;
    uint16_t* s = out.scales.data() + static_cast<size_t>(r) * nb;
    switch (codec) {
      case Codec::Q8: encode_row_q8(x, cols, cols_p, 32, c, s, out.st, isa); break;
      case Codec::QINS8: encode_row_qins8(x, cols, cols_p, 32, t8, c, s, out.st, isa); break;
      case Codec::Q4: encode_row_q4(x, cols, cols_p, 32, c, s, out.st, isa); break;
      case Codec::QINS4: encode_row_qins4(x, cols, cols_p, 32, t16, search, c, s, out.st, isa); break;
    }
  }
  return out;
}

/** The level of a code as the format defines it (scale × ints[code] / denom). */
float decode_one(Codec codec, const Coded& e, int r, int j, int cols_p, const Qins8Table& t8, const Table16& t16) {
  const int nb = cols_p / 32;
  const float s = half_f32(e.scales[static_cast<size_t>(r) * nb + j / 32]);
  if (codec == Codec::Q8 || codec == Codec::QINS8) {
    const uint8_t c = e.codes[static_cast<size_t>(r) * cols_p + j];
    if (codec == Codec::Q8) return s * static_cast<float>(static_cast<int8_t>(c)) / 127.0f;
    return s * static_cast<float>(t8.ints[c]) / t8.denom;
  }
  const uint8_t byte = e.codes[static_cast<size_t>(r) * cols_p / 2 + (j / 32) * 16 + (j % 32) % 16];
  const int c = (j % 32) < 16 ? byte & 15 : byte >> 4;
  if (codec == Codec::Q4) return s * static_cast<float>(c - 8) / 8.0f;
  return s * static_cast<float>(t16.ints[c]) / t16.denom;
}

/** The generic encoder against the format: decoded error = reported error; q8 / q4 codes are the nearest levels. */
void check_generic(Codec codec, const std::vector<float>& w, int rows, int cols, const Coded& e, const Qins8Table& t8, const Table16& t16,
                   const std::string& where) {
  const int cols_p = (cols + 31) / 32 * 32;
  double err = 0, ss = 0;
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols_p; j++) {
      const float x = j < cols ? w[static_cast<size_t>(r) * cols + j] : 0.0f;
      const float d = decode_one(codec, e, r, j, cols_p, t8, t16);
      if (j >= cols) {
        if (d != 0) fail(where + ": padding does not decode to 0");
        continue;
      }
      err += static_cast<double>(x - d) * (x - d);
      ss += static_cast<double>(x) * x;
      // q8 / q4: the code is the nearest level (ties either way) unless the block scale clipped it
      const float s = half_f32(e.scales[static_cast<size_t>(r) * (cols_p / 32) + j / 32]);
      if ((codec == Codec::Q8 || codec == Codec::Q4) && s != 0) {
        const float unit = codec == Codec::Q8 ? 127.0f : 8.0f;
        const float t = x * unit / s, c = d * unit / s;
        const bool clipped = codec == Codec::Q8 ? std::fabs(t) > 127 : (t < -8.5f || t > 7.5f);
        if (!clipped && std::fabs(c - t) > 0.5f + 1e-3f) fail(where + ": code of column " + std::to_string(j) + " is not the nearest level");
      }
    }
  comparisons++;
  const double tol = 1e-4 * ss + 1e-30;
  if (std::isfinite(err) && std::fabs(err - e.st.errsq) > tol)
    fail(where + ": decoded error " + std::to_string(err) + " != reported " + std::to_string(e.st.errsq));
}

void compare(const char* isa, Codec codec, const Coded& a, const Coded& b, const std::string& where) {
  comparisons++;
  if (a.codes != b.codes) {
    size_t i = 0;
    while (i < a.codes.size() && a.codes[i] == b.codes[i]) i++;
    fail(std::string(isa) + " " + codec_name(codec) + " " + where + ": codes differ at byte " + std::to_string(i) + " (" +
         std::to_string(b.codes[i]) + " vs generic " + std::to_string(a.codes[i]) + ")");
  }
  if (a.scales != b.scales) fail(std::string(isa) + " " + codec_name(codec) + " " + where + ": scales differ");
  if (!same_stats(a.st, b.st))
    fail(std::string(isa) + " " + codec_name(codec) + " " + where + ": error sums differ (errsq " + g9(b.st.errsq) + " vs " + g9(a.st.errsq) + ", sumsq " + g9(b.st.sumsq) + " vs " + g9(a.st.sumsq) + ")");
}

Table16 table16(const std::vector<int32_t>& ints) {
  Table16 t;
  const std::string err = t.adopt(ints.data(), 127);
  if (!err.empty()) {
    std::printf("bad test codebook: %s\n", err.c_str());
    std::exit(2);
  }
  return t;
}

/** CPU time of this thread (the machine may be shared: wall time would count other processes). */
double cpu_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
#else
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

void bench(const std::vector<Isa>& isas, const std::string& only) {
  const int rows = 256, cols = 3072;
  std::vector<float> w(static_cast<size_t>(rows) * cols);
  for (auto& x : w) x = gauss(0.02f);
  const Qins8Table t8 = Qins8Table::make(7.25);
  const Table16 t16 = table16({-127, -89, -65, -49, -36, -25, -13, 0, 11, 21, 29, 38, 49, 64, 83, 109});
  std::vector<Isa> all = {Isa::Generic};
  all.insert(all.end(), isas.begin(), isas.end());
  for (Codec c : {Codec::Q8, Codec::QINS8, Codec::Q4, Codec::QINS4})
    for (Isa i : all) {
      if (!only.empty() && only != codec_name(c) && only != encoders(i).name) continue;
      Q4Search search{4, Weighting::None};
      encode(c, w, 16, cols, i, t8, t16, search);  // warm-up
      const int reps = 5;
      const double t0 = cpu_seconds();
      for (int r = 0; r < reps; r++) encode(c, w, rows, cols, i, t8, t16, search);
      const double s = cpu_seconds() - t0;
      std::printf("bench %-6s %-8s %.2f ns/weight\n", codec_name(c), encoders(i).name, s * 1e9 / (static_cast<double>(reps) * rows * cols));
    }
}

}  // namespace

int main(int argc, char** argv) {
  std::string require;
  bool quick = false, do_bench = false;
  std::string bench_only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--require") == 0 && i + 1 < argc) require = argv[++i];
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--bench") == 0) {
      do_bench = true;
      if (i + 1 < argc && argv[i + 1][0] != '-') bench_only = argv[++i];
    }
  }
  std::vector<Isa> isas;
  for (Isa i : {Isa::Avx2, Isa::Avx512, Isa::Neon})
    if (isa_available(i)) isas.push_back(i);
  std::string ran;
  for (Isa i : isas) ran += std::string(ran.empty() ? "" : ",") + encoders(i).name;
  std::printf("encoder sets under test: %s (best: %s)\n", ran.empty() ? "(none)" : ran.c_str(), isa_name(best_isa()));
  for (size_t p = 0; !require.empty() && p <= require.size();) {
    const size_t e = require.find(',', p);
    const std::string name = require.substr(p, e == std::string::npos ? std::string::npos : e - p);
    Isa want;
    if (!parse_isa(name.c_str(), &want) || !isa_available(want)) {
      std::printf("FAIL required encoder set %s is not available\n", name.c_str());
      return 1;
    }
    if (e == std::string::npos) break;
    p = e + 1;
  }
  for (Isa i : isas)
    if (std::strcmp(encoders(i).name, isa_name(i)) != 0) fail(std::string("encoders(") + isa_name(i) + ") is " + encoders(i).name);
  if (do_bench) {
    bench(isas, bench_only);
    return 0;
  }

  const double cs[] = {0, 0.25, 7.25, 30, 64, 100};
  const std::vector<std::vector<int32_t>> books = {
      {-127, -89, -65, -49, -36, -25, -13, 0, 11, 21, 29, 38, 49, 64, 83, 109},   // tuned-like (bucket table)
      {-127, -60, -50, -40, -30, -20, -10, -5, 0, 3, 6, 10, 20, 40, 80, 127},     // crowded (threshold search)
      {-127, -111, -95, -79, -64, -48, -32, -16, 0, 16, 32, 48, 64, 79, 95, 111},  // uniform
      {-127, -120, -100, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 126},             // no zero-centred shape
  };
  const int step = quick ? 7 : 1;
  for (int cols = 1; cols <= 1100; cols += step) {
    const int rows = 1 + cols % 3;
    const int mode = cols % 9;
    std::vector<float> w(static_cast<size_t>(rows) * cols);
    for (int r = 0; r < rows; r++) make_row(cols, mode, w.data() + static_cast<size_t>(r) * cols);
    const Qins8Table t8 = Qins8Table::make(cs[cols % 6]);
    const Table16 t16 = table16(books[cols % books.size()]);
    const Q4Search search{cols % 11 == 0 ? 64 : cols % 5, static_cast<Weighting>(cols % 3)};
    const std::string where = "cols=" + std::to_string(cols) + " mode=" + std::to_string(mode) + " c=" + std::to_string(t8.c) +
                              " book=" + std::to_string(cols % books.size()) + " search=" + std::to_string(search.n) + "/" +
                              std::to_string(cols % 3);
    for (Codec codec : {Codec::Q8, Codec::QINS8, Codec::Q4, Codec::QINS4}) {
      const Coded ref = encode(codec, w, rows, cols, Isa::Generic, t8, t16, search);
      if (mode != 4 && mode != 5) check_generic(codec, w, rows, cols, ref, t8, t16, std::string("generic ") + codec_name(codec) + " " + where);
      for (Isa i : isas) compare(isa_name(i), codec, ref, encode(codec, w, rows, cols, i, t8, t16, search), where);
    }
    // the assignment used by tuning: every full block of the first row, in runs of every length
    if (cols >= 32) {
      const int full = cols / 32;
      std::vector<uint8_t> ia(32 * full), ib(32 * full);
      std::vector<float> sa(full), sb(full), ea(full), eb(full);
      generic_encoders().qins4_assign(w.data(), full, t16, search, reinterpret_cast<uint8_t(*)[32]>(ia.data()), sa.data(), ea.data());
      for (Isa i : isas) {
        const int run = 1 + cols % 23;
        for (int b = 0; b < full; b += run)
          encoders(i).qins4_assign(w.data() + 32 * b, std::min(run, full - b), t16, search, reinterpret_cast<uint8_t(*)[32]>(ib.data() + 32 * b),
                                   sb.data() + b, eb.data() + b);
        comparisons++;
        if (ia != ib || std::memcmp(sa.data(), sb.data(), 4 * full) != 0 || std::memcmp(ea.data(), eb.data(), 4 * full) != 0)
          fail(std::string(isa_name(i)) + " qins4_assign " + where);
      }
      for (int b = 0; b < full; b++) {  // and the generic assignment is qins4_block_assign's
        uint8_t one[32];
        float s1;
        const float e1 = static_cast<float>(qins4_block_assign(w.data() + 32 * b, 32, t16, search, one, &s1));
        comparisons++;
        if (std::memcmp(one, ia.data() + 32 * b, 32) != 0 || s1 != sa[b] || e1 != ea[b]) fail("generic qins4_assign " + where);
      }
    }
  }

  // CRC-32: zlib's check value, then every set against the generic code on every length and offset.
  {
    const uint8_t check[] = "123456789";
    comparisons++;
    if (crc32_generic(0, check, 9) != 0xCBF43926u) fail("generic crc32 of \"123456789\" is not 0xCBF43926");
    std::vector<uint8_t> buf(5000);
    for (auto& v : buf) v = static_cast<uint8_t>(irand(0, 255));
    for (int len = 0; len <= 4200; len += quick ? 37 : 1) {
      const int off = len % 16;
      const uint32_t seed = static_cast<uint32_t>(len) * 2654435761u;
      const uint32_t want = crc32_generic(seed, buf.data() + off, len);
      // split in two: the running CRC continues
      const uint32_t split = crc32_generic(crc32_generic(seed, buf.data() + off, len / 3), buf.data() + off + len / 3, len - len / 3);
      comparisons++;
      if (split != want) fail("generic crc32 does not continue across calls, len=" + std::to_string(len));
      for (Isa i : isas) {
        comparisons++;
        if (encoders(i).crc32(seed, buf.data() + off, len) != want) fail(std::string(isa_name(i)) + " crc32, len=" + std::to_string(len));
      }
    }
  }

  // Tuning: the same c and codebook on every set.
  for (int cols : {96, 100, 256}) {
    const int rows = quick ? 8 : 24;
    std::vector<float> w(static_cast<size_t>(rows) * cols);
    for (int r = 0; r < rows; r++) make_row(cols, r % 3 == 0 ? 1 : 0, w.data() + static_cast<size_t>(r) * cols);
    const Qins8Search a8 = search_qins8_c(w.data(), rows, cols, 32, 64, 2, Isa::Generic);
    const Q4Search s4{1, Weighting::None};
    const Qins4Tune a4 = tune_qins4(w.data(), rows, cols, 32, s4, 3, 1, cols % 32 != 0, nullptr, 0, 2, Isa::Generic);
    for (Isa i : isas) {
      const Qins8Search b8 = search_qins8_c(w.data(), rows, cols, 32, 64, 2, i);
      const Qins4Tune b4 = tune_qins4(w.data(), rows, cols, 32, s4, 3, 1, cols % 32 != 0, nullptr, 0, 2, i);
      comparisons += 2;
      if (b8.c != a8.c || b8.errsq != a8.errsq || b8.curve != a8.curve) fail(std::string(isa_name(i)) + " qins8 c search, cols=" + std::to_string(cols));
      if (std::memcmp(a4.ints, b4.ints, sizeof a4.ints) != 0 || a4.errsq != b4.errsq)
        fail(std::string(isa_name(i)) + " qins4 tuning, cols=" + std::to_string(cols));
    }
  }
  std::printf("%ld comparisons, %d failures\n", comparisons, failures);
  return failures == 0 ? 0 : 1;
}
