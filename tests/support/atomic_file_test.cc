// write_file_atomically: a file replaced whole, no partial file left behind, and a folder
// that cannot be written named in a UserError.
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

}  // namespace
}  // namespace nas
