// A persistent pool of worker threads that runs data-parallel loops (rows of a matmul, heads of
// attention). The calling thread takes part, so a pool of size N uses N - 1 extra threads. Idle
// workers spin briefly (a decode step issues hundreds of short loops) and then sleep.
// Tasks are claimed one at a time from a (generation, next index) word, and a loop ends when all
// its tasks are done, not when every worker has checked in: a worker that the OS has not scheduled
// (a busy machine) never holds the caller up, the caller simply runs the tasks itself.
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
  // Claims and runs tasks of generation gen until none is left (or a newer loop started).
  void work(uint32_t gen, int thread);

  int size_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> state_{0};  // generation << 32 | next task index
  std::atomic<int> done_{0};        // tasks finished in the current generation
  std::atomic<bool> stop_{false};
  std::atomic<Fn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int> tasks_{0};
};

}  // namespace qins
