#include "evaluator/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "compiler/support/error.h"

namespace nas::evaluator {

namespace fs = std::filesystem;

namespace {

constexpr uint8_t kIdxUnsignedByte = 0x08;

bool starts_with_gzip_magic(const std::vector<uint8_t>& bytes, size_t at = 0) {
  return bytes.size() >= at + 2 && bytes[at] == 0x1f && bytes[at + 1] == 0x8b;
}

std::vector<uint8_t> read_file_bytes(const fs::path& file) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status)) user_error("{}: missing", file.string());
  if (fs::is_directory(status)) user_error("{}: is a directory, not a file", file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) user_error("{}: cannot be opened ({})", file.string(), std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) user_error("{}: read failed ({})", file.string(), std::strerror(errno));
  return bytes;
}

// Inflates every gzip member of `compressed` into one buffer.
std::vector<uint8_t> gunzip(const fs::path& file, const std::vector<uint8_t>& compressed) {
  std::vector<uint8_t> out;
  // The last member's trailer holds its size modulo 2^32: a good first guess, but only a
  // claim, so never more than deflate can expand these bytes to (1032:1 at best).
  if (compressed.size() >= 18) {
    const size_t n = compressed.size();
    const size_t claimed = uint32_t{compressed[n - 4]} | uint32_t{compressed[n - 3]} << 8 |
                           uint32_t{compressed[n - 2]} << 16 | uint32_t{compressed[n - 1]} << 24;
    out.reserve(std::min(claimed, n * 1032));
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    user_error("{}: cannot start gzip decompression (zlib: {})", file.string(),
               zs.msg ? zs.msg : "out of memory");
  struct Guard {
    z_stream* zs;
    ~Guard() { inflateEnd(zs); }
  } guard{&zs};

  size_t consumed = 0;
  uint8_t chunk[1 << 16];
  while (true) {
    // zlib's avail_in is 32-bit: feed at most 1 GiB at a time.
    zs.next_in = const_cast<Bytef*>(compressed.data() + consumed);
    zs.avail_in = static_cast<uInt>(std::min<size_t>(compressed.size() - consumed, size_t{1} << 30));
    const size_t fed = zs.avail_in;
    int rc = Z_OK;
    do {
      zs.next_out = chunk;
      zs.avail_out = sizeof chunk;
      rc = inflate(&zs, Z_NO_FLUSH);
      out.insert(out.end(), chunk, chunk + (sizeof chunk - zs.avail_out));
    } while (rc == Z_OK && (zs.avail_in > 0 || zs.avail_out == 0));
    consumed += fed - zs.avail_in;

    if (rc == Z_STREAM_END) {
      if (consumed == compressed.size()) return out;
      if (starts_with_gzip_magic(compressed, consumed)) {  // another member follows
        inflateReset(&zs);
        continue;
      }
      user_error("{}: {} bytes of trailing garbage after the gzip stream", file.string(),
                 compressed.size() - consumed);
    }
    if (rc == Z_DATA_ERROR)
      user_error("{}: corrupt gzip stream (zlib: {})", file.string(), zs.msg ? zs.msg : "data error");
    if (rc == Z_MEM_ERROR) user_error("{}: out of memory while decompressing", file.string());
    // Z_OK or Z_BUF_ERROR with all input used: the stream stops before its end.
    if (consumed == compressed.size()) user_error("{}: truncated gzip stream", file.string());
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      user_error("{}: gzip decompression failed (zlib error {})", file.string(), rc);
  }
}

std::string element_type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default: return "";
  }
}

std::string dims_str(const std::vector<int64_t>& dims) {
  return fmt::format("{}", fmt::join(dims, "x"));
}

}  // namespace

std::vector<uint8_t> read_maybe_gzipped(const fs::path& file) {
  std::vector<uint8_t> bytes = read_file_bytes(file);
  if (starts_with_gzip_magic(bytes)) return gunzip(file, bytes);
  return bytes;
}

IdxArray read_idx_u8(const fs::path& file, int64_t expected_rank) {
  NAS_CHECK(expected_rank >= 1 && expected_rank <= 255, "rank {}", expected_rank);
  const std::string name = file.string();
  std::vector<uint8_t> bytes = read_file_bytes(file);
  if (bytes.empty()) user_error("{}: empty file", name);
  if (starts_with_gzip_magic(bytes)) bytes = gunzip(file, bytes);
  if (bytes.empty()) user_error("{}: empty file (after gunzip)", name);
  if (bytes.size() < 4)
    user_error("{}: not an IDX file (only {} bytes, shorter than the 4-byte magic)", name,
               bytes.size());

  const uint32_t magic = uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 |
                         uint32_t{bytes[2]} << 8 | uint32_t{bytes[3]};
  const uint8_t type_code = bytes[2];
  const uint8_t rank = bytes[3];
  if (bytes[0] != 0 || bytes[1] != 0) user_error("{}: not an IDX file (magic 0x{:08X})", name, magic);
  if (element_type_name(type_code).empty())
    user_error("{}: not an IDX file (magic 0x{:08X}: unknown element type 0x{:02X})", name, magic,
               type_code);
  if (type_code != kIdxUnsignedByte)
    user_error("{}: IDX element type 0x{:02X} ({}) is not supported; expected 0x08 (unsigned byte)",
               name, type_code, element_type_name(type_code));
  if (rank != expected_rank)
    user_error("{}: expected an IDX file of rank {} (magic 0x{:08X}), got rank {} (magic 0x{:08X})",
               name, expected_rank, 0x0800u | static_cast<uint32_t>(expected_rank), rank, magic);

  const size_t header_size = 4 + 4 * size_t{rank};
  if (bytes.size() < header_size)
    user_error("{}: truncated IDX header: rank {} needs {} header bytes, found {}", name, rank,
               header_size, bytes.size());
  IdxArray array;
  uint64_t expected = 1;
  bool too_large = false;
  for (size_t i = 0; i < rank; ++i) {
    const uint8_t* p = bytes.data() + 4 + 4 * i;
    const uint32_t dim = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    array.dims.push_back(dim);
    too_large = too_large || __builtin_mul_overflow(expected, uint64_t{dim}, &expected);
  }
  const uint64_t found = bytes.size() - header_size;
  if (too_large) user_error("{}: dimensions {} are too large", name, dims_str(array.dims));
  if (found < expected)
    user_error("{}: truncated data: dimensions {} expected {} bytes of data, found {}", name,
               dims_str(array.dims), expected, found);
  if (found > expected)
    user_error("{}: trailing data: dimensions {} expected {} bytes of data, found {}", name,
               dims_str(array.dims), expected, found);
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header_size));
  array.data = std::move(bytes);
  return array;
}

}  // namespace nas::evaluator
