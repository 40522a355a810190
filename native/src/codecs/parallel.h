// A minimal fork-join helper: splits [0, n) into `threads` contiguous ranges.
#pragma once
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace qins::codecs {

inline int default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(std::min(n, 64u));
}

/** Calls f(begin, end, tid) for `threads` contiguous ranges of [0, n); the caller runs the last one. */
template <class F>
void parallel_for(size_t n, int threads, F&& f) {
  threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<size_t>(n, 1))));
  if (threads == 1) {
    f(size_t{0}, n, 0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  const size_t per = n / threads, rem = n % threads;
  size_t begin = 0;
  for (int t = 0; t < threads; t++) {
    const size_t end = begin + per + (static_cast<size_t>(t) < rem ? 1 : 0);
    if (t == threads - 1)
      f(begin, end, t);
    else
      pool.emplace_back([&f, begin, end, t] { f(begin, end, t); });
    begin = end;
  }
  for (auto& th : pool) th.join();
}

}  // namespace qins::codecs
