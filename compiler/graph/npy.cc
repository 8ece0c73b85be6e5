#include "compiler/graph/npy.h"

#include <bit>
#include <cctype>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/atomic_file.h"
#include "compiler/support/error.h"

namespace nas {

using graph::DType;
using graph::Shape;
using graph::Tensor;

static_assert(std::endian::native == std::endian::little, "npy I/O assumes a little-endian host");

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::string_view kSupported = "supported: '<f4' (float32), '<f8' (float64), '<i8' (int64)";

// The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// This parser accepts exactly the subset numpy writes: string keys, and values that are
// strings, True/False, or tuples of non-negative integers.
struct HeaderValue {
  enum Kind { String, Bool, Tuple } kind;
  std::string str;
  bool flag = false;
  Shape tuple;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  std::map<std::string, HeaderValue> parse() {
    std::map<std::string, HeaderValue> dict;
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') { ++pos_; break; }
      std::string key = string_literal();
      expect(':');
      dict[key] = value();
      skip_space();
      if (peek() == ',') { ++pos_; continue; }
      expect('}');
      break;
    }
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the dictionary");
    return dict;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    user_error("{}: malformed .npy header ({}): {}", source_, what, s_);
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  char peek() {
    skip_space();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}' at offset {}", c, pos_));
    ++pos_;
  }
  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(fmt::format("expected a string at offset {}", pos_));
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  int64_t integer() {
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    // numpy on some platforms writes "3L".
    std::string digits(s_.substr(start, pos_ - start));
    if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;
    if (digits.empty() || digits.size() > 15) fail(fmt::format("bad dimension at offset {}", start));
    return std::stoll(digits);
  }
  HeaderValue value() {
    const char c = peek();
    if (c == '\'' || c == '"') return {HeaderValue::String, string_literal()};
    if (s_.substr(pos_, 4) == "True") { pos_ += 4; return {HeaderValue::Bool, "", true}; }
    if (s_.substr(pos_, 5) == "False") { pos_ += 5; return {HeaderValue::Bool, "", false}; }
    if (c == '(') {
      ++pos_;
      HeaderValue v{HeaderValue::Tuple};
      for (;;) {
        if (peek() == ')') { ++pos_; break; }
        v.tuple.push_back(integer());
        if (peek() == ',') { ++pos_; continue; }
        expect(')');
        break;
      }
      return v;
    }
    fail(fmt::format("unexpected value at offset {}", pos_));
  }

  std::string_view s_;
  const std::string& source_;
  size_t pos_ = 0;
};

uint32_t read_le(std::string_view bytes, size_t offset, size_t size) {
  uint32_t v = 0;
  for (size_t i = 0; i < size; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return v;
}

std::string_view descr_of(DType dtype) {
  switch (dtype) {
    case DType::F32: return "<f4";
    case DType::F64: return "<f8";
    case DType::I64: return "<i8";
  }
  return "?";
}

}  // namespace

Tensor decode_npy(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 8 || bytes.substr(0, kMagic.size()) != kMagic)
    user_error("{}: not an .npy file (bad magic; expected \\x93NUMPY)", source);
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3)
    user_error("{}: unsupported .npy format version {}.{} (supported: 1.0, 2.0, 3.0)", source,
               major, minor);
  const size_t len_size = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_size) user_error("{}: truncated .npy header", source);
  const size_t header_len = read_le(bytes, 8, len_size);
  const size_t data_offset = 8 + len_size + header_len;
  if (bytes.size() < data_offset)
    user_error("{}: truncated .npy header (expected {} bytes, found {})", source, data_offset,
               bytes.size());
  std::string_view header = bytes.substr(8 + len_size, header_len);
  // Messages quote the header, without the padding and newline numpy ends it with.
  while (!header.empty() && std::isspace(static_cast<unsigned char>(header.back())))
    header.remove_suffix(1);

  std::map<std::string, HeaderValue> dict = HeaderParser(header, source).parse();
  auto field = [&](const char* key, HeaderValue::Kind kind) -> const HeaderValue& {
    auto it = dict.find(key);
    if (it == dict.end())
      user_error("{}: malformed .npy header (no '{}' key): {}", source, key, header);
    if (it->second.kind != kind)
      user_error("{}: malformed .npy header ('{}' has the wrong type): {}", source, key, header);
    return it->second;
  };
  const std::string& descr = field("descr", HeaderValue::String).str;
  const bool fortran = field("fortran_order", HeaderValue::Bool).flag;
  const Shape& shape = field("shape", HeaderValue::Tuple).tuple;

  if (fortran)
    user_error("{}: fortran_order is True; only C-order arrays are supported "
               "(save with np.ascontiguousarray)", source);
  DType dtype;
  if (descr == "<f4") dtype = DType::F32;
  else if (descr == "<f8") dtype = DType::F64;
  else if (descr == "<i8") dtype = DType::I64;
  else user_error("{}: unsupported dtype '{}' ({})", source, descr, kSupported);

  // The size the header claims is checked against the data before anything is allocated,
  // so a header claiming a huge shape costs nothing.
  const graph::TensorType type{dtype, shape};
  uint64_t expected = static_cast<uint64_t>(dtype_size(dtype));
  bool overflow = false;
  for (int64_t d : shape)
    overflow |= __builtin_mul_overflow(expected, static_cast<uint64_t>(d), &expected);
  // A zero dimension holds nothing, whatever the others (a product that wraps to 0, as
  // 2^32 x 2^32 x 4 bytes does, is an overflow, not an empty array).
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) {
    expected = 0;
    overflow = false;
  }
  const size_t found = bytes.size() - data_offset;
  if (overflow || found < expected)
    user_error("{}: truncated data (expected {} bytes for {}, found {})", source,
               overflow ? "more than 2^64" : std::to_string(expected), type.str(), found);
  if (found > expected)
    user_error("{}: {} bytes of trailing data after the array ({} expected)", source,
               found - expected, expected);
  Tensor t(type);
  if (expected) std::memcpy(t.raw(), bytes.data() + data_offset, expected);
  return t;
}

std::string encode_npy(const Tensor& tensor) {
  std::string shape;
  for (int64_t d : tensor.shape()) shape += fmt::format("{}, ", d);
  if (tensor.rank() >= 2) shape.resize(shape.size() - 2);  // (2, 3); a 1-tuple keeps "(5,)"
  else if (tensor.rank() == 1) shape.resize(shape.size() - 1);
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                 descr_of(tensor.dtype()), shape);
  // Pad with spaces and a final newline so the data starts on a 64-byte boundary.
  int major = 1;
  size_t prefix = 10;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = 12;
    total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  }
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kMagic);
  out += static_cast<char>(major);
  out += '\0';
  const size_t len = dict.size();
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  out += dict;
  out.append(reinterpret_cast<const char*>(tensor.raw()), static_cast<size_t>(tensor.nbytes()));
  return out;
}

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) user_error("{}: cannot open .npy file (missing or unreadable)", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return decode_npy(buffer.str(), path);
}

void write_npy(const std::string& path, const Tensor& tensor) {
  write_file_atomically(path, encode_npy(tensor));
}

}  // namespace nas
