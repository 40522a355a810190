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
inline uint32_t gen_of(uint64_t s) { return static_cast<uint32_t>(s >> 32); }
}  // namespace

ThreadPool::ThreadPool(int threads) : size_(threads < 1 ? 1 : threads) {
  for (int i = 1; i < size_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    const uint64_t s = state_.load();
    state_.store(static_cast<uint64_t>(gen_of(s) + 1) << 32);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::work(uint32_t gen, int thread) {
  for (;;) {
    uint64_t s = state_.load(std::memory_order_acquire);
    if (gen_of(s) != gen) return;
    // Read after the acquire: these belong to generation gen unless a newer loop has started, in
    // which case the claim below fails.
    // Acquire: a worker that sees the next loop's values also sees that loop's closing of the
    // state word (stored before them), so its claim below fails.
    const Fn fn = fn_.load(std::memory_order_acquire);
    void* ctx = ctx_.load(std::memory_order_acquire);
    const int tasks = tasks_.load(std::memory_order_acquire);
    const uint32_t idx = static_cast<uint32_t>(s);
    if (idx >= static_cast<uint32_t>(tasks)) return;
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
    fn(ctx, static_cast<int>(idx), thread);
    done_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::run(int tasks, Fn fn, void* ctx) {
  if (tasks <= 0) return;
  if (size_ == 1 || tasks == 1) {
    for (int i = 0; i < tasks; ++i) fn(ctx, i, 0);
    return;
  }
  // Close the previous loop's state word first (same generation, index past any task count): a
  // worker still holding that word could otherwise claim a task with it after fn_ / ctx_ / tasks_
  // below are replaced, run a task of this loop before it starts, and count it in done_, so that
  // this loop would return while one of its tasks is still running.
  const uint64_t prev = state_.load(std::memory_order_relaxed);
  state_.store(prev | 0xffffffffULL, std::memory_order_release);
  fn_.store(fn, std::memory_order_release);
  ctx_.store(ctx, std::memory_order_release);
  tasks_.store(tasks, std::memory_order_release);
  done_.store(0, std::memory_order_relaxed);
  const uint32_t gen = gen_of(prev) + 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
  }
  cv_.notify_all();
  work(gen, 0);
  while (done_.load(std::memory_order_acquire) < tasks) QINS_PAUSE();
}

void ThreadPool::worker(int id) {
  uint32_t seen = gen_of(state_.load(std::memory_order_acquire));
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    int polls = 0;
    while (gen_of(state_.load(std::memory_order_acquire)) == seen) {
      QINS_PAUSE();
      if (++polls % 256 == 0 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return gen_of(state_.load(std::memory_order_acquire)) != seen; });
        break;
      }
    }
    if (stop_.load()) return;
    seen = gen_of(state_.load(std::memory_order_acquire));
    work(seen, id);
  }
}

}  // namespace qins
