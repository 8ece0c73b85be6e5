// libFuzzer target: the IDX reader (plain and gzipped), at the image and the label rank.
#include "evaluator/data/idx.h"
#include "tests/fuzz/fuzz_input.h"

NAS_FUZZ_TARGET(idx)(const uint8_t* data, size_t size) {
  const std::string path = nas::fuzz::write_scratch(nas::fuzz::as_text(data, size), ".idx");
  nas::fuzz::refuse_only_with_user_errors([&] { nas::evaluator::read_idx_images(path); });
  return nas::fuzz::refuse_only_with_user_errors(
      [&] { nas::evaluator::read_idx_labels(path); });
}
