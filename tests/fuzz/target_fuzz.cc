// libFuzzer target: the target-file reader (configs/targets/*.yaml).
#include "compiler/target/target_file.h"
#include "tests/fuzz/fuzz_input.h"

NAS_FUZZ_TARGET(target)(const uint8_t* data, size_t size) {
  const std::string path = nas::fuzz::write_scratch(nas::fuzz::as_text(data, size), ".yaml");
  return nas::fuzz::refuse_only_with_user_errors([&] { nas::target::read_target_file(path); });
}
