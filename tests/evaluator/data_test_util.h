// Helpers for the data tests: a temporary folder, IDX files built byte by byte, gzip.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace nas::testing {

using Bytes = std::vector<uint8_t>;

inline void append_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// An IDX file: magic 0x0000 TT RR, the dims, then `data` as given (its size need not match,
// so that tests can build broken files).
inline Bytes idx_bytes(const std::vector<uint32_t>& dims, const Bytes& data,
                       uint8_t type_code = 0x08) {
  Bytes out = {0, 0, type_code, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) append_u32(out, d);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline Bytes gzip_bytes(const Bytes& plain) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  Bytes out(deflateBound(&zs, plain.size()) + 64);
  zs.next_in = const_cast<Bytef*>(plain.data());
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline void write_file(const std::filesystem::path& file, const Bytes& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << file;
}

// n images of h x w whose pixels are (31 * i + 7 * y + x) mod 256, and labels i mod classes:
// for n <= 256 every image differs from the others, so a test can tell which one it got.
inline Bytes test_pixels(uint32_t n, uint32_t h, uint32_t w) {
  Bytes pixels;
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x) pixels.push_back(static_cast<uint8_t>(31 * i + 7 * y + x));
  return pixels;
}
inline Bytes test_labels(uint32_t n, uint32_t classes) {
  Bytes labels;
  for (uint32_t i = 0; i < n; ++i) labels.push_back(static_cast<uint8_t>(i % classes));
  return labels;
}

}  // namespace nas::testing
