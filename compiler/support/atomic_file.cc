#include "compiler/support/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "compiler/support/error.h"

namespace nas {

void write_file_atomically(const std::string& path, std::string_view bytes) {
  namespace fs = std::filesystem;
  // Named per process, so two writers of one path never share a partial file.
  const std::string partial = fmt::format("{}.partial.{}", path, getpid());
  {
    std::ofstream out(partial, std::ios::binary);
    if (!out) user_error("{}: cannot open for writing ({})", path, std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(partial, ignored);
      user_error("{}: write failed", path);
    }
  }
  std::error_code error;
  fs::rename(partial, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(partial, ignored);
    user_error("{}: cannot write: {}", path, error.message());
  }
}

void check_destination(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code error;
  if (fs::is_directory(p, error)) user_error("{}: cannot write: it is a folder", path);
  if (!fs::exists(folder, error))
    user_error("{}: cannot write: folder '{}' does not exist", path, folder.string());
  if (!fs::is_directory(folder, error))
    user_error("{}: cannot write: '{}' is not a folder", path, folder.string());
}

}  // namespace nas
