// A persistent pool of worker threads that runs data-parallel loops (rows of a matmul, heads of
// attention). The calling thread takes part, so a pool of size N uses N - 1 extra threads. Idle
// workers spin briefly (a decode step issues hundreds of short loops) and then sleep.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace qins {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Calls f(task, thread) for every task in [0, tasks); returns when all are done. `thread` is in
  // [0, size()) and identifies per-thread scratch space. Not re-entrant: one loop at a time.
  template <typename F>
  void parallel_for(int tasks, F&& f) {
    run(tasks, [](void* ctx, int task, int thread) { (*static_cast<F*>(ctx))(task, thread); }, &f);
  }

 private:
  using Fn = void (*)(void*, int, int);
  void run(int tasks, Fn fn, void* ctx);
  void worker(int id);
  void work(int thread);

  int size_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> next_{0};
  std::atomic<int> remaining_{0};
  std::atomic<bool> stop_{false};
  Fn fn_ = nullptr;
  void* ctx_ = nullptr;
  int tasks_ = 0;
};

}  // namespace qins
