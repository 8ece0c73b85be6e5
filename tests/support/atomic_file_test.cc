// write_file_atomically: a file replaced whole, no partial file left behind, and a folder
// that cannot be written named in a UserError; check_destination before the work.
#include "compiler/support/atomic_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace nas {
namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(AtomicFile, ReplacesTheFileWholeAndLeavesNothingElse) {
  testing::TempDir dir;
  const std::string path = (dir / "result.bin").string();
  write_file_atomically(path, "a longer first version");
  write_file_atomically(path, std::string("two\0bytes", 9));
  EXPECT_EQ(read(path), std::string("two\0bytes", 9));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(AtomicFile, AnUnwritableFolderIsAUserErrorNamingThePath) {
  testing::TempDir dir;
  const std::string path = (dir / "missing" / "result.bin").string();
  EXPECT_EQ(testing::user_error_message([&] { write_file_atomically(path, "x"); }),
            path + ": cannot open for writing (No such file or directory)");
  EXPECT_FALSE(std::filesystem::exists(dir / "missing"));
}

// Checked before the work that produces a result (training, compiling, running a model).
TEST(AtomicFile, DestinationsNeedAnExistingFolder) {
  testing::TempDir dir;
  check_destination((dir / "result.onnx").string());
  const std::string missing = (dir / "missing" / "result.onnx").string();
  EXPECT_EQ(testing::user_error_message([&] { check_destination(missing); }),
            missing + ": cannot write: folder '" + (dir / "missing").string() +
                "' does not exist");
  std::ofstream(dir / "a_file") << "x";
  const std::string under_file = (dir / "a_file" / "result.onnx").string();
  EXPECT_EQ(testing::user_error_message([&] { check_destination(under_file); }),
            under_file + ": cannot write: '" + (dir / "a_file").string() + "' is not a folder");
  EXPECT_EQ(testing::user_error_message([&] { check_destination(dir.path().string()); }),
            dir.path().string() + ": cannot write: it is a folder");
}

}  // namespace
}  // namespace nas
