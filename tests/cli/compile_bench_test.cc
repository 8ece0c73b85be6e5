// `nas compile`, `nas bench` and `nas run` on compiled code, through the binary: object files
// for the host and for aarch64 (ELF of the right machine) with their description, bench's
// JSON, compiled and reference outputs that agree, and a target that cannot run here.
#include <cstdlib>
#include <filesystem>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/compile.h"
#include "compiler/graph/graph.h"
#include "compiler/graph/npy.h"
#include "compiler/onnx/onnx_export.h"
#include "compiler/support/random.h"
#include "compiler/target/target.h"
#include "evaluator/models/small_cnn.h"
#include "tests/cli/cli_util.h"
#include "tests/test_util.h"

namespace nas::testing {
namespace {

using ::testing::HasSubstr;

std::string temp(const std::string& name) { return (test_temp_dir() / name).string(); }

std::string small_cnn_file() {
  const std::string path = temp("cnn.onnx");
  onnx_io::export_onnx(evaluator::small_cnn(1), path);
  return path;
}

// ELF magic, 64-bit, and the machine field (e_machine, little-endian at byte 18).
void expect_elf(const std::string& path, int machine) {
  const std::string bytes = slurp(path);
  ASSERT_GE(bytes.size(), 20u) << path;
  EXPECT_EQ(bytes.substr(0, 4), "\x7f" "ELF");
  EXPECT_EQ(bytes[4], 2) << "64-bit";
  EXPECT_EQ(static_cast<unsigned char>(bytes[18]) | static_cast<unsigned char>(bytes[19]) << 8,
            machine);
}

void expect_description(const std::string& stem, const std::string& target) {
  const nlohmann::json d = nlohmann::json::parse(slurp(stem + ".json"));
  EXPECT_EQ(d.at("target").at("name"), target);
  EXPECT_EQ(d.at("model"), "small_cnn");
  ASSERT_GE(d.at("kernels").size(), 4u);
  for (const nlohmann::json& k : d.at("kernels")) {
    EXPECT_FALSE(k.at("name").get<std::string>().empty());
    for (const nlohmann::json& p : k.at("params")) {
      EXPECT_TRUE(p.at("in") == "arena" || p.at("in") == "weights") << p;
      EXPECT_EQ(p.at("offset").get<int64_t>() % 64, 0) << p;
    }
  }
  EXPECT_EQ(d.at("inputs").at(0).at("type"), "f32[1,1,28,28]");
  EXPECT_EQ(d.at("outputs").at(0).at("type"), "f32[1,10]");
  EXPECT_EQ(std::filesystem::file_size(stem + ".weights.bin"),
            d.at("weight_bytes").get<uint64_t>());
  // Every kernel is a symbol of the object file.
  const std::string object = slurp(stem + ".o");
  for (const nlohmann::json& k : d.at("kernels"))
    EXPECT_NE(object.find(k.at("name").get<std::string>()), std::string::npos) << k.at("name");
}

TEST(NasCompile, ObjectFileForTheHost) {
  const Result r = run_nas(fmt::format("compile {} -o {} --threads 2", small_cnn_file(), temp("host")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("host.o"));
  expect_elf(temp("host.o"), 62);  // EM_X86_64
  expect_description(temp("host"), "host");
}

TEST(NasCompile, ObjectFileForAarch64) {
  const Result r =
      run_nas(fmt::format("compile {} --target aarch64-cortex-a76 -o {}", small_cnn_file(), temp("arm.o")));
  ASSERT_EQ(r.code, 0) << r.err;
  expect_elf(temp("arm.o"), 183);  // EM_AARCH64
  expect_description(temp("arm"), "aarch64-cortex-a76");
}

TEST(NasCompile, Errors) {
  expect_user_error(run_nas(fmt::format("compile {} --target pentium-9000 -o {}", small_cnn_file(),
                                        temp("x"))),
                    "pentium-9000");
  expect_user_error(run_nas(fmt::format("compile {} --schedule fast -o {}", small_cnn_file(),
                                        temp("x"))),
                    "--schedule fast: expected default or naive");
  expect_user_error(run_nas(fmt::format("compile {} --layout nhwc -o {}", small_cnn_file(),
                                        temp("x"))),
                    "--layout nhwc: expected blocked or nchw");
  expect_user_error(run_nas(fmt::format("compile {} --winograd yes -o {}", small_cnn_file(),
                                        temp("x"))),
                    "--winograd yes: expected on or off");
  expect_user_error(run_nas(fmt::format("compile {} --shape 1x1x28 -o {}", small_cnn_file(),
                                        temp("x"))),
                    "expected f32[1,1,28,28]");
}

// Every op of `nas ops` is compiled or says why not.
TEST(NasOps, SayWhichOpsCompileAndWhyNot) {
  const Result r = run_nas("ops --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json ops = nlohmann::json::parse(r.out);
  ASSERT_GT(ops.size(), 40u);
  std::map<std::string, nlohmann::json> by_name;
  for (const nlohmann::json& op : ops) {
    const bool compiled = op.at("compiled").get<bool>();
    EXPECT_EQ(compiled, op.at("not_compiled_because").get<std::string>().empty()) << op;
    by_name[op.at("name").get<std::string>()] = op;
  }
  EXPECT_TRUE(by_name.at("Conv").at("compiled").get<bool>());
  EXPECT_TRUE(by_name.at("ConvGradWeight").at("compiled").get<bool>());
  for (const char* op : {"MatMulGradA", "BatchNormTrainingGrad", "MaxPoolGrad", "AveragePoolGrad",
                         "SoftmaxGrad", "SliceGrad", "SoftmaxCrossEntropy",
                         "SoftmaxCrossEntropyGrad"})
    EXPECT_TRUE(by_name.at(op).at("compiled").get<bool>()) << op;
  EXPECT_FALSE(by_name.at("DropoutGrad").at("compiled").get<bool>());
  EXPECT_FALSE(by_name.at("DropoutGrad").at("not_compiled_because").get<std::string>().empty());
  const Result table = run_nas("ops");
  EXPECT_THAT(table.out, ::testing::ContainsRegex("Conv +fusable-output +Conv +compiled"));
}

// NAS_DUMP_IR for the `nas` processes a test starts.
class DumpIr {
 public:
  explicit DumpIr(const char* steps) { ::setenv("NAS_DUMP_IR", steps, 1); }
  ~DumpIr() { ::unsetenv("NAS_DUMP_IR"); }
};

// NAS_DUMP_IR reaches the pipeline through the command line: every step's IR, in order, for
// the JIT (nas bench) and the object file (nas compile); a bad step is a usage error.
TEST(NasDumpIr, EveryStepThroughTheCommandLine) {
  {
    const DumpIr all("all");
    for (const std::string& command :
         {fmt::format("bench {} --min-seconds 0.01", small_cnn_file()),
          fmt::format("compile {} -o {}", small_cnn_file(), temp("dumped"))}) {
      const Result r = run_nas(command);
      ASSERT_EQ(r.code, 0) << r.err;
      size_t last = 0;
      for (const std::string& step : compiler::dump_steps()) {
        const size_t at = r.err.find(fmt::format("// IR after {}\n", step));
        ASSERT_NE(at, std::string::npos) << command << ": " << step;
        EXPECT_GE(at, last) << step;
        last = at;
      }
    }
  }
  {
    const DumpIr layout("after-layout");
    const Result r = run_nas(fmt::format("bench {} --min-seconds 0.01", small_cnn_file()));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("// IR after layout\nlayout plan small_cnn"));
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("// IR after lower")));
  }
  const DumpIr unknown("after-fuse");
  expect_user_error(run_nas(fmt::format("bench {}", small_cnn_file())),
                    "NAS_DUMP_IR: 'after-fuse' is neither 'all' nor after-<step>");
}

TEST(NasBench, JsonFields) {
  const Result r = run_nas(fmt::format(
      "bench {} --threads 2 --json --min-seconds 0 --min-repeats 3 --warmup 1", small_cnn_file()));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("target"), "host");
  EXPECT_EQ(j.at("threads"), 2);
  EXPECT_EQ(j.at("executor"), "compiled");
  EXPECT_GE(j.at("repeats").get<int>(), 3);
  const double median = j.at("median_ms");
  EXPECT_GT(median, 0);
  EXPECT_LE(j.at("min_ms").get<double>(), j.at("p25_ms").get<double>());
  EXPECT_LE(j.at("p25_ms").get<double>(), median);
  EXPECT_LE(median, j.at("p75_ms").get<double>());
  EXPECT_LE(j.at("p75_ms").get<double>(), j.at("max_ms").get<double>());
  EXPECT_THAT(j.at("protocol").get<std::string>(), HasSubstr("1 warm-up run, then >= 3 runs"));
  EXPECT_GT(j.at("compile_seconds").get<double>(), 0);
  EXPECT_GT(j.at("peak_activation_bytes").get<int64_t>(), 0);
  EXPECT_EQ(j.at("flops").get<int64_t>(), evaluator::small_cnn(1).flops());
  EXPECT_GE(j.at("spread").get<double>(), 0);
  EXPECT_GE(j.at("attempts").get<int>(), 1);
  EXPECT_LE(j.at("attempts").get<int>(), 3);
  EXPECT_EQ(j.at("repeatable").get<bool>(),
            j.at("spread").get<double>() <= 0.1 && j.at("slowdown").get<double>() <= 1.1);
  EXPECT_GT(j.at("calibration_ms").get<double>(), 0);
  EXPECT_GT(j.at("slowdown").get<double>(), 0);
  EXPECT_NEAR(median, j.at("measured_median_ms").get<double>() / j.at("slowdown").get<double>(),
              1e-12);
  EXPECT_EQ(j.size(), 20u);

  const Result ref = run_nas(fmt::format(
      "bench {} --reference --json --min-seconds 0 --min-repeats 2 --warmup 0", small_cnn_file()));
  ASSERT_EQ(ref.code, 0) << ref.err;
  const nlohmann::json k = nlohmann::json::parse(ref.out);
  EXPECT_EQ(k.at("executor"), "reference");
  EXPECT_EQ(k.at("compile_seconds"), 0);
  EXPECT_EQ(k.at("threads"), 1);
}

TEST(NasBench, ServeMeasuresOncePerLineOfInput) {
  const std::string requests = (test_temp_dir() / "requests.txt").string();
  std::ofstream(requests) << "measure\nmeasure\nmeasure\n";
  const Result r = run_nas(fmt::format(
      "bench {} --serve --no-calibrate --min-seconds 0 --min-repeats 2 --warmup 0 < {}",
      small_cnn_file(), requests));
  ASSERT_EQ(r.code, 0) << r.err;
  std::stringstream lines(r.out);
  int measurements = 0;
  for (std::string line; std::getline(lines, line); ++measurements) {
    const nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("executor"), "compiled");
    EXPECT_GE(j.at("repeats").get<int>(), 2);
    EXPECT_GT(j.at("median_ms").get<double>(), 0);
    EXPECT_EQ(j.at("calibration_ms").get<double>(), 0);  // --no-calibrate
  }
  EXPECT_EQ(measurements, 3);
}

TEST(NasBench, TextReport) {
  const Result r =
      run_nas(fmt::format("bench {} --min-seconds 0 --min-repeats 2", small_cnn_file()));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* line : {"executor:  compiled", "compile:   ", "latency:   median ", "IQR ",
                           "protocol:  3 warm-up runs"})
    EXPECT_THAT(r.out, HasSubstr(line));
}

TEST(NasRunCompiled, AgreesWithTheReference) {
  const std::string model = small_cnn_file();
  graph::Tensor x(graph::DType::F32, {1, 1, 28, 28});
  SplitMix64 rng(3);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(rng.normal());
  write_npy(temp("x.npy"), x);
  Result r = run_nas(fmt::format("run {} -i {} -o {} --threads 2", model, temp("x.npy"), temp("c.npy")));
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_nas(fmt::format("run {} -i {} -o {} --reference", model, temp("x.npy"), temp("r.npy")));
  ASSERT_EQ(r.code, 0) << r.err;
  const graph::Tensor compiled = read_npy(temp("c.npy")), reference = read_npy(temp("r.npy"));
  ASSERT_EQ(compiled.type(), reference.type());
  for (int64_t i = 0; i < reference.numel(); ++i)
    EXPECT_NEAR(compiled.at(i), reference.at(i), 1e-4 * (1 + std::abs(reference.at(i)))) << i;
}

TEST(NasRunCompiled, TargetThatCannotRunHere) {
  const std::string model = small_cnn_file();
  write_npy(temp("x.npy"), graph::Tensor(graph::DType::F32, {1, 1, 28, 28}));
  const std::string why = target::why_not_runnable(target::parse_target("aarch64"));
  expect_user_error(run_nas(fmt::format("run {} -i {} --target aarch64", model, temp("x.npy"))), why);
  expect_user_error(run_nas(fmt::format("bench {} --target aarch64", model)), why);
  // The reference executor does not depend on the target.
  EXPECT_EQ(run_nas(fmt::format("run {} -i {} --target aarch64 --reference", model, temp("x.npy"))).code, 0);
}

}  // namespace
}  // namespace nas::testing
