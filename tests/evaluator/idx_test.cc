// The IDX reader on files written here, plain and gzipped: good files, and one test per
// thing that can be wrong with a file, each checking that the message names the file and
// the problem.
#include "evaluator/data/idx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/evaluator/data_test_util.h"
#include "tests/test_util.h"

namespace nas::evaluator {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using nas::testing::Bytes;
using nas::testing::gzip_bytes;
using nas::testing::idx_bytes;
using nas::testing::TempDir;
using nas::testing::user_error_message;
using nas::testing::write_file;

class IdxTest : public ::testing::TestWithParam<bool> {
 protected:
  bool gzipped() const { return GetParam(); }
  // Writes `bytes` (gzipped when the parameter says so) and returns the path.
  std::filesystem::path write(const std::string& name, const Bytes& bytes) {
    const std::filesystem::path file = dir_ / (gzipped() ? name + ".gz" : name);
    write_file(file, gzipped() ? gzip_bytes(bytes) : bytes);
    return file;
  }
  std::string images_error(const Bytes& bytes) {
    const std::filesystem::path file = write("images-idx3-ubyte", bytes);
    file_ = file.string();
    return user_error_message([&] { read_idx_images(file); });
  }
  std::string labels_error(const Bytes& bytes) {
    const std::filesystem::path file = write("labels-idx1-ubyte", bytes);
    file_ = file.string();
    return user_error_message([&] { read_idx_labels(file); });
  }

  TempDir dir_;
  std::string file_;
};

INSTANTIATE_TEST_SUITE_P(PlainAndGzip, IdxTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Gzip" : "Plain"; });

TEST_P(IdxTest, ReadsImages) {
  const Bytes pixels = nas::testing::test_pixels(3, 2, 4);
  const IdxArray array = read_idx_images(write("images", idx_bytes({3, 2, 4}, pixels)));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{3, 2, 4}));
  EXPECT_EQ(array.data, pixels);
}

TEST_P(IdxTest, ReadsLabels) {
  const Bytes labels = {3, 1, 4, 1, 5};
  const IdxArray array = read_idx_labels(write("labels", idx_bytes({5}, labels)));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{5}));
  EXPECT_EQ(array.data, labels);
}

TEST_P(IdxTest, ReadsZeroImages) {
  const IdxArray array = read_idx_images(write("images", idx_bytes({0, 28, 28}, {})));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{0, 28, 28}));
  EXPECT_TRUE(array.data.empty());
}

TEST_P(IdxTest, BadMagic) {
  Bytes bytes = idx_bytes({2}, {0, 1});
  bytes[0] = 0x12;
  bytes[1] = 0x34;
  EXPECT_THAT(labels_error(bytes),
              AllOf(HasSubstr(file_), HasSubstr("not an IDX file (magic 0x12340801)")));
}

TEST_P(IdxTest, UnknownTypeCode) {
  EXPECT_THAT(labels_error(idx_bytes({2}, {0, 1}, 0x42)),
              AllOf(HasSubstr(file_), HasSubstr("not an IDX file"),
                    HasSubstr("unknown element type 0x42")));
}

TEST_P(IdxTest, UnsupportedTypeCode) {
  EXPECT_THAT(labels_error(idx_bytes({1}, {0, 0, 0, 0}, 0x0D)),
              AllOf(HasSubstr(file_), HasSubstr("element type 0x0D (32-bit float) is not supported"),
                    HasSubstr("expected 0x08 (unsigned byte)")));
}

TEST_P(IdxTest, LabelsGivenForImages) {
  EXPECT_THAT(images_error(idx_bytes({2}, {0, 1})),
              AllOf(HasSubstr(file_), HasSubstr("expected an IDX file of rank 3 (magic 0x00000803)"),
                    HasSubstr("got rank 1 (magic 0x00000801)")));
}

TEST_P(IdxTest, ImagesGivenForLabels) {
  EXPECT_THAT(labels_error(idx_bytes({1, 1, 1}, {0})),
              AllOf(HasSubstr(file_), HasSubstr("expected an IDX file of rank 1 (magic 0x00000801)"),
                    HasSubstr("got rank 3 (magic 0x00000803)")));
}

TEST_P(IdxTest, TruncatedHeader) {
  Bytes bytes = idx_bytes({60000, 28, 28}, {});
  bytes.resize(10);
  EXPECT_THAT(images_error(bytes),
              AllOf(HasSubstr(file_), HasSubstr("truncated IDX header: rank 3 needs 16 header "
                                                "bytes, found 10")));
}

TEST_P(IdxTest, ShorterThanMagic) {
  EXPECT_THAT(images_error({0, 0}), AllOf(HasSubstr(file_), HasSubstr("not an IDX file (only 2 bytes")));
}

TEST_P(IdxTest, TruncatedData) {
  Bytes pixels = nas::testing::test_pixels(3, 2, 4);
  pixels.resize(20);
  EXPECT_THAT(images_error(idx_bytes({3, 2, 4}, pixels)),
              AllOf(HasSubstr(file_), HasSubstr("truncated data"), HasSubstr("3x2x4"),
                    HasSubstr("expected 24 bytes of data, found 20")));
}

TEST_P(IdxTest, TrailingData) {
  EXPECT_THAT(labels_error(idx_bytes({2}, {0, 1, 2})),
              AllOf(HasSubstr(file_), HasSubstr("trailing data"),
                    HasSubstr("expected 2 bytes of data, found 3")));
}

TEST_P(IdxTest, DimensionsTooLarge) {
  EXPECT_THAT(images_error(idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {})),
              AllOf(HasSubstr(file_), HasSubstr("dimensions 4294967295x4294967295x4294967295 are "
                                                "too large")));
}

TEST_P(IdxTest, EmptyFile) {
  // An empty file stays empty (zero bytes) even when "gzipped": gzip of nothing is not
  // empty, so write the bytes directly.
  const std::filesystem::path file = dir_ / "empty";
  write_file(file, {});
  EXPECT_THAT(user_error_message([&] { read_idx_images(file); }),
              AllOf(HasSubstr(file.string()), HasSubstr("empty file")));
}

TEST(IdxFile, EmptyAfterGunzip) {
  TempDir dir;
  const std::filesystem::path file = dir / "empty.gz";
  write_file(file, gzip_bytes({}));
  EXPECT_THAT(user_error_message([&] { read_idx_labels(file); }),
              AllOf(HasSubstr(file.string()), HasSubstr("empty file (after gunzip)")));
}

TEST(IdxFile, Missing) {
  TempDir dir;
  const std::filesystem::path file = dir / "nowhere-idx1-ubyte.gz";
  EXPECT_EQ(user_error_message([&] { read_idx_labels(file); }), file.string() + ": missing");
}

TEST(IdxFile, Directory) {
  TempDir dir;
  EXPECT_THAT(user_error_message([&] { read_idx_labels(dir.path()); }),
              AllOf(HasSubstr(dir.path().string()), HasSubstr("is a directory")));
}

TEST(IdxFile, TruncatedGzipStream) {
  TempDir dir;
  const Bytes plain = idx_bytes({100, 10, 10}, nas::testing::test_pixels(100, 10, 10));
  for (size_t keep : {size_t{2}, size_t{10}, size_t{200}, gzip_bytes(plain).size() - 1}) {
    Bytes gz = gzip_bytes(plain);
    gz.resize(keep);
    const std::filesystem::path file = dir / "images.gz";
    write_file(file, gz);
    EXPECT_EQ(user_error_message([&] { read_idx_images(file); }),
              file.string() + ": truncated gzip stream")
        << "keeping " << keep << " bytes";
  }
}

// Found by fuzzing: a 43-byte file whose gzip trailer claims 2.6 GB. The claim is only a
// first guess of the size, capped by what deflate can expand the bytes to.
TEST(IdxFile, GzipTrailerClaimingGigabytes) {
  const std::filesystem::path file = std::filesystem::path(NAS_SOURCE_DIR) /
                                     "tests/fuzz/regressions/idx/gzip-trailer-claims-2.6GB";
  EXPECT_EQ(user_error_message([&] { read_idx_images(file); }),
            file.string() + ": corrupt gzip stream (zlib: invalid stored block lengths)");
}

TEST(IdxFile, CorruptGzipStream) {
  TempDir dir;
  Bytes gz = gzip_bytes(idx_bytes({100, 10, 10}, nas::testing::test_pixels(100, 10, 10)));
  gz[3] = 0xE0;  // reserved header flag bits set
  const std::filesystem::path file = dir / "images.gz";
  write_file(file, gz);
  EXPECT_THAT(user_error_message([&] { read_idx_images(file); }),
              AllOf(HasSubstr(file.string()), HasSubstr("corrupt gzip stream")));
}

TEST(IdxFile, GarbageAfterGzipStream) {
  TempDir dir;
  Bytes gz = gzip_bytes(idx_bytes({2}, {0, 1}));
  gz.insert(gz.end(), {'j', 'u', 'n', 'k'});
  const std::filesystem::path file = dir / "labels.gz";
  write_file(file, gz);
  EXPECT_THAT(user_error_message([&] { read_idx_labels(file); }),
              AllOf(HasSubstr(file.string()), HasSubstr("4 bytes of trailing garbage after the gzip stream")));
}

TEST(IdxFile, ConcatenatedGzipMembersReadAsOne) {
  // `cat a.gz b.gz` is a valid gzip file of the concatenated contents.
  TempDir dir;
  const Bytes plain = idx_bytes({6}, {1, 2, 3, 4, 5, 6});
  Bytes gz = gzip_bytes(Bytes(plain.begin(), plain.begin() + 9));
  const Bytes rest = gzip_bytes(Bytes(plain.begin() + 9, plain.end()));
  gz.insert(gz.end(), rest.begin(), rest.end());
  const std::filesystem::path file = dir / "labels.gz";
  write_file(file, gz);
  EXPECT_EQ(read_idx_labels(file).data, (Bytes{1, 2, 3, 4, 5, 6}));
}

TEST(IdxFile, GzipRecognisedByContentNotName) {
  TempDir dir;
  const Bytes plain = idx_bytes({3}, {7, 8, 9});
  write_file(dir / "gzipped-without-suffix", gzip_bytes(plain));
  write_file(dir / "plain-with-suffix.gz", plain);
  EXPECT_EQ(read_idx_labels(dir / "gzipped-without-suffix").data, (Bytes{7, 8, 9}));
  EXPECT_EQ(read_idx_labels(dir / "plain-with-suffix.gz").data, (Bytes{7, 8, 9}));
}

}  // namespace
}  // namespace nas::evaluator
