// The thread pool that compiled models run their parallel loops on: every iteration runs
// once, on more than one thread, the pool serves nas_parallel_for only inside its run, and
// it works with more threads than cores.
#include "compiler/codegen/thread_pool.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/codegen/parallel.h"

namespace nas::codegen {
namespace {

struct Counts {
  std::vector<std::atomic<int>> runs;
  explicit Counts(int32_t n) : runs(static_cast<size_t>(n)) {}
  static void body(void* closure, int32_t i) {
    static_cast<Counts*>(closure)->runs[static_cast<size_t>(i)].fetch_add(1);
  }
};

TEST(ThreadPool, RunsEveryIterationOnceOverManyLoops) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    pool.run([&] {
      // Loops of every size back to back, each published right after the last is done.
      for (int32_t extent : {0, 1, 2, 3, 7, 16, 63, 1000, 5, 100003, 1, 2}) {
        Counts counts(extent);
        nas_parallel_for(extent, &Counts::body, &counts);
        for (int32_t i = 0; i < extent; ++i)
          ASSERT_EQ(counts.runs[static_cast<size_t>(i)].load(), 1)
              << "threads " << threads << ", extent " << extent << ", index " << i;
      }
    });
  }
}

TEST(ThreadPool, ManySmallLoopsInOneRun) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.run([&] {
    for (int loop = 0; loop < 20000; ++loop) {
      nas_parallel_for(
          3, [](void* s, int32_t i) { static_cast<std::atomic<int64_t>*>(s)->fetch_add(i + 1); },
          &sum);
    }
  });
  EXPECT_EQ(sum.load(), 20000 * 6);
}

struct ThreadsSeen {
  std::mutex mutex;
  std::set<std::thread::id> ids;
  static void body(void* closure, int32_t) {
    auto* seen = static_cast<ThreadsSeen*>(closure);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard lock(seen->mutex);
    seen->ids.insert(std::this_thread::get_id());
  }
};

TEST(ThreadPool, WorkersTakePartOfTheLoop) {
  ThreadPool pool(2);
  ThreadsSeen seen;
  pool.run([&] { nas_parallel_for(400, &ThreadsSeen::body, &seen); });
  EXPECT_EQ(seen.ids.size(), 2u);
}

TEST(ThreadPool, ServesOnlyInsideItsRun) {
  EXPECT_EQ(ThreadPool::current(), nullptr);
  ThreadPool outer(2), inner(2);
  outer.run([&] {
    EXPECT_EQ(ThreadPool::current(), &outer);
    inner.run([&] { EXPECT_EQ(ThreadPool::current(), &inner); });
    EXPECT_EQ(ThreadPool::current(), &outer);
  });
  EXPECT_EQ(ThreadPool::current(), nullptr);
  // Outside a run, nas_parallel_for still runs every iteration (on oneTBB).
  Counts counts(50);
  nas_parallel_for(50, &Counts::body, &counts);
  for (auto& c : counts.runs) EXPECT_EQ(c.load(), 1);
}

TEST(ThreadPool, MoreThreadsThanCores) {
  const int threads = static_cast<int>(std::thread::hardware_concurrency()) * 2 + 1;
  ThreadPool pool(threads);
  EXPECT_EQ(pool.threads(), threads);
  ThreadsSeen seen;
  Counts counts(5000);
  pool.run([&] {
    nas_parallel_for(5000, &Counts::body, &counts);
    nas_parallel_for(2 * threads, &ThreadsSeen::body, &seen);
  });
  for (auto& c : counts.runs) EXPECT_EQ(c.load(), 1);
  EXPECT_GE(seen.ids.size(), 2u);
}

TEST(ThreadPool, RunsAgainAfterItsWorkersSlept) {
  ThreadPool pool(2);
  for (int run = 0; run < 3; ++run) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the workers sleep
    ThreadsSeen seen;
    pool.run([&] { nas_parallel_for(200, &ThreadsSeen::body, &seen); });
    EXPECT_EQ(seen.ids.size(), 2u) << "run " << run;
  }
}

}  // namespace
}  // namespace nas::codegen
