// What every fuzz target shares: the rule that a reader may refuse an input only with a
// UserError (anything else escaping -- an InternalError, a std::exception from a library,
// a crash, a sanitizer report -- is a bug libFuzzer reports), and a scratch file for the
// readers that take a path.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

#include "compiler/support/error.h"

namespace nas::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A file of this process holding the input, named with `extension` (readers that look at
// the name see a plausible one). Rewritten for each input.
inline std::string write_scratch(std::string_view bytes, const std::string& extension) {
  const std::string path =
      "/tmp/nas-fuzz-" + std::to_string(::getpid()) + extension;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
  return path;
}

// A fuzz target: libFuzzer's entry point in the fuzz build (NAS_FUZZ), and otherwise an
// entry of replay_targets(), through which the test suite replays the inputs that once
// crashed (tests/fuzz/regressions/READER/).
using FuzzTarget = int (*)(const uint8_t* data, size_t size);
inline std::map<std::string, FuzzTarget>& replay_targets() {
  static std::map<std::string, FuzzTarget> targets;
  return targets;
}
#ifdef NAS_FUZZ_REPLAY
#define NAS_FUZZ_TARGET(reader)                                                          \
  static int reader##_one_input(const uint8_t* data, size_t size);                       \
  [[maybe_unused]] static const bool reader##_registered =                               \
      (::nas::fuzz::replay_targets()[#reader] = reader##_one_input, true);               \
  static int reader##_one_input
#else
#define NAS_FUZZ_TARGET(reader) extern "C" int LLVMFuzzerTestOneInput
#endif

// Runs `read`; a UserError is the reader refusing the input, which is its job.
template <class Read>
int refuse_only_with_user_errors(Read&& read) {
  try {
    read();
  } catch (const UserError&) {
  }
  return 0;
}

}  // namespace nas::fuzz
