// Minimal fork-join helpers: [0, n) split into `threads` contiguous ranges, or handed out piece by
// piece to whichever thread is free.
#pragma once
#include <algorithm>
#include <atomic>
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

/**
 * Calls f(piece, tid) for every piece of [0, pieces), each piece taken by the next thread that is
 * free (the caller is one of the `threads`): a thread slowed down by other work on its core takes
 * fewer pieces instead of holding up the others at the join.
 */
template <class F>
void parallel_pieces(size_t pieces, int threads, F&& f) {
  threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<size_t>(pieces, 1))));
  std::atomic<size_t> next{0};
  auto work = [&](int tid) {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < pieces; i = next.fetch_add(1, std::memory_order_relaxed)) f(i, tid);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 0; t < threads - 1; t++) pool.emplace_back(work, t);
  work(threads - 1);
  for (auto& th : pool) th.join();
}

}  // namespace qins::codecs
