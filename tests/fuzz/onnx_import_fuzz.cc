// libFuzzer target: the ONNX importer (protobuf parse, checks, constant folding, verifier).
#include "compiler/onnx/onnx_import.h"
#include "tests/fuzz/fuzz_input.h"

NAS_FUZZ_TARGET(onnx_import)(const uint8_t* data, size_t size) {
  return nas::fuzz::refuse_only_with_user_errors(
      [&] { nas::onnx_io::import_onnx_bytes(nas::fuzz::as_text(data, size), "fuzz.onnx"); });
}
