#include "compiler/codegen/thread_pool.h"

#include <algorithm>

#include "compiler/support/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nas::codegen {

namespace {

thread_local ThreadPool* current_pool = nullptr;

void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

constexpr uint64_t kEndMask = 0xffffffffu;

uint64_t cursor_word(uint32_t next, uint32_t end) { return (uint64_t{next} << 32) | end; }
uint32_t next_of(uint64_t cursor) { return static_cast<uint32_t>(cursor >> 32); }
uint32_t end_of(uint64_t cursor) { return static_cast<uint32_t>(cursor & kEndMask); }

}  // namespace

ThreadPool::ThreadPool(int threads)
    : threads_(threads), blocks_(std::make_unique<Block[]>(static_cast<size_t>(threads))),
      done_(std::make_unique<Count[]>(static_cast<size_t>(threads))) {
  NAS_CHECK(threads >= 1, "a thread pool needs at least one thread, got {}", threads);
  spin_ = threads <= static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work_loop(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

ThreadPool* ThreadPool::current() { return current_pool; }

void ThreadPool::run(const std::function<void()>& fn) {
  struct Running {
    ThreadPool* pool;
    ThreadPool* outer = current_pool;
    explicit Running(ThreadPool* p) : pool(p) {
      current_pool = p;
      if (p->sleeping_.load(std::memory_order_seq_cst) > 0) {
        p->wake_.fetch_add(1, std::memory_order_release);
        p->wake_.notify_all();
      }
    }
    ~Running() { current_pool = outer; }
  } running(this);
  fn();
}

uint64_t ThreadPool::iterations_done() const {
  uint64_t sum = 0;
  for (int t = 0; t < threads_; ++t) sum += done_[t].iterations.load(std::memory_order_acquire);
  return sum;
}

void ThreadPool::parallel_for(int32_t extent, Body body, void* closure) {
  if (extent <= 0) return;
  if (threads_ == 1 || extent == 1) {
    for (int32_t i = 0; i < extent; ++i) body(closure, i);
    return;
  }
  // The last loop is done (this thread waited for it), so no thread reads these now.
  const uint64_t done_before = iterations_done();
  body_.store(body, std::memory_order_relaxed);
  closure_.store(closure, std::memory_order_relaxed);
  const auto n = static_cast<uint64_t>(extent), parts = static_cast<uint64_t>(threads_);
  for (uint64_t t = 0; t < parts; ++t)
    blocks_[t].cursor.store(cursor_word(static_cast<uint32_t>(n * t / parts),
                                        static_cast<uint32_t>(n * (t + 1) / parts)),
                            std::memory_order_seq_cst);
  // A worker that went to sleep counted itself before its last look at its block (both
  // sequentially consistent, as these stores and this load): it saw this loop, or is
  // counted here and woken.
  if (sleeping_.load(std::memory_order_seq_cst) > 0) {
    wake_.fetch_add(1, std::memory_order_release);
    wake_.notify_all();
  }
  loops_.fetch_add(1, std::memory_order_relaxed);
  claim_chunks(0);
  while (iterations_done() - done_before != n) cpu_relax();
}

void ThreadPool::claim_chunks(int self) {
  for (int k = 0; k < threads_; ++k) {
    const bool own = k == 0;
    Block& block = blocks_[(self + k) % threads_];
    uint64_t cursor = block.cursor.load(std::memory_order_acquire);
    for (;;) {
      const uint32_t next = next_of(cursor), end = end_of(cursor);
      if (next >= end) break;
      // The owner takes chunks of an eighth of what is left from the front: few claims,
      // and small ones at the end for a thread that finishes first. That thread takes half
      // of what is left from the back, so owner and thief each work on one contiguous run
      // (taking chunks from the front too, they alternated chunks, and the cache lines at
      // each boundary and the data each kernel left in a core's cache went back and forth:
      // ShuffleNetV2's NCHW 1x1 convolutions ran 1.7x slower at 2 threads than at 1).
      const uint32_t first = own ? next : end - std::max<uint32_t>(1, (end - next) / 2);
      const uint32_t stop = own ? next + std::max<uint32_t>(1, (end - next) / 8) : end;
      const uint64_t rest = own ? cursor_word(stop, end) : cursor_word(next, first);
      if (!block.cursor.compare_exchange_weak(cursor, rest, std::memory_order_acq_rel,
                                              std::memory_order_acquire))
        continue;
      // The claim holds the loop open, so its body cannot change under us.
      const Body body = body_.load(std::memory_order_relaxed);
      void* closure = closure_.load(std::memory_order_relaxed);
      for (uint32_t i = first; i < stop; ++i) body(closure, static_cast<int32_t>(i));
      done_[self].iterations.fetch_add(stop - first, std::memory_order_release);
      cursor = block.cursor.load(std::memory_order_acquire);
    }
  }
}

void ThreadPool::work_loop(int self) {
  // Spins between loops, and between runs, but not for ever: a pool left idle for long (a
  // serial stretch, the end of the runs, or another process wanting the cores) finds the
  // workers asleep, and its next loop wakes them. The count is of spins since the last loop
  // was published: counted over a whole run, the workers of a model with serial stretches
  // slept in every run, and its next parallel loop started on one thread while the wake
  // went through.
  constexpr int kSpinsBeforeSleep = 1 << 14;  // about 0.2-1 ms of pause instructions
  int spins = 0;
  uint64_t loops_seen = loops_.load(std::memory_order_relaxed);
  auto has_work = [&] {
    const uint64_t own = blocks_[self].cursor.load(std::memory_order_seq_cst);
    return next_of(own) < end_of(own);
  };
  for (;;) {
    claim_chunks(self);
    if (const uint64_t loops = loops_.load(std::memory_order_relaxed); loops != loops_seen) {
      loops_seen = loops;
      spins = 0;
    }
    if (stop_.load(std::memory_order_acquire)) return;
    if (has_work()) continue;
    if (++spins < kSpinsBeforeSleep) {
      if (spin_)
        cpu_relax();
      else
        std::this_thread::yield();
      continue;
    }
    spins = 0;
    // Read the wake count before the last looks: a run, loop or stop that starts after
    // this load changes it, so the wait returns at once.
    const uint32_t wake = wake_.load(std::memory_order_acquire);
    sleeping_.fetch_add(1, std::memory_order_seq_cst);
    sleeps_.fetch_add(1, std::memory_order_relaxed);
    if (!stop_.load(std::memory_order_acquire) && !has_work())
      wake_.wait(wake, std::memory_order_acquire);
    sleeping_.fetch_sub(1, std::memory_order_seq_cst);
  }
}

}  // namespace nas::codegen
