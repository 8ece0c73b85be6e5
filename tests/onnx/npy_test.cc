// .npy reading and writing: round trips of each dtype and one test per malformed-file message.
#include "compiler/graph/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/test_util.h"

#include "compiler/support/error.h"

namespace nas {
namespace {

using graph::Tensor;
using ::testing::HasSubstr;

std::string temp_path(const std::string& name) {
  return (nas::testing::test_temp_dir() / name).string();
}

// A hand-made file: magic, version, header length, header (padded to 64), data.
std::string npy_with_header(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string message_of(const std::string& bytes) {
  try {
    decode_npy(bytes, "x.npy");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Npy, RoundTripsEachDtype) {
  const std::vector<Tensor> tensors = {
      Tensor::f32({2, 3}, {1, 2, 3, 4, 5, -6.5f}),
      Tensor::f64({4}, {0.1, 0.2, 1e300, -3}),
      Tensor::i64({1, 2, 1}, {-7, int64_t(1) << 40}),
      Tensor::scalar_f32(2.5f),
      Tensor(graph::DType::F32, {0, 3}),
  };
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = temp_path(fmt::format("rt{}.npy", i));
    write_npy(path, tensors[i]);
    EXPECT_EQ(read_npy(path), tensors[i]) << tensors[i].type().str();
    EXPECT_EQ(encode_npy(tensors[i]).find("\n") % 64, 63u);  // data aligned to 64
  }
}

TEST(Npy, WritesNumpyHeader) {
  const std::string bytes = encode_npy(Tensor::f32({5}, {1, 2, 3, 4, 5}));
  EXPECT_THAT(bytes, HasSubstr("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"));
  EXPECT_THAT(encode_npy(Tensor::i64({2, 3}, {1, 2, 3, 4, 5, 6})), HasSubstr("'shape': (2, 3)"));
  EXPECT_THAT(encode_npy(Tensor::scalar_f32(1)), HasSubstr("'shape': ()"));
}

TEST(Npy, ReadsVersions2And3) {
  const std::string data(8, '\0');
  for (int major : {2, 3}) {
    Tensor t = decode_npy(
        npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, major),
        "x.npy");
    EXPECT_EQ(t, Tensor::f32({2}, {0, 0}));
  }
}

TEST(Npy, MissingFile) {
  try {
    read_npy(temp_path("does_not_exist.npy"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("does_not_exist.npy: cannot open"));
  }
}

TEST(Npy, BadMagic) {
  EXPECT_THAT(message_of("PK\3\4 this is a zip file"), HasSubstr("x.npy: not an .npy file (bad magic"));
  EXPECT_THAT(message_of(""), HasSubstr("bad magic"));
}

TEST(Npy, MalformedHeader) {
  EXPECT_THAT(message_of(npy_with_header("{'descr': '<f4', 'fortran_order': False", "")),
              HasSubstr("x.npy: malformed .npy header"));
  EXPECT_THAT(message_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, }", "")),
              HasSubstr("no 'shape' key"));
  EXPECT_THAT(message_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (a,)}", "")),
              HasSubstr("malformed .npy header"));
  EXPECT_THAT(message_of(npy_with_header("{'descr': 3, 'fortran_order': False, 'shape': ()}", "")),
              HasSubstr("malformed .npy header"));
  EXPECT_THAT(message_of(std::string("\x93NUMPY\1\0\xff\x00{", 11)), HasSubstr("truncated .npy header"));
}

TEST(Npy, FortranOrder) {
  EXPECT_THAT(message_of(npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
                                         std::string(4, '\0'))),
              HasSubstr("x.npy: fortran_order is True"));
}

TEST(Npy, UnsupportedDtype) {
  const std::string m = message_of(
      npy_with_header("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", std::string(4, '\0')));
  EXPECT_THAT(m, HasSubstr("x.npy: unsupported dtype '<i4'"));
  EXPECT_THAT(m, HasSubstr("supported: '<f4' (float32), '<f8' (float64), '<i8' (int64)"));
  EXPECT_THAT(message_of(npy_with_header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
                                         std::string(4, '\0'))),
              HasSubstr("unsupported dtype '>f4'"));
}

TEST(Npy, TruncatedData) {
  EXPECT_THAT(message_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                         std::string(10, '\0'))),
              HasSubstr("x.npy: truncated data (expected 24 bytes for f32[2,3], found 10)"));
}

// Found by fuzzing: the shape a header claims is checked against the data before the
// tensor is allocated, and a claim past 2^64 bytes is refused, not wrapped around.
TEST(Npy, HugeShapeIsCheckedBeforeAllocating) {
  const auto npy = [](const std::string& shape) {
    return npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }", "data");
  };
  EXPECT_THAT(message_of(npy("2, 12, 82, 1, 28, 2870, 1, 28, 28")),
              HasSubstr("truncated data (expected 495953633280 bytes for "
                        "f32[2,12,82,1,28,2870,1,28,28], found 4)"));
  EXPECT_THAT(message_of(npy("999999999999999, 999999999999999")),
              HasSubstr("truncated data (expected more than 2^64 bytes"));
  // 2^32 x 2^32 x 4 bytes wraps to 0 in 64 bits: still an overflow.
  EXPECT_THAT(message_of(npy("4294967296, 4294967296")),
              HasSubstr("truncated data (expected more than 2^64 bytes"));
  EXPECT_THAT(message_of(npy("999999999999999, 999999999999999, 0")),
              HasSubstr("4 bytes of trailing data after the array (0 expected)"));
}

}  // namespace
}  // namespace nas
