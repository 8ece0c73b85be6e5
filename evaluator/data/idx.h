// Reader for IDX files, the format of MNIST and Fashion-MNIST
// (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number 0x0000TTRR (TT = element type,
// RR = rank), RR big-endian 32-bit dimensions, then the elements in row-major order.
//
// Files may be gzipped (recognised by the gzip magic 1f 8b, whatever their name) or plain.
// Only unsigned-byte elements (type 0x08) are supported, which is what the image and label
// files of both data sets hold. Everything that can be wrong with a file -- missing, empty,
// not IDX, another element type or rank, truncated or over-long data, a damaged gzip
// stream -- is a UserError that names the file and the problem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace nas::evaluator {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;  // product(dims) elements, row-major
};

// Reads an IDX file of unsigned bytes of the given rank.
IdxArray read_idx_u8(const std::filesystem::path& file, int64_t expected_rank);

// Rank 3 (count x rows x columns), magic 0x00000803.
inline IdxArray read_idx_images(const std::filesystem::path& file) { return read_idx_u8(file, 3); }
// Rank 1 (count), magic 0x00000801.
inline IdxArray read_idx_labels(const std::filesystem::path& file) { return read_idx_u8(file, 1); }

// The bytes of a file, gunzipped when it starts with the gzip magic (concatenated gzip
// members are read as one stream, as gzip does).
std::vector<uint8_t> read_maybe_gzipped(const std::filesystem::path& file);

}  // namespace nas::evaluator
