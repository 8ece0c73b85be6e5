// The one entry point generated code calls for parallel loops. Runs body(closure, i) for
// every i in [0, extent) on the ThreadPool whose run the caller is in, else on the oneTBB
// arena of the calling thread (so a model run inside a task_arena of N threads uses N
// threads), and returns when all are done. Iterations must be
// independent; which thread runs which iteration never changes a result.
#pragma once

#include <cstdint>

extern "C" void nas_parallel_for(int32_t extent, void (*body)(void* closure, int32_t index),
                                 void* closure);
