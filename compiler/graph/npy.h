// NumPy .npy files: the tensor format of `nas run` and of the files exchanged with outside
// checkers. Reads format versions 1.0, 2.0 and 3.0; writes 1.0 (2.0 when the header needs
// it). Only C-order little-endian f32 (<f4), f64 (<f8) and i64 (<i8) data. Every problem
// with a file is a UserError naming the file and what is wrong with it.
#pragma once

#include <string>
#include <string_view>

#include "compiler/graph/tensor.h"

namespace nas {

graph::Tensor read_npy(const std::string& path);
void write_npy(const std::string& path, const graph::Tensor& tensor);

// In-memory forms; `source` names the data in error messages (usually the file name).
graph::Tensor decode_npy(std::string_view bytes, const std::string& source);
std::string encode_npy(const graph::Tensor& tensor);

}  // namespace nas
