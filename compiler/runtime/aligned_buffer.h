// Zero-filled, 64-byte-aligned memory: what generated kernels expect of every argument
// (loop/function.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace nas::runtime {

inline constexpr int64_t kBufferAlignment = 64;

inline bool is_aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % kBufferAlignment == 0;
}

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(int64_t bytes) : bytes_(bytes) {
    // aligned_alloc wants a multiple of the alignment, and a non-null pointer even for 0.
    const auto size = static_cast<size_t>((bytes + kBufferAlignment - 1) / kBufferAlignment *
                                          kBufferAlignment) + kBufferAlignment;
    data_.reset(static_cast<std::byte*>(std::aligned_alloc(kBufferAlignment, size)));
    if (!data_) throw std::bad_alloc();
    std::memset(data_.get(), 0, size);
  }

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  int64_t size() const { return bytes_; }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  int64_t bytes_ = 0;
};

}  // namespace nas::runtime
