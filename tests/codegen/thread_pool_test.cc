// The thread pool that compiled models run their parallel loops on: every iteration runs
// once, on more than one thread, a late thread's block is taken over from its back, the pool
// serves nas_parallel_for only inside its run, and it works with more threads than cores.
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

// The caller stalls in its first iteration until the worker, slow, has begun on the
// caller's block; then the caller runs the rest of its block quickly. The worker must take
// over from the back of the block in one contiguous run, not chunks alternating with the
// caller's (which put the cache lines at each boundary on both cores).
struct Takeover {
  static constexpr int32_t kExtent = 800;  // blocks [0, 400) (the caller's) and [400, 800)
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> stolen{false};
  std::vector<std::atomic<int>> by_worker;
  Takeover() : by_worker(kExtent) {}
  static void body(void* closure, int32_t i) {
    auto* t = static_cast<Takeover*>(closure);
    if (std::this_thread::get_id() != t->caller) {
      t->by_worker[static_cast<size_t>(i)] = 1;
      if (i < kExtent / 2) t->stolen = true;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    while (i == 0 && !t->stolen.load() &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(2))
      std::this_thread::yield();
  }
};

TEST(ThreadPool, ALateThreadsBlockIsTakenOverFromItsBack) {
  ThreadPool pool(2);
  Takeover takeover;
  pool.run([&] { nas_parallel_for(Takeover::kExtent, &Takeover::body, &takeover); });
  const auto by_worker = [&](int32_t i) {
    return takeover.by_worker[static_cast<size_t>(i)].load();
  };
  ASSERT_EQ(by_worker(Takeover::kExtent / 2 - 1), 1) << "the worker did not take the block's end";
  int32_t first = Takeover::kExtent / 2 - 1;
  while (first > 0 && by_worker(first - 1) == 1) --first;
  for (int32_t i = 0; i < first; ++i) EXPECT_EQ(by_worker(i), 0) << "iteration " << i;
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

// The workers yield instead of spinning; under a loaded ctest a woken worker can wait
// milliseconds for a core, so the loop that must see two threads lasts 4 ms a thread.
TEST(ThreadPool, MoreThreadsThanCores) {
  const int threads = static_cast<int>(std::thread::hardware_concurrency()) * 2 + 1;
  ThreadPool pool(threads);
  EXPECT_EQ(pool.threads(), threads);
  ThreadsSeen seen;
  Counts counts(5000);
  pool.run([&] {
    nas_parallel_for(5000, &Counts::body, &counts);
    nas_parallel_for(20 * threads, &ThreadsSeen::body, &seen);
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
