// libFuzzer target: the .npy reader (decode_npy).
#include "compiler/graph/npy.h"
#include "tests/fuzz/fuzz_input.h"

NAS_FUZZ_TARGET(npy)(const uint8_t* data, size_t size) {
  return nas::fuzz::refuse_only_with_user_errors(
      [&] { nas::decode_npy(nas::fuzz::as_text(data, size), "fuzz.npy"); });
}
