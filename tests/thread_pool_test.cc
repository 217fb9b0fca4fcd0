// ThreadPool: every index runs exactly once per run, on the thread the
// split names, with fewer, as many or more tasks than threads; run returns
// only when every task has (its writes are visible); thousands of runs in a
// row neither deadlock nor allocate; a size below 1 means the caller alone.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "staticnn/thread_pool.hpp"
#include "tests/support/allocation_counter.hpp"

namespace staticnn {
namespace {

TEST(ThreadPoolTest, SizeBelowOneIsTheCallerAlone) {
  EXPECT_EQ(ThreadPool(0).size(), 1);
  EXPECT_EQ(ThreadPool(-3).size(), 1);
  EXPECT_EQ(ThreadPool(3).size(), 3);
  ThreadPool pool(0);
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran[3];
  auto task = [&](int i) { ran[i] = std::this_thread::get_id(); };
  pool.run(3, task);
  for (const std::thread::id& id : ran) EXPECT_EQ(id, caller);
}

// Each index once, on thread i % size (0 is the caller), the others distinct.
TEST(ThreadPoolTest, EveryIndexOnceOnItsThread) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int count : {0, 1, threads, 2 * threads + 1}) {
      std::vector<int> runs(count, 0);
      std::vector<std::thread::id> ran(count);
      auto task = [&](int i) {
        ++runs[i];  // only index i's task writes runs[i]
        ran[i] = std::this_thread::get_id();
      };
      pool.run(count, task);
      for (int i = 0; i < count; ++i) {
        EXPECT_EQ(runs[i], 1) << threads << " threads, " << count << " tasks, index " << i;
        EXPECT_EQ(ran[i], ran[i % threads]);
        EXPECT_EQ(ran[i] == std::this_thread::get_id(), i % threads == 0);
        for (int j = 0; j < threads && j < count; ++j) {
          EXPECT_EQ(ran[i] == ran[j], j == i % threads);
        }
      }
    }
  }
}

// Plain (non-atomic) writes of every task are visible when run returns;
// many short runs in a row (the pattern of a training loop) complete, and
// allocate nothing.
TEST(ThreadPoolTest, ManyRunsWithoutAllocation) {
  ThreadPool pool(2);
  constexpr int kRuns = 5000;
  long sums[2] = {0, 0};
  auto task = [&](int i) { sums[i] += i + 1; };
  pool.run(2, task);  // the workers are up and have waited once
  test::AllocationScope scope;
  for (int r = 1; r < kRuns; ++r) pool.run(2, task);
  EXPECT_EQ(scope.count(), 0);
  EXPECT_EQ(sums[0], kRuns);
  EXPECT_EQ(sums[1], 2L * kRuns);
}

// Tasks of one run do run at the same time: each waits until both started.
TEST(ThreadPoolTest, TasksRunConcurrently) {
  ThreadPool pool(2);
  std::atomic<int> started{0};
  auto task = [&](int) {
    started.fetch_add(1);
    while (started.load() < 2) std::this_thread::yield();
  };
  pool.run(2, task);
  EXPECT_EQ(started.load(), 2);
}

}  // namespace
}  // namespace staticnn
