// The fuzz targets in the suite: every input that once crashed one
// (tests/fuzz/regressions/READER/FILE), and the repository's own files of its kind, go
// through the same target, which fails on anything but acceptance or a UserError.
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/cli/cli_util.h"
#include "tests/fuzz/fuzz_input.h"

namespace nas::fuzz {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = NAS_SOURCE_DIR;

void replay(const std::string& reader, const fs::path& file) {
  SCOPED_TRACE(reader + " <- " + file.string());
  const std::string bytes = nas::testing::slurp(file.string());
  ASSERT_EQ(replay_targets().count(reader), 1u);
  EXPECT_NO_THROW(replay_targets().at(reader)(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              bytes.size()));
}

TEST(FuzzTargets, OnePerReader) {
  std::vector<std::string> readers;
  for (const auto& [name, target] : replay_targets()) readers.push_back(name);
  EXPECT_EQ(readers,
            (std::vector<std::string>{"config", "idx", "npy", "onnx_import", "space", "target"}));
}

TEST(FuzzTargets, CrashInputsFoundByFuzzingAreRefusedCleanly) {
  int replayed = 0;
  for (const fs::directory_entry& reader : fs::directory_iterator(kSource / "tests/fuzz/regressions"))
    for (const fs::directory_entry& input : fs::directory_iterator(reader.path())) {
      replay(reader.path().filename().string(), input.path());
      ++replayed;
    }
  EXPECT_GE(replayed, 2);
}

TEST(FuzzTargets, TheRepositorysOwnFilesAreAccepted) {
  for (const char* config : {"quickstart.yaml", "synthetic_smoke.yaml"})
    replay("config", kSource / "configs" / config);
  for (const fs::directory_entry& e : fs::directory_iterator(kSource / "configs/spaces"))
    if (e.path().extension() == ".yaml") replay("space", e.path());
  for (const fs::directory_entry& e : fs::directory_iterator(kSource / "configs/targets"))
    replay("target", e.path());
}

}  // namespace
}  // namespace nas::fuzz
