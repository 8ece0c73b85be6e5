#include "compiler/runtime/calibration.h"

#include <array>

namespace nas::runtime {

float run_calibration_work() {
  constexpr int kFloats = 4096;  // 16 KiB per array: stays in L1 and L2 on any x86 or Arm
  alignas(64) static thread_local std::array<float, kFloats> x, y;
  static thread_local bool filled = false;
  if (!filled) {
    for (int i = 0; i < kFloats; ++i) {
      x[i] = 1.0f / static_cast<float>(i + 1);
      y[i] = 0.0f;
    }
    filled = true;
  }
  for (int pass = 0; pass < 16; ++pass)
    for (int i = 0; i < kFloats; ++i) y[i] = y[i] * 0.999f + x[i];
  return y[kFloats - 1];
}

}  // namespace nas::runtime
