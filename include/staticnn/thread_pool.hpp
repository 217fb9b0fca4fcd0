// A pool of threads created once, for the data-parallel passes (parallel.hpp).
//
//   staticnn::ThreadPool pool(2);   // the caller and one worker thread
//   pool.run(count, task, context); // task(context, i) for i in [0, count)
//
// Threads are started by the constructor and joined by the destructor; in
// between, run() allocates nothing and creates no thread: workers wait for
// the next run, and the calling thread runs its share of the tasks before it
// waits for theirs. A wait spins for up to kSpin before it sleeps in
// std::atomic::wait (a futex on Linux): waking a sleeping thread took 25 to
// 160 us on the 2-core VMs measured here, 10% of a LeNet-5 training step.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace staticnn {

class ThreadPool {
 public:
  using Task = void (*)(void* context, int index);

  // `threads` threads run the tasks: the one calling run() and threads - 1
  // workers started here. Fewer than 1 (hardware_concurrency() may return 0)
  // means 1: the caller runs every task itself.
  explicit ThreadPool(int threads = int(std::thread::hardware_concurrency()))
      : size_(threads > 1 ? threads : 1), workers_(std::make_unique<std::thread[]>(size_ - 1)) {
    for (int t = 1; t < size_; ++t) workers_[t - 1] = std::thread([this, t] { work(t); });
  }

  ~ThreadPool() {
    stopping_ = true;
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (int t = 1; t < size_; ++t) workers_[t - 1].join();
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The number of threads that run tasks, the caller included.
  int size() const { return size_; }

  // Calls task(context, i) for every i in [0, count) and returns when every
  // call has returned. Thread t (0 is the caller) runs i = t, t + size(),
  // t + 2 size()...: the same split on every run. One run at a time: a task
  // must not call run() on its own pool.
  void run(int count, Task task, void* context) {
    task_ = task;
    context_ = context;
    count_ = count;
    busy_.store(size_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);  // publishes the above
    generation_.notify_all();
    run_share(0);
    for (int busy; (busy = busy_.load(std::memory_order_acquire)) != 0;) {
      await_change(busy_, busy);
    }
  }

  // run() with any callable f(int index), which must outlive the call.
  template <class F>
  void run(int count, F& f) {
    run(count, [](void* context, int i) { (*static_cast<F*>(context))(i); }, &f);
  }

 private:
  static constexpr std::chrono::microseconds kSpin{200};

  // Returns once `a` no longer holds `old`: spinning up to kSpin, then asleep.
  template <class T>
  static void await_change(const std::atomic<T>& a, T old) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    while (a.load(std::memory_order_acquire) == old) {
      if (std::chrono::steady_clock::now() > until) return a.wait(old, std::memory_order_acquire);
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }

  void run_share(int thread) {
    for (int i = thread; i < count_; i += size_) task_(context_, i);
  }

  void work(int thread) {
    for (unsigned seen = 0;;) {
      await_change(generation_, seen);
      seen = generation_.load(std::memory_order_acquire);
      if (stopping_) return;
      run_share(thread);
      // The last worker to finish wakes the caller.
      if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) busy_.notify_one();
    }
  }

  const int size_;
  const std::unique_ptr<std::thread[]> workers_;
  // What the current run calls; written by run() before it bumps generation_.
  Task task_ = nullptr;
  void* context_ = nullptr;
  int count_ = 0;
  bool stopping_ = false;
  std::atomic<unsigned> generation_{0};  // one more per run (and at shutdown)
  std::atomic<int> busy_{0};             // workers still running the current run
};

}  // namespace staticnn
