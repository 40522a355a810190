#include "model/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define QINS_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define QINS_PAUSE() __asm__ __volatile__("yield")
#else
#define QINS_PAUSE() ((void)0)
#endif

namespace qins {

namespace {
// How long an idle worker keeps polling before it sleeps on the condition variable.
constexpr auto kSpin = std::chrono::microseconds(300);
}  // namespace

ThreadPool::ThreadPool(int threads) : size_(threads < 1 ? 1 : threads) {
  for (int i = 1; i < size_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::work(int thread) {
  for (;;) {
    const int i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= tasks_) return;
    fn_(ctx_, i, thread);
  }
}

void ThreadPool::run(int tasks, Fn fn, void* ctx) {
  if (tasks <= 0) return;
  if (size_ == 1 || tasks == 1) {
    for (int i = 0; i < tasks; ++i) fn(ctx, i, 0);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  tasks_ = tasks;
  next_.store(0, std::memory_order_relaxed);
  remaining_.store(size_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  work(0);
  while (remaining_.load(std::memory_order_acquire) != 0) QINS_PAUSE();
}

void ThreadPool::worker(int id) {
  uint64_t seen = generation_.load(std::memory_order_acquire);
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    int polls = 0;
    while (generation_.load(std::memory_order_acquire) == seen) {
      QINS_PAUSE();
      if (++polls % 256 == 0 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        break;
      }
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    work(id);
    remaining_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace qins
