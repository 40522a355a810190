// Kernel tests: every SIMD kernel set available on this CPU against the generic kernels, for every
// weight path, at lengths 1..1023 (odd lengths, partial blocks, unaligned rows), with 1..5 tokens.
// Also checks the generic coded kernels against the exact float definition of the format.
//
// Tolerances (per path, relative to M = sum_c |w_c| * |x_c| of the row):
//  * SIMD vs generic, every path: 1e-5 * M. Float paths differ only in summation order
//    (error <= (lanes + n / lanes) * 2^-24 * M, < 1e-5 * M for n <= 1023); coded paths compute
//    each block's integer sum exactly and differ only in the order of the float block terms.
//  * generic coded vs exact float math: activation rounding, sum_c |w_c| * d_b / 2, plus for
//    qins-seed the int16 magnitude table (|w| rounded to step / 2), plus 1e-5 * M.
// Usage: kernel_test [--require isa1,isa2] [--quick]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/half.h"
#include "kernels/kernels.h"

using namespace qins;

namespace {

std::mt19937_64 rng(12345);
int failures = 0;
long checks = 0;

float urand(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }
int irand(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

void fail(const char* isa, const char* what, int cols, int T, int r, int t, double got, double want, double tol) {
  if (failures < 30)
    std::printf("FAIL %s %s cols=%d T=%d row=%d tok=%d got=%.9g want=%.9g |diff|=%.3g tol=%.3g\n", isa, what, cols, T, r, t, got,
                want, std::fabs(got - want), tol);
  ++failures;
}

// Storage for one test matrix with deliberately misaligned base pointers.
struct Matrix {
  std::vector<uint8_t> codes, signs, data;
  std::vector<uint16_t> scales;
  WeightView v;
};

uint16_t rand_scale() {
  const float m = std::exp(urand(std::log(1e-3f), std::log(2.f)));
  return f32_half(irand(0, 3) == 0 ? -m : m);
}

// Makes a rows x cols matrix of the given kind; `off` shifts the data off its natural alignment.
void make_matrix(WeightKind kind, int rows, int cols, int off, const Codebook8* cb8, const Codebook4* cb4, const SeedTable* seed,
                 Matrix& m) {
  WeightView& v = m.v;
  v = WeightView();
  v.kind = kind;
  v.rows = rows;
  v.cols = cols;
  v.cols_p = cols;
  switch (kind) {
    case WeightKind::F32: {
      m.data.assign(static_cast<size_t>(rows) * cols * 4 + 64, 0);
      float* p = reinterpret_cast<float*>(m.data.data() + 4 * (off & 7));
      for (int i = 0; i < rows * cols; ++i) p[i] = urand(-1.f, 1.f);
      v.data = p;
      break;
    }
    case WeightKind::BF16: {
      m.data.assign(static_cast<size_t>(rows) * cols * 2 + 64, 0);
      uint16_t* p = reinterpret_cast<uint16_t*>(m.data.data() + 2 * (off & 15));
      for (int i = 0; i < rows * cols; ++i) p[i] = static_cast<uint16_t>(f32_bits(urand(-1.f, 1.f)) >> 16);
      v.data = p;
      break;
    }
    case WeightKind::CB8:
    case WeightKind::CB4: {
      v.cols_p = (cols + kBlock - 1) / kBlock * kBlock;
      const int nb = v.cols_p / kBlock;
      const size_t cbytes = kind == WeightKind::CB8 ? static_cast<size_t>(rows) * v.cols_p : static_cast<size_t>(rows) * v.cols_p / 2;
      m.codes.assign(cbytes + 64, 0);
      uint8_t* c = m.codes.data() + off;
      for (size_t i = 0; i < cbytes; ++i) c[i] = static_cast<uint8_t>(irand(0, 255));
      m.scales.assign(static_cast<size_t>(rows) * nb + 32, 0);
      uint16_t* s = m.scales.data() + (off & 7);
      for (int i = 0; i < rows * nb; ++i) s[i] = rand_scale();
      v.codes = c;
      v.scales = s;
      v.cb8 = cb8;
      v.cb4 = cb4;
      break;
    }
    case WeightKind::Seed: {
      const size_t sb = (static_cast<size_t>(cols) + 7) / 8;
      m.codes.assign(static_cast<size_t>(rows) * cols + 64, 0);
      uint8_t* c = m.codes.data() + off;
      for (int i = 0; i < rows * cols; ++i) c[i] = static_cast<uint8_t>(irand(0, 40) == 0 ? irand(200, 255) : irand(1, 60));
      m.signs.assign(static_cast<size_t>(rows) * sb + 64, 0);
      uint8_t* g = m.signs.data() + (off & 3);
      for (int r = 0; r < rows; ++r)
        for (int col = 0; col < cols; ++col)
          if (irand(0, 1)) g[r * sb + col / 8] |= static_cast<uint8_t>(1u << (col % 8));
      v.codes = c;
      v.signs = g;
      v.seed = seed;
      break;
    }
  }
}

struct ActBuf {
  std::vector<float> x;
  std::vector<int8_t> q;
  std::vector<float> d;
  std::vector<int32_t> s;
  std::vector<int8_t> q4, xt;
  std::vector<int16_t> q16, q16n, xp;
  std::vector<float> dp, dq;
  std::vector<int8_t> xq;
  std::vector<int32_t> ct;
  std::vector<float> dt;
  Acts a;
};

void make_acts(int T, int cols, ActBuf& b) {
  const int ldx = cols + 3;
  b.x.assign(static_cast<size_t>(T) * ldx, 0.f);
  for (int t = 0; t < T; ++t) {
    const int style = irand(0, 3);
    for (int c = 0; c < cols; ++c) {
      float v = urand(-1.f, 1.f);
      if (style == 1) v *= std::exp(urand(-6.f, 3.f));            // wide dynamic range
      if (style == 2 && (c / kBlock) % 3 == 1) v = 0.f;            // all-zero blocks
      if (style == 3 && irand(0, 50) == 0) v = urand(-40.f, 40.f);  // outliers
      b.x[static_cast<size_t>(t) * ldx + c] = v;
    }
  }
  const int nb = (cols + kBlock - 1) / kBlock;
  b.q.assign(static_cast<size_t>(T) * nb * kBlock, 0);
  b.d.assign(static_cast<size_t>(T) * nb, 0.f);
  b.s.assign(static_cast<size_t>(T) * nb, 0);
  quantize_acts(b.x.data(), ldx, cols, T, b.q.data(), b.d.data(), b.s.data());
  b.q4.assign(q4_order_bytes(nb) * T, 0);
  reorder_q4(b.q.data(), T, nb, b.q4.data());
  b.a = Acts();
  b.a.T = T;
  b.a.x = b.x.data();
  b.a.ldx = ldx;
  b.a.q = b.q.data();
  b.a.d = b.d.data();
  b.a.s = b.s.data();
  b.a.nb = nb;
  b.a.q4 = b.q4.data();
  b.q16.assign(static_cast<size_t>(T) * nb * kBlock, 0);
  widen_q16(b.q.data(), T, nb, Q16Order::EvenOdd, b.q16.data());
  b.q16n.assign(static_cast<size_t>(T) * nb * kBlock, 0);
  widen_q16(b.q.data(), T, nb, Q16Order::Natural, b.q16n.data());
  b.a.q16 = b.q16.data();
  const int ng = gemm_groups(T);
  b.xt.assign(static_cast<size_t>(ng) * nb * 8 * kGemmGroup * 4, 0);
  b.ct.assign(static_cast<size_t>(ng) * nb * kGemmGroup, 0);
  b.dt.assign(static_cast<size_t>(ng) * nb * kGemmGroup, 0.f);
  transpose_acts(b.q.data(), b.d.data(), b.s.data(), T, nb, b.xt.data(), b.ct.data(), b.dt.data());
  b.a.xt = b.xt.data();
  b.a.ct = b.ct.data();
  b.a.dt = b.dt.data();
  b.xp.assign(static_cast<size_t>(pair_groups(T)) * nb * 256, 0);
  b.dp.assign(static_cast<size_t>(pair_groups(T)) * nb * kPairGroup, 0.f);
  transpose_acts_pairs(b.q.data(), b.d.data(), T, nb, b.xp.data(), b.dp.data());
  b.xq.assign(static_cast<size_t>(quad_groups(T)) * nb * 128, 0);
  b.dq.assign(static_cast<size_t>(quad_groups(T)) * nb * kQuadGroup, 0.f);
  transpose_acts_quads(b.q.data(), b.d.data(), T, nb, b.xq.data(), b.dq.data());
}

// The activations as a kernel set's GEMM reads them.
Acts gemm_acts(const KernelSet& ks, const ActBuf& b) {
  Acts a = b.a;
  if (ks.gemm_layout == GemmLayout::Pairs8) {
    a.xp = b.xp.data();
    a.dt = b.dp.data();
  } else if (ks.gemm_layout == GemmLayout::Quads4) {
    a.xq = b.xq.data();
    a.dt = b.dq.data();
  }
  return a;
}

// |x| as the coded kernels see it (dequantized) or the float value.
double act_value(const WeightView& w, const ActBuf& b, int t, int c) {
  if (!w.coded()) return b.x[static_cast<size_t>(t) * b.a.ldx + c];
  return static_cast<double>(b.d[static_cast<size_t>(t) * b.a.nb + c / kBlock]) * b.q[static_cast<size_t>(t) * b.a.nb * kBlock + c];
}

void check_matmul(const char* isa, const KernelSet& ks, const char* what, const WeightView& w, const ActBuf& b, bool check_exact,
                  bool use_gemm = false) {
  const KernelSet& gen = generic_kernels();
  const int T = b.a.T, rows = w.rows, cols = w.cols;
  const size_t ldy = rows + 1;
  std::vector<float> want(T * ldy, -7.f), got(T * ldy, -7.f);
  // Split the rows in two calls to exercise r0 > 0.
  const int mid = rows / 2;
  gen.matmul(w, b.a, 0, mid, want.data(), ldy);
  gen.matmul(w, b.a, mid, rows, want.data(), ldy);
  auto fn = use_gemm ? ks.gemm : ks.matmul;
  Acts ga = use_gemm ? gemm_acts(ks, b) : b.a;
  if (ks.q16_order == Q16Order::Natural) ga.q16 = b.q16n.data();
  fn(w, ga, 0, mid, got.data(), ldy);
  fn(w, ga, mid, rows, got.data(), ldy);
  std::vector<float> row(cols);
  for (int r = 0; r < rows; ++r) {
    gen.decode_row(w, r, row.data());
    for (int t = 0; t < T; ++t) {
      double mag = 0, wabs = 0, exact = 0, aq = 0;
      for (int c = 0; c < cols; ++c) {
        const double xv = act_value(w, b, t, c);
        mag += std::fabs(row[c] * xv);
        wabs += std::fabs(row[c]);
        const double xf = b.x[static_cast<size_t>(t) * b.a.ldx + c];
        exact += static_cast<double>(row[c]) * xf;
        aq += std::fabs(row[c]) * 0.5 * b.d[static_cast<size_t>(t) * b.a.nb + c / kBlock];
      }
      const double tol = 1e-5 * mag + 1e-30;
      ++checks;
      const float gv = got[t * ldy + r], wv = want[t * ldy + r];
      if (!(std::fabs(gv - wv) <= tol)) fail(isa, what, cols, T, r, t, gv, wv, tol);
      if (check_exact) {
        double xsum = 0;
        for (int c = 0; c < cols; ++c) xsum += std::fabs(b.x[static_cast<size_t>(t) * b.a.ldx + c]);
        double etol = 1e-5 * (mag + 1e-30) + 1e-6;
        if (w.coded()) etol += aq * 1.0001;
        if (w.kind == WeightKind::Seed) etol += 0.5 * w.seed->step * xsum * 1.0001;
        ++checks;
        if (!(std::fabs(wv - exact) <= etol)) fail("generic", (std::string(what) + " vs exact float").c_str(), cols, T, r, t, wv, exact, etol);
      }
    }
  }
  // The slot past the last row must be untouched.
  for (int t = 0; t < T; ++t)
    if (got[t * ldy + rows] != -7.f) fail(isa, (std::string(what) + " wrote past r1").c_str(), cols, T, rows, t, got[t * ldy + rows], -7, 0);
}

void check_vectors(const char* isa, const KernelSet& ks, int n) {
  const KernelSet& gen = generic_kernels();
  std::vector<float> a(n + 5), bf(n + 5), y1(n + 5), y2(n + 5);
  std::vector<uint16_t> bh(n + 5), h1(n + 5), h2(n + 5);
  const int o = n % 3;  // unaligned starts
  for (int i = 0; i < n + 5; ++i) {
    a[i] = urand(-2, 2);
    bf[i] = urand(-2, 2);
    bh[i] = f32_half(urand(-3, 3));
    y1[i] = y2[i] = urand(-1, 1);
  }
  double mag = 0, magh = 0;
  for (int i = 0; i < n; ++i) {
    mag += std::fabs(a[o + i] * bf[o + i]);
    magh += std::fabs(a[o + i] * half_f32(bh[o + i]));
  }
  ++checks;
  float g = ks.dot_f32(a.data() + o, bf.data() + o, n), w = gen.dot_f32(a.data() + o, bf.data() + o, n);
  if (!(std::fabs(g - w) <= 1e-5 * mag + 1e-30)) fail(isa, "dot_f32", n, 1, 0, 0, g, w, 1e-5 * mag);
  ++checks;
  g = ks.dot_f16(a.data() + o, bh.data() + o, n);
  w = gen.dot_f16(a.data() + o, bh.data() + o, n);
  if (!(std::fabs(g - w) <= 1e-5 * magh + 1e-30)) fail(isa, "dot_f16", n, 1, 0, 0, g, w, 1e-5 * magh);
  ks.axpy_f32(0.37f, bf.data() + o, y1.data() + o, n);
  gen.axpy_f32(0.37f, bf.data() + o, y2.data() + o, n);
  for (int i = 0; i < n + 5; ++i) {
    ++checks;
    if (!(std::fabs(y1[i] - y2[i]) <= 1e-6f * (1 + std::fabs(y2[i])))) fail(isa, "axpy_f32", n, 1, i, 0, y1[i], y2[i], 1e-6);
  }
  ks.axpy_f16(-1.3f, bh.data() + o, y1.data() + o, n);
  gen.axpy_f16(-1.3f, bh.data() + o, y2.data() + o, n);
  for (int i = 0; i < n + 5; ++i) {
    ++checks;
    if (!(std::fabs(y1[i] - y2[i]) <= 1e-6f * (1 + std::fabs(y2[i])))) fail(isa, "axpy_f16", n, 1, i, 0, y1[i], y2[i], 1e-6);
  }
  {
    std::vector<float> g(n + 5), u(n + 5), o1(n + 5, -9.f), o2(n + 5, -9.f);
    for (int i = 0; i < n + 5; ++i) {
      g[i] = urand(-12, 12) * (i % 17 == 0 ? 10.f : 1.f);
      u[i] = urand(-3, 3);
    }
    ks.silu_mul(g.data() + o, u.data() + o, o1.data() + o, n);
    gen.silu_mul(g.data() + o, u.data() + o, o2.data() + o, n);
    for (int i = 0; i < n + 5; ++i) {
      ++checks;
      if (!(std::fabs(o1[i] - o2[i]) <= 2e-6f * (std::fabs(o2[i]) + 1e-3f))) fail(isa, "silu_mul", n, 1, i, 0, o1[i], o2[i], 2e-6);
    }
  }
  std::fill(h1.begin(), h1.end(), 0x1234);
  std::fill(h2.begin(), h2.end(), 0x1234);
  ks.f32_to_f16(a.data() + o, h1.data() + o, n);
  gen.f32_to_f16(a.data() + o, h2.data() + o, n);
  for (int i = 0; i < n + 5; ++i) {
    ++checks;
    if (h1[i] != h2[i]) fail(isa, "f32_to_f16", n, 1, i, 0, h1[i], h2[i], 0);
  }
}

// One attention head: SIMD against generic, f32 and f16 caches.
void check_attend(const char* isa, const KernelSet& ks, int n, int hd) {
  const KernelSet& gen = generic_kernels();
  std::vector<float> q(hd), k(static_cast<size_t>(n) * hd), v(static_cast<size_t>(n) * hd), o1(hd + 1, -9.f), o2(hd + 1, -9.f), sc(n);
  std::vector<uint16_t> kh(k.size()), vh(v.size());
  const size_t rb = static_cast<size_t>(kv_q8_row_bytes(hd));
  std::vector<uint8_t> kq(rb * n), vq(rb * n);
  const float spread = urand(0.1f, 3.f);
  for (float& x : q) x = urand(-1, 1) * spread;
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = urand(-1, 1);
    v[i] = urand(-2, 2);
    kh[i] = f32_half(k[i]);
    vh[i] = f32_half(v[i]);
  }
  for (int j = 0; j < n; ++j) {
    quantize_kv_q8(k.data() + static_cast<size_t>(j) * hd, hd, kq.data() + j * rb);
    quantize_kv_q8(v.data() + static_cast<size_t>(j) * hd, hd, vq.data() + j * rb);
  }
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  {
    gen.attend_q8(q.data(), kq.data(), vq.data(), n, hd, scale, o1.data(), sc.data());
    ks.attend_q8(q.data(), kq.data(), vq.data(), n, hd, scale, o2.data(), sc.data());
    for (int i = 0; i <= hd; ++i) {
      ++checks;
      if (!(std::fabs(o1[i] - o2[i]) <= 4e-6f)) fail(isa, "attend_q8", hd, n, i, 0, o2[i], o1[i], 4e-6);
    }
    // and the q8 cache against the float one: |V| <= 2, one int8 step per value
    std::vector<float> o3(hd + 1, -9.f);
    gen.attend_f32(q.data(), k.data(), v.data(), n, hd, scale, o3.data(), sc.data());
    for (int i = 0; i < hd; ++i) {
      ++checks;
      if (!(std::fabs(o1[i] - o3[i]) <= 0.05f)) fail("generic", "attend_q8 vs f32", hd, n, i, 0, o1[i], o3[i], 0.05);
    }
  }
  for (int f16 = 0; f16 < 2; ++f16) {
    if (f16) {
      gen.attend_f16(q.data(), kh.data(), vh.data(), n, hd, scale, o1.data(), sc.data());
      ks.attend_f16(q.data(), kh.data(), vh.data(), n, hd, scale, o2.data(), sc.data());
    } else {
      gen.attend_f32(q.data(), k.data(), v.data(), n, hd, scale, o1.data(), sc.data());
      ks.attend_f32(q.data(), k.data(), v.data(), n, hd, scale, o2.data(), sc.data());
    }
    for (int i = 0; i <= hd; ++i) {
      ++checks;
      // |V| <= 2 and the weights sum to 1: 2e-6 relative to that bound covers a 1-2 ulp exp and summation order.
      if (!(std::fabs(o1[i] - o2[i]) <= 4e-6f)) fail(isa, f16 ? "attend_f16" : "attend_f32", hd, n, i, 0, o2[i], o1[i], 4e-6);
    }
  }
}

void make_codebooks(Codebook8& segs, Codebook8& sym, Codebook8& gen8, Codebook8& i8, Codebook4& q4, Codebook4& nl4, SeedTable& seed) {
  const char* why = nullptr;
  int32_t v[256];
  const double c = urand(0.f, 16.f);
  v[0] = 0;
  v[128] = 0;
  for (int k = 1; k < 128; ++k) {
    v[k] = static_cast<int32_t>(std::lround((1 + c) / (k + c) * 32767));
    v[128 + k] = -v[k];
  }
  if (!prepare_codebook8(v, 256, 32767, &sym, &why) || sym.form != Cb8Form::Symmetric || sym.segments) std::abort();
  // Segment form (qins8): random steps E in 1..127 and starts B in 0..240, the top step 127.
  {
    for (int n = 0; n < 8; ++n) {
      const int32_t e = n == 7 ? 127 : irand(1, 127), bb = n == 0 ? 0 : irand(0, 240);
      for (int j = 0; j < 16; ++j) {
        v[16 * n + j] = e * (bb + j);
        v[128 + 16 * n + j] = -v[16 * n + j];
      }
    }
    if (!prepare_codebook8(v, 256, v[127], &segs, &why) || segs.form != Cb8Form::Symmetric || !segs.segments) std::abort();
  }
  for (int i = 0; i < 256; ++i) v[i] = irand(-32767, 32767);
  v[3] = 32767;
  v[200] = -32767;
  if (!prepare_codebook8(v, 256, 30000, &gen8, &why) || gen8.form != Cb8Form::General) std::abort();
  for (int i = 0; i < 256; ++i) v[i] = static_cast<int8_t>(i);
  if (!prepare_codebook8(v, 256, 127, &i8, &why) || i8.form != Cb8Form::Int8) std::abort();
  for (int i = 0; i < 16; ++i) v[i] = i - 8;
  if (!prepare_codebook4(v, 16, 8, &q4, &why)) std::abort();
  const int32_t nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 0, 12, 25, 39, 55, 73, 97, 127};
  if (!prepare_codebook4(nl, 16, 127, &nl4, &why)) std::abort();
  prepare_seed_table(urand(0.01f, 3.f), &seed);
}

void check_rejects() {
  const char* why = nullptr;
  Codebook8 c8;
  Codebook4 c4;
  int32_t v[256] = {0};
  v[5] = 40000;
  ++checks;
  if (prepare_codebook8(v, 256, 1, &c8, &why)) fail("common", "codebook8 accepts |v| > 32767", 0, 0, 0, 0, 0, 0, 0);
  ++checks;
  if (prepare_codebook8(v, 16, 1, &c8, &why)) fail("common", "codebook8 accepts 16 entries", 0, 0, 0, 0, 0, 0, 0);
  v[5] = 128;
  ++checks;
  if (prepare_codebook4(v, 16, 1, &c4, &why)) fail("common", "codebook4 accepts 128", 0, 0, 0, 0, 0, 0, 0);
  v[5] = 1;
  ++checks;
  if (prepare_codebook4(v, 16, 0, &c4, &why)) fail("common", "codebook4 accepts denom 0", 0, 0, 0, 0, 0, 0, 0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string require;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--require") == 0 && i + 1 < argc) require = argv[++i];
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
  }
  std::vector<Isa> isas;
  for (Isa i : {Isa::Avx2, Isa::AvxVnni, Isa::Avx512, Isa::Neon})
    if (isa_available(i)) isas.push_back(i);
  std::string ran;
  for (Isa i : isas) ran += std::string(ran.empty() ? "" : ",") + kernels(i).name;
  std::printf("kernel sets under test: %s (best: %s)\n", ran.empty() ? "(none)" : ran.c_str(), isa_name(best_isa()));
  if (!require.empty()) {
    size_t p = 0;
    while (p <= require.size()) {
      const size_t e = require.find(',', p);
      const std::string name = require.substr(p, e == std::string::npos ? std::string::npos : e - p);
      Isa want;
      if (!parse_isa(name.c_str(), &want) || !isa_available(want)) {
        std::printf("FAIL required kernel set %s is not available\n", name.c_str());
        return 1;
      }
      if (e == std::string::npos) break;
      p = e + 1;
    }
  }
  check_rejects();

  Codebook8 segs, sym, gen8, i8;
  Codebook4 q4, nl4;
  SeedTable seed;
  struct Path {
    const char* name;
    WeightKind kind;
    const Codebook8* cb8;
    const Codebook4* cb4;
    bool seed;
  };
  const int step = quick ? 7 : 1;
  for (int cols = 1; cols <= 1023; cols += step) {
    make_codebooks(segs, sym, gen8, i8, q4, nl4, seed);
    const Path paths[] = {
        {"f32", WeightKind::F32, nullptr, nullptr, false},         {"bf16", WeightKind::BF16, nullptr, nullptr, false},
        {"cb8-segments", WeightKind::CB8, &segs, nullptr, false},  {"cb8-symmetric", WeightKind::CB8, &sym, nullptr, false},
        {"cb8-general", WeightKind::CB8, &gen8, nullptr, false},
        {"cb8-int8", WeightKind::CB8, &i8, nullptr, false},        {"cb4-linear", WeightKind::CB4, nullptr, &q4, false},
        {"cb4-table", WeightKind::CB4, nullptr, &nl4, false},      {"seed", WeightKind::Seed, nullptr, nullptr, true},
    };
    const int T = 1 + cols % 5;
    const int rows = 1 + cols % 4;
    ActBuf acts;
    make_acts(T, cols, acts);
    for (const Path& p : paths) {
      Matrix m;
      make_matrix(p.kind, rows, cols, cols % 61, p.cb8, p.cb4, &seed, m);
      // generic vs the exact float definition
      check_matmul("generic", generic_kernels(), p.name, m.v, acts, true);
      for (Isa i : isas) check_matmul(kernels(i).name, kernels(i), p.name, m.v, acts, false);
    }
    for (Isa i : isas) check_vectors(kernels(i).name, kernels(i), cols);
    static const int hds[] = {1, 7, 16, 32, 33, 64, 80, 96, 128, 200, 256, 300};
    for (Isa i : isas) check_attend(kernels(i).name, kernels(i), 1 + (cols * 7) % 600, hds[cols % 12]);
    // GEMM (prefill) kernels: many tokens, every coded path, rows not a multiple of the row block.
    bool any_gemm = false;
    for (Isa i : isas) any_gemm = any_gemm || kernels(i).gemm;
    if (any_gemm && (cols / step) % 3 == 0) {
      static const int Ts[] = {8, 9, 16, 17, 31, 32, 33, 47, 64};
      ActBuf big;
      make_acts(Ts[(cols / 3) % 9], cols, big);
      for (const Path& p : paths) {
        if (p.kind == WeightKind::F32 || p.kind == WeightKind::BF16) continue;
        Matrix m;
        make_matrix(p.kind, 1 + cols % 7, cols, cols % 59, p.cb8, p.cb4, &seed, m);
        for (Isa i : isas)
          if (kernels(i).gemm && big.a.T >= kernels(i).gemm_min_tokens) check_matmul(kernels(i).name, kernels(i), (std::string(p.name) + " gemm").c_str(), m.v, big, false, true);
      }
    }
  }
  // Bandwidth probe: same checksum everywhere.
  {
    const size_t bytes = 1 << 20;
    uint64_t* buf = static_cast<uint64_t*>(std::aligned_alloc(64, bytes));
    for (size_t i = 0; i < bytes / 8; ++i) buf[i] = i * 2654435761u;
    const uint64_t want = generic_kernels().stream_read(buf, bytes);
    for (Isa i : isas) {
      ++checks;
      if (kernels(i).stream_read(buf, bytes) != want) fail(kernels(i).name, "stream_read", 0, 0, 0, 0, 0, 0, 0);
    }
    std::free(buf);
  }
  std::printf("%ld checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
