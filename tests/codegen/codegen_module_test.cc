// The module-level services of codegen: textual IR (vector types, and what O3 makes of a
// simple loop), object files for the host and for aarch64, the error for a target that
// cannot run here, and compiling from two threads at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <thread>

#include "compiler/codegen/codegen.h"
#include "compiler/codegen/kernel_cache.h"
#include "compiler/loop/compute.h"
#include "compiler/target/target.h"
#include "tests/codegen/codegen_test_util.h"
#include "tests/test_util.h"

namespace nas::codegen {
namespace {

using namespace loop;

// out[i] = a[i] * b[i] + c[i] over n elements, as plain scalar loop IR.
LoweredFunc multiply_add(const std::string& name, int64_t n = 256) {
  Buffer a("a", Type::f32(), {n}), b("b", Type::f32(), {n}), c("c", Type::f32(), {n}),
      out("out", Type::f32(), {n});
  const Var i("i");
  return {name, {a, b, c, out},
          For::make(i, make_zero(Type::i32()), make_const(Type::i32(), n), ForKind::Serial,
                    Store::make(out, Load::make(a, i) * Load::make(b, i) + Load::make(c, i), i))};
}

bool is_x86_64_host() { return target::host_target().arch() == "x86_64"; }

TEST(CodegenModule, EightLaneVectorProgramUsesEightFloatVectors) {
  if (!is_x86_64_host()) GTEST_SKIP() << "host-avx2 needs an x86_64 host";
  Buffer a("a", Type::f32(), {64}), out("out", Type::f32(), {64});
  const Var i("i");
  const Expr at = Ramp::make(i * 8, make_one(Type::i32()), 8);
  const LoweredFunc func{"scale", {a, out},
                         For::make(i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{8}),
                                   ForKind::Serial,
                                   Store::make(out, Load::make(a, at) * Broadcast::make(make_const(Type::f32(), 3.0), 8), at))};
  const std::string ir = emit_llvm_ir({func}, target::parse_target("host-avx2"), false);
  EXPECT_NE(ir.find("fmul reassoc contract <8 x float>"), std::string::npos) << ir;
  EXPECT_NE(ir.find("load <8 x float>"), std::string::npos) << ir;
  EXPECT_NE(ir.find("define void @scale(ptr"), std::string::npos) << ir;
  EXPECT_NE(ir.find("\"target-cpu\"=\"x86-64-v3\""), std::string::npos) << ir;
}

TEST(CodegenModule, OptimizedSimpleLoopIsVectorized) {
  if (!is_x86_64_host()) GTEST_SKIP() << "host-avx2 needs an x86_64 host";
  const target::Target avx2 = target::parse_target("host-avx2");
  const std::string ir = emit_llvm_ir({multiply_add("madd")}, avx2, true);
  EXPECT_NE(ir.find("<8 x float>"), std::string::npos) << ir;
  EXPECT_NE(ir.find("fmul reassoc contract <8 x float>"), std::string::npos) << ir;
  // The body function is inlined into the exported wrapper, which is all that is left, and
  // the 64-byte alignment of the arguments is known there.
  EXPECT_EQ(ir.find("define internal void @madd.body"), std::string::npos) << ir;
  EXPECT_NE(ir.find("load <8 x float>, ptr %a, align 64"), std::string::npos) << ir;

  // An explicit fma on vectors stays the fma intrinsic.
  Buffer a("a", Type::f32(), {64}), out("out", Type::f32(), {64});
  const Var i("i");
  const Expr at = Ramp::make(i * 8, make_one(Type::i32()), 8);
  const Expr v = Load::make(a, at);
  const LoweredFunc fused{"fused", {a, out},
                          For::make(i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{8}),
                                    ForKind::Serial, Store::make(out, fma(v, v, v), at))};
  const std::string fused_ir = emit_llvm_ir({fused}, avx2, true);
  EXPECT_NE(fused_ir.find("@llvm.fma.v8f32"), std::string::npos) << fused_ir;
}

// out[i*32 + u*8 + lane] = sum over k of a[k*32 + u*8 + lane] * b[i*16 + k], accumulated in
// a register-scoped buffer of 4 vectors inside unrolled loops, as a schedule's cache_write
// produces it: LLVM keeps the accumulators in registers (no stack array is left).
TEST(CodegenModule, RegisterScopedAccumulatorsLeaveNoStackArray) {
  Buffer a("a", Type::f32(), {16 * 32}), b("b", Type::f32(), {4 * 16}), out("out", Type::f32(), {4 * 32});
  Buffer acc("acc", Type::f32(), {32});
  const Var i("i"), k("k"), u0("u0"), u1("u1"), u2("u2");
  auto lanes = [](const Expr& base) { return Ramp::make(base, make_one(Type::i32()), 8); };
  auto loop = [](const Var& v, int64_t extent, ForKind kind, Stmt body) {
    return For::make(v, make_zero(Type::i32()), make_const(Type::i32(), extent), kind, std::move(body));
  };
  const Stmt init = loop(u0, 4, ForKind::Unrolled,
                         Store::make(acc, Broadcast::make(make_zero(Type::f32()), 8), lanes(u0 * 8)));
  const Stmt update = loop(
      k, 16, ForKind::Serial,
      loop(u1, 4, ForKind::Unrolled,
           Store::make(acc,
                       Load::make(acc, lanes(u1 * 8)) +
                           Load::make(a, lanes(k * 32 + u1 * 8)) * Broadcast::make(Load::make(b, i * 16 + k), 8),
                       lanes(u1 * 8))));
  const Stmt store = loop(u2, 4, ForKind::Unrolled,
                          Store::make(out, Load::make(acc, lanes(u2 * 8)), lanes(i * 32 + u2 * 8)));
  const LoweredFunc func{"accumulate", {a, b, out},
                         loop(i, 4, ForKind::Serial,
                              Allocate::make(acc, MemoryScope::Register, Block::make({init, update, store})))};
  testing::expect_same_as_interpreter(func, 13);
  if (!is_x86_64_host()) return;
  const std::string ir = emit_llvm_ir({func}, target::parse_target("host-avx2"), true);
  EXPECT_EQ(ir.find("alloca"), std::string::npos) << ir;
  EXPECT_NE(ir.find("<8 x float>"), std::string::npos) << ir;
}

TEST(CodegenModule, ObjectFileOfAParallelLoopCallsNasParallelFor) {
  Buffer a("a", Type::f32(), {64});
  const Var i("i");
  const LoweredFunc func{"par", {a},
                         For::make(i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{64}),
                                   ForKind::Parallel, Store::make(a, Load::make(a, i) * 2.0f, i))};
  nas::testing::TempDir dir;
  const std::string path = (dir.path() / "par.o").string();
  write_object_file({func}, target::parse_target("aarch64"), path);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("nas_parallel_for"), std::string::npos);
  const std::string ir = emit_llvm_ir({func}, target::host_target(), false);
  EXPECT_NE(ir.find("call void @nas_parallel_for(i32 64, ptr @par.parallel0, ptr"), std::string::npos) << ir;
}

// NAS_PERF_MAP=1 names each JIT-compiled function in /tmp/perf-<pid>.map for perf: the
// entry at the address the JIT gave it, and its outlined parallel body.
TEST(CodegenModule, PerfMapNamesTheEntryAndItsParallelBody) {
  if (!is_x86_64_host()) GTEST_SKIP() << "JIT runs on x86-64 hosts here";
  Buffer a("a", Type::f32(), {64});
  const Var i("i");
  const LoweredFunc func{"perf_map_par", {a},
                         For::make(i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{64}),
                                   ForKind::Parallel, Store::make(a, Load::make(a, i) * 2.0f, i))};
  const std::string path = fmt::format("/tmp/perf-{}.map", getpid());
  ::setenv("NAS_PERF_MAP", "1", 1);
  auto jit = JitModule::compile({func}, target::host_target());
  ::unsetenv("NAS_PERF_MAP");
  std::ifstream in(path);
  const std::string map((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string entry =
      fmt::format("{:x} ", reinterpret_cast<uintptr_t>(jit->lookup("perf_map_par")));
  EXPECT_NE(map.find(entry), std::string::npos) << map;
  EXPECT_NE(map.find(" perf_map_par\n"), std::string::npos) << map;
  EXPECT_NE(map.find(" perf_map_par.parallel0\n"), std::string::npos) << map;
}

// The ELF header: magic, and e_machine (little-endian u16 at offset 18).
void expect_elf(const std::string& path, uint16_t machine) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GE(bytes.size(), 64u);
  EXPECT_EQ(bytes.substr(0, 4), "\x7f" "ELF");
  const uint16_t e_machine = static_cast<uint8_t>(bytes[18]) | (static_cast<uint8_t>(bytes[19]) << 8);
  EXPECT_EQ(e_machine, machine);
  EXPECT_NE(bytes.find("madd"), std::string::npos);  // the symbol name
}

TEST(CodegenModule, WritesObjectFilesForTheHostAndForAarch64) {
  nas::testing::TempDir dir;
  const std::string aarch64 = (dir.path() / "aarch64.o").string();
  write_object_file({multiply_add("madd")}, target::parse_target("aarch64"), aarch64);
  expect_elf(aarch64, 183);  // EM_AARCH64
  if (is_x86_64_host()) {
    const std::string host = (dir.path() / "host.o").string();
    write_object_file({multiply_add("madd")}, target::host_target(), host);
    expect_elf(host, 62);  // EM_X86_64
  }
}

TEST(CodegenModule, WritingToAMissingFolderIsAUserError) {
  const std::string message = nas::testing::user_error_message([] {
    write_object_file({multiply_add("madd")}, target::host_target(), "/nonexistent-folder/x.o");
  });
  EXPECT_NE(message.find("/nonexistent-folder/x.o: cannot open for writing (No such file or "
                         "directory)"),
            std::string::npos)
      << message;
}

TEST(CodegenModule, CompilingForATargetThatCannotRunHereIsAUserError) {
  if (!is_x86_64_host()) GTEST_SKIP() << "needs a host that is not aarch64";
  const target::Target rpi = target::parse_target("aarch64");
  const std::string message =
      nas::testing::user_error_message([&] { JitModule::compile({multiply_add("madd")}, rpi); });
  EXPECT_EQ(message, target::why_not_runnable(rpi));
  EXPECT_NE(message.find("cannot run on this x86_64 host"), std::string::npos) << message;
}

TEST(CodegenModule, TwoThreadsCompileAtOnce) {
  std::vector<std::vector<std::vector<float>>> results(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      const LoweredFunc func = multiply_add("madd" + std::to_string(t));
      auto jit = JitModule::compile({func}, target::host_target());
      EXPECT_GT(jit->compile_seconds(), 0.0);
      results[t] = testing::random_params(func, 11);
      testing::run_compiled(jit->lookup(func.name), results[t]);
    });
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 2; ++t)
    for (int k = 0; k < 256; ++k)
      ASSERT_NEAR(results[t][3][k], results[t][0][k] * results[t][1][k] + results[t][2][k], 1e-6);
}

// Functions that differ only in their names are compiled once and share one entry.
TEST(CodegenModule, SeveralFunctionsInOneModule) {
  auto jit = JitModule::compile({multiply_add("first"), multiply_add("second")}, target::host_target());
  EXPECT_EQ(jit->lookup("first"), jit->lookup("second"));
  EXPECT_THROW(jit->lookup("third"), InternalError);
}

// The process's kernel cache keeps the kernels used last: one that is looked up again
// outlives one compiled after it but not used since.
TEST(CodegenModule, KernelCacheDropsTheLeastRecentlyUsed) {
  if (!is_x86_64_host()) GTEST_SKIP() << "JIT runs on x86-64 hosts here";
  const target::Target host = target::host_target();
  auto misses_of = [&](const LoweredFunc& func) {
    const int64_t before = kernel_cache_stats().misses;
    JitModule::compile({func}, host);
    return kernel_cache_stats().misses - before;
  };
  // Sizes no other test compiles, so that the first compile of each is a miss.
  const LoweredFunc a = multiply_add("a", 1001), b = multiply_add("b", 1002),
                    c = multiply_add("c", 1003);
  set_kernel_cache_capacity(2);
  EXPECT_EQ(misses_of(a), 1);
  EXPECT_EQ(misses_of(b), 1);
  EXPECT_EQ(misses_of(a), 0);  // used again: now the most recent
  EXPECT_EQ(misses_of(c), 1);  // drops b, not a (the older entry)
  EXPECT_EQ(misses_of(a), 0);
  EXPECT_EQ(misses_of(b), 1);
  EXPECT_LE(kernel_cache_stats().entries, 2);
  set_kernel_cache_capacity(kCachedKernels);
}

}  // namespace
}  // namespace nas::codegen
