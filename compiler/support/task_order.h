// What oneTBB guarantees about a parallel loop, told to ThreadSanitizer: each task starts
// after the caller's writes before the loop, and ends before the loop returns. Debian's
// oneTBB is not instrumented, so TSan sees none of its synchronization and would report
// the caller's use of the tasks' results as races (scripts/sanitize.sh thread).
//
//   TaskOrder order;
//   tbb::parallel_for(range, order.task([&](const auto& r) { ... }));
//   order.joined();
//
// In builds without TSan every part is empty and task() returns the body unchanged.
#pragma once

#include <utility>

#if defined(__SANITIZE_THREAD__)
#define NAS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NAS_TSAN 1
#endif
#endif

#ifdef NAS_TSAN
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
#endif

namespace nas {

class TaskOrder {
 public:
#ifdef NAS_TSAN
  TaskOrder() { __tsan_release(this); }
  template <class Body>
  auto task(Body body) const {
    return [this, body = std::move(body)](auto&&... args) {
      __tsan_acquire(const_cast<TaskOrder*>(this));
      body(std::forward<decltype(args)>(args)...);
      __tsan_release(const_cast<TaskOrder*>(this));
    };
  }
  void joined() const { __tsan_acquire(const_cast<TaskOrder*>(this)); }
#else
  TaskOrder() = default;
  template <class Body>
  Body task(Body body) const {
    return body;
  }
  void joined() const {}
#endif
  TaskOrder(const TaskOrder&) = delete;
  TaskOrder& operator=(const TaskOrder&) = delete;
};

}  // namespace nas
