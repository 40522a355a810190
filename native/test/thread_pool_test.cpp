// ThreadPool stress test: many short loops back to back, as a decode step issues them. Every task
// must run exactly once, and no task may still be running (or start) after parallel_for returned:
// the loop body lives on the caller's stack, so a late task reads freed memory.
//   thread_pool_test [--loops N] [--threads T]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "model/thread_pool.h"

int main(int argc, char** argv) {
  int loops = 200000, threads = 3;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--loops") == 0) loops = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  }
  qins::ThreadPool pool(threads);
  std::atomic<int> current{-1};  // the loop being run; a task of another loop is a late task
  std::atomic<long> late{0}, wrong{0};
  std::mt19937 rng(7);
  std::vector<std::atomic<int>> runs(64);
  for (int l = 0; l < loops; ++l) {
    const int tasks = 1 + static_cast<int>(rng() % 48);
    const int spin = static_cast<int>(rng() % 64);
    for (int t = 0; t < tasks; ++t) runs[t].store(0, std::memory_order_relaxed);
    current.store(l, std::memory_order_release);
    pool.parallel_for(tasks, [&, l](int task, int thread) {
      if (current.load(std::memory_order_acquire) != l || thread < 0 || thread >= threads) late.fetch_add(1);
      volatile int sink = 0;
      for (int i = 0; i < spin * (task % 3 + 1); ++i) sink = sink + i;
      runs[task].fetch_add(1, std::memory_order_relaxed);
      // still inside loop l when the task ends
      if (current.load(std::memory_order_acquire) != l) late.fetch_add(1);
    });
    current.store(-1, std::memory_order_release);
    for (int t = 0; t < tasks; ++t)
      if (runs[t].load(std::memory_order_relaxed) != 1) wrong.fetch_add(1);
    // now and then give the OS a chance to deschedule a worker mid-loop
    if (l % 1024 == 0) std::this_thread::yield();
  }
  std::printf("thread pool: %d loops on %d threads, %ld tasks run late, %ld tasks not run exactly once\n", loops, threads, late.load(), wrong.load());
  return late.load() == 0 && wrong.load() == 0 ? 0 : 1;
}
