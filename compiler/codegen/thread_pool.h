// ThreadPool: the threads a compiled model's parallel loops run on. A model runs tens to
// hundreds of kernels in a row, each a parallel loop of a few to a few hundred
// microseconds; a oneTBB parallel_for costs 2-6 microseconds of fork and join on top,
// and wakes sleeping workers on every loop. Here the workers spin on their cursors, so a
// loop starts as soon as it is published; they sleep after about a millisecond without
// work (then the next run or loop wakes them), so a long serial stretch, an idle pool or
// another process on the cores does not lose a core to them.
//
// A loop's iterations are split into one contiguous block per thread, so consecutive
// kernels split alike give each thread the same part of the data. Each thread claims chunks
// of its own block from the front, through the block's atomic cursor, then halves of what is
// left of the others' blocks from the back: the caller and the workers take over what a late
// or descheduled thread leaves, each in one contiguous run, and the caller returns when every
// iteration is done. Which thread runs which iteration never changes a result
// (the kernels' iterations are independent).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace nas::codegen {

class ThreadPool {
 public:
  using Body = void (*)(void* closure, int32_t index);

  // threads counts the caller: threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // How many times the workers have gone to sleep (for tests).
  uint64_t sleeps() const { return sleeps_.load(std::memory_order_relaxed); }

  // Runs fn on the calling thread with this pool serving its nas_parallel_for calls; its
  // start wakes sleeping workers. One run at a time per pool.
  void run(const std::function<void()>& fn);

  // The pool serving the calling thread's run, or null outside one.
  static ThreadPool* current();

  // Runs body(closure, i) for every i in [0, extent) on the pool's threads and returns when
  // all are done. Called only by the thread inside run().
  void parallel_for(int32_t extent, Body body, void* closure);

 private:
  // Cache-line sized, so each thread's block and count stay in its own cache.
  struct alignas(64) Block {
    // (next unclaimed index << 32) | end. A claim is a compare-exchange on the whole word,
    // so a claim that succeeds is one on the loop published last, however stale the thread
    // that makes it.
    std::atomic<uint64_t> cursor{0};
  };
  struct alignas(64) Count {
    std::atomic<uint64_t> iterations{0};  // done by one thread, over all loops
  };

  void work_loop(int self);
  // Claims and runs chunks of the current loop, own block first (from its front), then the
  // others' (from their backs), until none are unclaimed.
  void claim_chunks(int self);
  uint64_t iterations_done() const;

  std::vector<std::thread> workers_;
  int threads_ = 1;
  bool spin_ = true;  // false when there are more threads than cores: workers yield instead
  std::unique_ptr<Block[]> blocks_;  // per thread; 0 is the caller's
  std::unique_ptr<Count[]> done_;    // per thread
  // The current loop. Written only when the last one is done, read only after a claim.
  std::atomic<Body> body_{nullptr};
  std::atomic<void*> closure_{nullptr};
  alignas(64) std::atomic<bool> stop_{false};
  std::atomic<uint32_t> wake_{0};  // bumped to wake sleeping workers
  std::atomic<int> sleeping_{0};   // workers asleep or about to be
  std::atomic<uint64_t> sleeps_{0};
  std::atomic<uint64_t> loops_{0};  // loops published so far
};

}  // namespace nas::codegen
