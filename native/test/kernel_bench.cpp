// GEMV / GEMM throughput of each kernel set and weight path on a Phi-3.5-mini-sized matrix stack
// (larger than the caches, so decode reads from memory as it does in a real model).
// Usage: kernel_bench [--threads N] [--tokens T] [--reps R] [--mb M] [--isa name] [--path name]
//                     [--rows R --inner I] [--huge 0|1] [--read 1]
// Prints GB/s of weight bytes streamed and G weights/s, median of the repetitions. With --read 1
// each task only reads its rows' code bytes with the set's stream_read (the read loop of the
// bandwidth probe), in the same chunks and threads: what the memory gives a pure read of the same
// bytes, beside what the GEMV takes from it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <sys/resource.h>

#include "kernels/half.h"
#include "kernels/kernels.h"
#include "model/thread_pool.h"

using namespace qins;

static double cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int main(int argc, char** argv) {
  int threads = 2, T = 1, reps = 7, rows = 16384, inner = 1, cols = 3072, chunk_rows = 0, huge = 0, read_only = 0;  // --rows 256 --inner 200: in-cache throughput
  double mb = 1024;  // weight bytes in the stack
  std::string only_isa, only_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--tokens") T = std::atoi(argv[i + 1]);
    else if (a == "--reps") reps = std::atoi(argv[i + 1]);
    else if (a == "--mb") mb = std::atof(argv[i + 1]);
    else if (a == "--isa") only_isa = argv[i + 1];
    else if (a == "--path") only_path = argv[i + 1];
    else if (a == "--rows") rows = std::atoi(argv[i + 1]);
    else if (a == "--inner") inner = std::atoi(argv[i + 1]);
    else if (a == "--cols") cols = std::atoi(argv[i + 1]);
    else if (a == "--chunk") chunk_rows = std::atoi(argv[i + 1]);
    else if (a == "--huge") huge = std::atoi(argv[i + 1]);
    else if (a == "--read") read_only = std::atoi(argv[i + 1]);
  }
  // Phi-3.5-mini hidden size by default
  std::mt19937 rng(7);
  const char* why = nullptr;
  int32_t v[256];
  Codebook8 segs, sym, i8;
  {  // qins8 (format 2): segments as the converter makes them for c = 30
    const int32_t E[8] = {71, 9, 11, 14, 19, 27, 43, 127}, B[8] = {0, 129, 118, 107, 96, 85, 72, 31};
    for (int n = 0; n < 8; ++n)
      for (int j = 0; j < 16; ++j) {
        v[16 * n + j] = E[n] * (B[n] + j);
        v[128 + 16 * n + j] = -v[16 * n + j];
      }
    prepare_codebook8(v, 256, v[127], &segs, &why);
  }
  v[0] = v[128] = 0;
  for (int k = 1; k < 128; ++k) {
    v[k] = static_cast<int32_t>(std::lround(9.0 / (k + 8) * 32767));
    v[128 + k] = -v[k];
  }
  prepare_codebook8(v, 256, 32767, &sym, &why);
  for (int k = 0; k < 256; ++k) v[k] = static_cast<int8_t>(k);
  prepare_codebook8(v, 256, 127, &i8, &why);
  Codebook4 c4, q4lin;
  for (int k = 0; k < 16; ++k) v[k] = k * 16 - 120;
  prepare_codebook4(v, 16, 127, &c4, &why);
  for (int k = 0; k < 16; ++k) v[k] = k - 8;
  prepare_codebook4(v, 16, 8, &q4lin, &why);
  SeedTable seed;
  prepare_seed_table(0.1f, &seed);

  struct Path {
    const char* name;
    WeightKind kind;
    const Codebook8* cb8;
    double bytes_per_weight;
    const Codebook4* cb4 = nullptr;
  };
  const Path paths[] = {{"qins8", WeightKind::CB8, &segs, 34.0 / 32}, {"qins8v1", WeightKind::CB8, &sym, 34.0 / 32}, {"q8", WeightKind::CB8, &i8, 34.0 / 32},
                        {"q4", WeightKind::CB4, nullptr, 18.0 / 32, &q4lin}, {"qins4", WeightKind::CB4, nullptr, 18.0 / 32, &c4},   {"seed", WeightKind::Seed, nullptr, 9.0 / 8},
                        {"bf16", WeightKind::BF16, nullptr, 2.0}};

  const int nb = cols / kBlock;
  std::vector<float> x(static_cast<size_t>(T) * cols);
  for (float& f : x) f = std::uniform_real_distribution<float>(-1, 1)(rng);
  std::vector<int8_t> q(static_cast<size_t>(T) * nb * kBlock), q4(q4_order_bytes(nb) * T);
  std::vector<float> d(static_cast<size_t>(T) * nb);
  std::vector<int32_t> s(static_cast<size_t>(T) * nb);
  quantize_acts(x.data(), cols, cols, T, q.data(), d.data(), s.data());
  reorder_q4(q.data(), T, nb, q4.data());
  std::vector<int16_t> q16(static_cast<size_t>(T) * nb * kBlock);
  std::vector<int16_t> q16n(q16.size());
  widen_q16(q.data(), T, nb, Q16Order::EvenOdd, q16.data());
  widen_q16(q.data(), T, nb, Q16Order::Natural, q16n.data());
  const int ngr = gemm_groups(T);
  std::vector<int8_t> xt(static_cast<size_t>(ngr) * nb * 8 * kGemmGroup * 4);
  std::vector<int32_t> ct(static_cast<size_t>(ngr) * nb * kGemmGroup);
  std::vector<float> dt(static_cast<size_t>(ngr) * nb * kGemmGroup);
  transpose_acts(q.data(), d.data(), s.data(), T, nb, xt.data(), ct.data(), dt.data());
  std::vector<int16_t> xp(static_cast<size_t>(pair_groups(T)) * nb * 256);
  std::vector<float> dp(static_cast<size_t>(pair_groups(T)) * nb * kPairGroup);
  transpose_acts_pairs(q.data(), d.data(), T, nb, xp.data(), dp.data());
  Acts a;
  a.T = T;
  a.x = x.data();
  a.ldx = cols;
  a.q = q.data();
  a.d = d.data();
  a.s = s.data();
  a.nb = nb;
  a.q4 = q4.data();
  a.q16 = q16.data();
  a.xt = xt.data();
  a.ct = ct.data();
  a.dt = dt.data();
  std::vector<float> y(static_cast<size_t>(T) * rows);
  ThreadPool pool(threads);

  for (const Path& p : paths) {
    if (!only_path.empty() && only_path != p.name) continue;
    const size_t per_matrix = static_cast<size_t>(rows * static_cast<double>(cols) * p.bytes_per_weight);
    const int nmat = std::max(1, static_cast<int>(mb * 1e6 / per_matrix));
    std::vector<std::vector<uint8_t>> codes(nmat), signs(nmat), data(nmat);
    std::vector<std::vector<uint16_t>> scales(nmat);
    std::vector<WeightView> views(nmat);
    for (int m = 0; m < nmat; ++m) {
      WeightView& w = views[m];
      w.kind = p.kind;
      w.rows = rows;
      w.cols = w.cols_p = cols;
      if (p.kind == WeightKind::BF16) {
        data[m].resize(static_cast<size_t>(rows) * cols * 2);
        for (size_t i = 0; i < data[m].size(); i += 2) {
          const uint16_t h = static_cast<uint16_t>(f32_bits(std::uniform_real_distribution<float>(-1, 1)(rng)) >> 16);
          std::memcpy(&data[m][i], &h, 2);
        }
        w.data = data[m].data();
      } else {
        const size_t cb = p.kind == WeightKind::CB4 ? static_cast<size_t>(rows) * cols / 2 : static_cast<size_t>(rows) * cols;
        uint8_t* cbuf;
        if (huge >= 0) {  // --huge 1: transparent huge pages; --huge 0: 4 KiB pages
          cbuf = static_cast<uint8_t*>(mmap(nullptr, cb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
          madvise(cbuf, cb, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
        }
        for (size_t i = 0; i < cb; ++i) cbuf[i] = static_cast<uint8_t>(rng() & 0xff);
        if (p.kind == WeightKind::Seed)
          for (size_t i = 0; i < cb; ++i) cbuf[i] = cbuf[i] ? cbuf[i] : 1;
        w.codes = cbuf;
        if (p.kind == WeightKind::Seed) {
          signs[m].resize(static_cast<size_t>(rows) * cols / 8);
          for (auto& c : signs[m]) c = static_cast<uint8_t>(rng() & 0xff);
          w.signs = signs[m].data();
          w.seed = &seed;
        } else {
          scales[m].assign(static_cast<size_t>(rows) * nb, f32_half(0.01f));
          w.scales = scales[m].data();
          w.cb8 = p.cb8;
          w.cb4 = p.cb4;
        }
      }
    }
    for (Isa isa : kAllIsas) {
      if (!isa_available(isa)) continue;
      if (!only_isa.empty() && only_isa != isa_name(isa)) continue;
      const KernelSet& ks = kernels(isa);
      a.xp = xp.data();
      a.q16 = ks.q16_order == Q16Order::Natural ? q16n.data() : q16.data();
      a.dt = ks.gemm_layout == GemmLayout::Pairs8 ? dp.data() : dt.data();
      std::vector<double> secs, cpus;
      // --read: bytes of one row's codes, and what each task reads (a multiple of 256 bytes)
      const size_t code_row = p.kind == WeightKind::CB4 ? static_cast<size_t>(cols) / 2 : static_cast<size_t>(cols);
      std::vector<uint64_t> sink(static_cast<size_t>(threads), 0);
      size_t read_bytes = 0;
      for (int r = 0; r < reps; ++r) {
        const double c0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        for (int it = 0; it < inner; ++it)
        for (int m = 0; m < nmat; ++m) {
          const int chunk = chunk_rows > 0 ? chunk_rows : std::min(256, (rows + threads - 1) / threads);
          pool.parallel_for((rows + chunk - 1) / chunk, [&](int task, int tid) {
            const int r0 = task * chunk, r1 = std::min(rows, r0 + chunk);
            if (read_only && views[m].codes) {
              const size_t n = (static_cast<size_t>(r1 - r0) * code_row) / 256 * 256;
              sink[static_cast<size_t>(tid)] += ks.stream_read(views[m].codes + static_cast<size_t>(r0) * code_row, n);
              return;
            }
            if (ks.gemm && T >= ks.gemm_min_tokens && views[m].coded())
              ks.gemm(views[m], a, r0, r1, y.data(), rows);
            else
              ks.matmul(views[m], a, r0, r1, y.data(), rows);
          });
        }
        secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        cpus.push_back(cpu_seconds() - c0);
      }
      std::sort(secs.begin(), secs.end());
      std::sort(cpus.begin(), cpus.end());
      const double med = secs[secs.size() / 2];
      if (read_only) {
        const int chunk = chunk_rows > 0 ? chunk_rows : std::min(256, (rows + threads - 1) / threads);
        for (int r0 = 0; r0 < rows; r0 += chunk) read_bytes += (static_cast<size_t>(std::min(rows, r0 + chunk) - r0) * code_row) / 256 * 256;
        const double bytes = static_cast<double>(read_bytes) * nmat * inner;
        uint64_t keep = 0;
        for (uint64_t v : sink) keep += v;
        std::printf("%-8s %-13s read   threads=%d  %7.2f GB/s of codes (stream_read; %.1f ms per %.0f MB, best %.2f GB/s) [%llu]\n", p.name, ks.name, threads,
                    bytes / med / 1e9, med * 1e3, bytes / 1e6, bytes / secs.front() / 1e9, static_cast<unsigned long long>(keep & 1));
        continue;
      }
      const double weights = static_cast<double>(nmat) * rows * cols * inner;
      const double cmed = cpus[cpus.size() / 2];
      std::printf("%-8s %-13s T=%d threads=%d  %7.2f GB/s  %6.2f Gw/s  %7.1f GMAC/s (%.1f ms per %.0f MB, best %.2f GB/s / %.1f GMAC/s; %.2f GB per CPU-second)\n",
                  p.name, ks.name, T, threads, weights * p.bytes_per_weight / med / 1e9, weights / med / 1e9, weights * T / med / 1e9, med * 1e3,
                  weights * p.bytes_per_weight / 1e6, weights * p.bytes_per_weight / secs.front() / 1e9, weights * T / secs.front() / 1e9,
                  weights * p.bytes_per_weight / cmed / 1e9);
    }
  }
  return 0;
}
