// libFuzzer target: the experiment-config reader, as if the file lay in the repository's
// configs/ folder, so that its references to spaces and targets there resolve.
#include "search/config.h"
#include "tests/fuzz/fuzz_input.h"

NAS_FUZZ_TARGET(config)(const uint8_t* data, size_t size) {
  static const std::filesystem::path file =
      std::filesystem::path(NAS_SOURCE_DIR) / "configs" / "fuzzed.yaml";
  return nas::fuzz::refuse_only_with_user_errors([&] {
    nas::search::parse_config(std::string(nas::fuzz::as_text(data, size)), file);
  });
}
