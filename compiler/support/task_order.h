// What oneTBB guarantees about a parallel loop, told to ThreadSanitizer: each task starts
// after the caller's writes before the loop, and ends before the loop returns. Debian's
// oneTBB is not instrumented, so TSan sees none of its synchronization and would report
// the caller's use of the tasks' results, and a task's use of the body oneTBB copied for
// it on another thread, as races (scripts/sanitize.sh thread).
//
//   TaskOrder order;  // in the scope that ends with the loop
//   tbb::parallel_for(range, order.task([&](const auto& r) { ... }));
//
// The order holds however the loop ends, an exception from a task included.
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

#ifdef NAS_TSAN
// A loop body as oneTBB copies it between threads: each copy is released on one address
// that a task acquires before it reads anything of its copy (or of the range beside it).
template <class Body>
class OrderedTask {
 public:
  OrderedTask(void* loop, Body body) : loop_(loop), body_(std::move(body)) { handed_over(); }
  OrderedTask(const OrderedTask& other) : loop_(other.loop_), body_(other.body_) {
    handed_over();
  }
  OrderedTask& operator=(const OrderedTask&) = delete;

  template <class... Args>
  void operator()(Args&&... args) const {
    __tsan_acquire(handover());
    __tsan_acquire(loop_);
    // Released however the body ends: oneTBB hands an exception to the caller too.
    struct Ended {
      void* loop;
      ~Ended() { __tsan_release(loop); }
    } ended{loop_};
    body_(std::forward<Args>(args)...);
  }

 private:
  static void* handover() {
    static char address;
    return &address;
  }
  static void handed_over() { __tsan_release(handover()); }

  void* loop_;
  Body body_;
};
#endif

class TaskOrder {
 public:
#ifdef NAS_TSAN
  TaskOrder() { __tsan_release(this); }
  template <class Body>
  OrderedTask<Body> task(Body body) {
    return OrderedTask<Body>(this, std::move(body));
  }
  ~TaskOrder() { __tsan_acquire(this); }  // the loop has returned or thrown
#else
  TaskOrder() = default;
  template <class Body>
  Body task(Body body) {
    return body;
  }
#endif
  TaskOrder(const TaskOrder&) = delete;
  TaskOrder& operator=(const TaskOrder&) = delete;
};

}  // namespace nas
