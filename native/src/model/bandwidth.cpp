// The read-bandwidth probe behind streamBandwidth (see bandwidth.h).
#include "model/bandwidth.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#endif

#include "kernels/kernels.h"

namespace qins {
namespace {

constexpr size_t kHuge = size_t{2} << 20;

struct Buffer {
  uint8_t* p = nullptr;
  void* base = nullptr;
  size_t map_bytes = 0;
  bool mapped = false;
  bool huge_requested = false;
};

bool allocate(size_t bytes, Buffer* b) {
#if defined(__linux__)
  // A 2 MiB-aligned anonymous mapping with MADV_HUGEPAGE, as the weights are mapped.
  b->map_bytes = bytes + kHuge;
  void* area = mmap(nullptr, b->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area != MAP_FAILED) {
    b->base = area;
    b->mapped = true;
    const uintptr_t base = reinterpret_cast<uintptr_t>(area);
    b->p = reinterpret_cast<uint8_t*>((base + kHuge - 1) & ~(static_cast<uintptr_t>(kHuge) - 1));
#if defined(MADV_HUGEPAGE)
    b->huge_requested = madvise(b->p, bytes, MADV_HUGEPAGE) == 0;
#endif
    return true;
  }
#endif
  void* p = nullptr;
#if defined(_WIN32)
  p = _aligned_malloc(bytes, 64);
#else
  if (posix_memalign(&p, kHuge, bytes) != 0) p = nullptr;
#endif
  b->base = p;
  b->p = static_cast<uint8_t*>(p);
  return p != nullptr;
}

void release(Buffer* b) {
#if defined(__linux__)
  if (b->mapped) {
    munmap(b->base, b->map_bytes);
    return;
  }
#endif
#if defined(_WIN32)
  _aligned_free(b->base);
#else
  std::free(b->base);
#endif
}

// Bytes of [p, p + bytes) mapped with huge pages, from the AnonHugePages (anonymous memory) and
// FilePmdMapped (file pages) lines of the mappings that overlap it in /proc/self/smaps (Linux only;
// 0 elsewhere).
size_t huge_page_bytes(const uint8_t* p, size_t bytes) {
  size_t total = 0;
#if defined(__linux__)
  std::ifstream smaps("/proc/self/smaps");
  const uintptr_t lo = reinterpret_cast<uintptr_t>(p), hi = lo + bytes;
  bool inside = false;
  std::string line;
  while (std::getline(smaps, line)) {
    unsigned long long a = 0, e = 0;
    char dash = 0;
    std::istringstream head(line);
    if (line.find("-") != std::string::npos && (head >> std::hex >> a >> dash >> e) && dash == '-' && line.find(':') > line.find(' ')) {
      inside = a < hi && e > lo;
      continue;
    }
    const size_t key = line.rfind("AnonHugePages:", 0) == 0 ? 14 : line.rfind("FilePmdMapped:", 0) == 0 ? 14 : 0;
    if (inside && key > 0) {
      std::istringstream v(line.substr(key));
      unsigned long long kb = 0;
      if (v >> kb) total += static_cast<size_t>(kb) * 1024;
    }
  }
#endif
  return std::min(total, bytes);
}

// The CPUs this process may run on, one per physical core first (then the other hyperthreads).
std::vector<int> cpus_to_pin() {
  std::vector<int> out;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return out;
  std::vector<int> allowed;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) allowed.push_back(c);
  std::set<std::pair<int, int>> seen;
  std::vector<int> rest;
  for (int c : allowed) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/";
    std::ifstream core(base + "core_id"), pkg(base + "physical_package_id");
    int ci = c, pi = 0;
    if (!(core >> ci) || !(pkg >> pi)) ci = c, pi = 0;
    if (seen.insert({pi, ci}).second) out.push_back(c);
    else rest.push_back(c);
  }
  out.insert(out.end(), rest.begin(), rest.end());
#endif
  return out;
}

bool pin_self(int cpu) {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
#else
  (void)cpu;
  return false;
#endif
}

enum class Op { None, Write, Read, Quit };

}  // namespace

bool measure_bandwidth(const BandwidthOptions& o, BandwidthResult* out, std::string* err) {
  const KernelSet& ks = kernels(best_isa());
  const int threads = std::max(1, o.threads);
  const size_t per = (o.bytes / static_cast<size_t>(threads)) / 256 * 256;
  if (per == 0) {
    *err = "buffer too small";
    return false;
  }
  Buffer buf;
  const bool own = o.region == nullptr;
  if (own && !allocate(per * threads, &buf)) {
    *err = "cannot allocate the test buffer";
    return false;
  }
  const uint8_t* data = own ? buf.p : o.region;
  const std::vector<int> cpus = cpus_to_pin();
  const int passes = std::max(1, o.passes);

  std::mutex m;
  std::condition_variable cv;
  Op op = Op::None;
  int generation = 0, done = 0, pinned = 0;
  std::vector<uint64_t> sink(threads, 0);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      const bool ok = !cpus.empty() && pin_self(cpus[static_cast<size_t>(t) % cpus.size()]);
      const size_t slice = per * static_cast<size_t>(t);
      int seen = 0;
      {
        std::lock_guard<std::mutex> g(m);
        pinned += ok ? 1 : 0;
      }
      for (;;) {
        Op mine;
        {
          std::unique_lock<std::mutex> l(m);
          cv.wait(l, [&] { return generation != seen; });
          seen = generation;
          mine = op;
        }
        if (mine == Op::Quit) return;
        // Each thread first writes its own slice (first touch: its pages are local to it).
        if (mine == Op::Write) std::memset(buf.p + slice, t + 1, per);
        else
          for (int k = 0; k < passes; ++k) sink[t] += ks.stream_read(data + slice, per);
        {
          std::lock_guard<std::mutex> g(m);
          ++done;
        }
        cv.notify_all();
      }
    });
  auto run = [&](Op what) {
    std::unique_lock<std::mutex> l(m);
    op = what;
    done = 0;
    ++generation;
    cv.notify_all();
    if (what != Op::Quit) cv.wait(l, [&] { return done == threads; });
  };
  if (own) run(Op::Write);
  run(Op::Read);  // warm-up
  double best = 0, worst = 0;
  const int repeats = std::max(1, o.repeats);
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run(Op::Read);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double gbs = static_cast<double>(per) * threads * passes / s / 1e9;
    best = std::max(best, gbs);
    worst = r == 0 ? gbs : std::min(worst, gbs);
  }
  out->huge_page_bytes = huge_page_bytes(data, per * threads);
  run(Op::Quit);
  for (auto& th : pool) th.join();
  if (own) release(&buf);
  out->gbs = best;
  out->worst_gbs = worst;
  out->bytes = per * threads;
  out->threads = threads;
  out->repeats = repeats;
  out->passes = passes;
  out->huge_pages_requested = buf.huge_requested;
  out->pinned_threads = pinned;
  out->kernels = ks.name;
  // keeps the reads from being optimised away
  volatile uint64_t keep = 0;
  for (uint64_t v : sink) keep = keep + v;
  (void)keep;
  return true;
}

}  // namespace qins
