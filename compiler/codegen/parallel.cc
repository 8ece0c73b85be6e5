#include "compiler/codegen/parallel.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "compiler/codegen/thread_pool.h"
#include "compiler/support/task_order.h"

// Inside a ThreadPool's run the loop runs on that pool. Elsewhere tbb::parallel_for runs it
// in the arena of the calling thread (its task_arena when called inside one). Either way the
// caller decides how many threads a model uses.
extern "C" void nas_parallel_for(int32_t extent, void (*body)(void* closure, int32_t index),
                                 void* closure) {
  if (extent <= 0) return;
  if (nas::codegen::ThreadPool* pool = nas::codegen::ThreadPool::current()) {
    pool->parallel_for(extent, body, closure);
    return;
  }
  if (extent == 1) {
    body(closure, 0);
    return;
  }
  nas::TaskOrder order;
  tbb::parallel_for(tbb::blocked_range<int32_t>(0, extent),
                    order.task([&](const tbb::blocked_range<int32_t>& range) {
                      for (int32_t i = range.begin(); i != range.end(); ++i) body(closure, i);
                    }));
}
