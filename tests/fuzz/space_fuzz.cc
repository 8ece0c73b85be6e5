// libFuzzer target: the search-space reader (configs/spaces/*.yaml), which also builds the
// networks of each choice's first and last options.
#include "space/space_file.h"
#include "tests/fuzz/fuzz_input.h"

NAS_FUZZ_TARGET(space)(const uint8_t* data, size_t size) {
  const std::string path = nas::fuzz::write_scratch(nas::fuzz::as_text(data, size), ".yaml");
  return nas::fuzz::refuse_only_with_user_errors([&] { nas::space::load_space(path); });
}
