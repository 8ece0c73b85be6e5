// Compiled loop nests against the interpreter: naive lowerings of matmul and of a padded,
// strided convolution with an epilogue; parallel loops (outer, inner with captured
// variables, nested) inside a 2-thread arena; Allocate in local and register scope; and
// vectorized / unrolled loops left for codegen.
#include <gtest/gtest.h>

#include <map>

#include <tbb/task_arena.h>

#include "compiler/codegen/codegen.h"
#include "compiler/loop/compute.h"
#include "compiler/loop/mutator.h"
#include "compiler/loop/schedule.h"
#include "tests/codegen/codegen_test_util.h"

namespace nas::codegen {
namespace {

using namespace loop;

// Gives the loops named in `kinds` another ForKind.
class SetLoopKinds : public IRMutator {
 public:
  explicit SetLoopKinds(std::map<std::string, ForKind> kinds) : kinds_(std::move(kinds)) {}
  using IRMutator::visit;
  Stmt visit(const For* op) override {
    Stmt body = mutate(op->body);
    auto it = kinds_.find(op->var.name());
    return For::make(op->var, op->min, op->extent, it == kinds_.end() ? op->for_kind : it->second,
                     body);
  }

 private:
  std::map<std::string, ForKind> kinds_;
};

LoweredFunc matmul(int64_t M, int64_t K, int64_t N) {
  Tensor A = Tensor::placeholder("A", {M, K}), B = Tensor::placeholder("B", {K, N});
  Axis k = reduce_axis("k", K);
  Tensor C = compute("C", {M, N}, [&](const std::vector<Var>& ij) {
    return sum(A(ij[0], k) * B(k, ij[1]), {k});
  });
  return {"matmul", {A.buffer(), B.buffer(), C.buffer()}, lower({C})};
}

TEST(CodegenNest, MatmulMatchesTheInterpreter) {
  testing::expect_same_as_interpreter(matmul(13, 17, 11), 1);
  testing::expect_same_as_interpreter(matmul(1, 64, 40), 2);
}

// NCHW conv, stride 2, zero padding 1 through a padded stage, bias + ReLU as the epilogue.
TEST(CodegenNest, PaddedStridedConvWithEpilogueMatchesTheInterpreter) {
  const int N = 2, C = 3, H = 9, W = 7, F = 5, R = 3, S = 3, P = 1, stride = 2;
  const int HP = H + 2 * P, WP = W + 2 * P, OH = (HP - R) / stride + 1, OW = (WP - S) / stride + 1;
  Tensor in = Tensor::placeholder("in", {N, C, H, W});
  Tensor weight = Tensor::placeholder("weight", {F, C, R, S});
  Tensor bias = Tensor::placeholder("bias", {F});
  Tensor padded = compute("padded", {N, C, HP, WP}, [&](const std::vector<Var>& v) {
    const Expr h = v[2] - P, w = v[3] - P;
    const Expr inside = h >= 0 && h < H && w >= 0 && w < W;
    const Expr hc = max(min(h, H - 1), 0), wc = max(min(w, W - 1), 0);
    return select(inside, in(v[0], v[1], hc, wc), make_zero(Type::f32()));
  });
  Axis rc = reduce_axis("rc", C), rr = reduce_axis("rr", R), rs = reduce_axis("rs", S);
  Tensor conv = compute(
      "conv", {N, F, OH, OW},
      [&](const std::vector<Var>& v) {
        return sum(padded(v[0], rc, v[2] * stride + rr.var, v[3] * stride + rs.var) *
                       weight(v[1], rc, rr, rs),
                   {rc, rr, rs});
      },
      {.axis_names = {"n", "f", "oh", "ow"},
       .epilogue = [&](const Expr& acc, const std::vector<Var>& v) {
         return max(acc + bias(v[1]), 0.0f);
       }});
  const LoweredFunc func{"conv",
                         {in.buffer(), weight.buffer(), bias.buffer(), padded.buffer(), conv.buffer()},
                         lower({padded, conv})};
  testing::expect_same_as_interpreter(func, 3);
}

// Parallel loops compute what the serial ones do, whichever loops are parallel.
TEST(CodegenNest, ParallelLoopsMatchSerialInATwoThreadArena) {
  const LoweredFunc serial = matmul(9, 20, 33);
  std::vector<std::vector<float>> expected = testing::random_params(serial, 4);
  testing::run_interpreted(serial, expected);
  tbb::task_arena arena(2);
  for (const std::vector<std::string>& parallel :
       {std::vector<std::string>{"i0"}, {"i1"}, {"i0", "i1"}}) {
    std::map<std::string, ForKind> kinds;
    for (const std::string& name : parallel) kinds[name] = ForKind::Parallel;
    const LoweredFunc func{"matmul_parallel", serial.params, SetLoopKinds(kinds).mutate(serial.body)};
    auto jit = JitModule::compile({func}, target::host_target());
    std::vector<std::vector<float>> actual = testing::random_params(serial, 4);
    arena.execute([&] { testing::run_compiled(jit->lookup("matmul_parallel"), actual); });
    SCOPED_TRACE(parallel.size() == 2 ? "i0, i1" : parallel[0]);
    testing::expect_all_close(actual[2], expected[2]);
  }
}

// tmp[j] = A[i*4 + j] * 2 (+ i), then B[i*4 + j] = tmp[3 - j] + tmp[j], with tmp allocated
// inside the loop over i.
Stmt allocate_nest(const Buffer& A, const Buffer& B, MemoryScope scope, ForKind outer, ForKind inner,
                   int64_t min) {
  const Var i("i"), j("j"), j2("j2");
  Buffer tmp("tmp", Type::f32(), {4});
  const Expr four = make_const(Type::i32(), int64_t{4});
  Stmt fill = For::make(j, make_zero(Type::i32()), four, inner,
                        Store::make(tmp, Load::make(A, i * 4 + j) * 2.0f + cast(Type::f32(), i), j));
  Stmt use = For::make(j2, make_zero(Type::i32()), four, inner,
                       Store::make(B, Load::make(tmp, 3 - j2) + Load::make(tmp, j2), i * 4 + j2));
  return For::make(i, make_const(Type::i32(), min), make_const(Type::i32(), 10 - min), outer,
                   Allocate::make(tmp, scope, Block::make(fill, use)));
}

TEST(CodegenNest, AllocateInLocalAndRegisterScope) {
  Buffer A("A", Type::f32(), {40}), B("B", Type::f32(), {40});
  tbb::task_arena arena(2);
  for (MemoryScope scope : {MemoryScope::Local, MemoryScope::Register})
    for (ForKind outer : {ForKind::Serial, ForKind::Parallel})
      for (int64_t min : {0, 3}) {
        const ForKind inner = scope == MemoryScope::Register ? ForKind::Unrolled : ForKind::Serial;
        const LoweredFunc func{"allocate", {A, B}, allocate_nest(A, B, scope, outer, inner, min)};
        SCOPED_TRACE(std::string(memory_scope_name(scope)) + " " +
                     std::string(for_kind_name(outer)) + " from " + std::to_string(min));
        arena.execute([&] { testing::expect_same_as_interpreter(func, 5); });
      }
}

// A local buffer too large for a thread's stack (here 280 KiB in each of two parallel
// iterations) comes from the heap.
TEST(CodegenNest, LargeAllocationInAParallelLoop) {
  const int64_t size = 70 * 1024;
  Buffer A("A", Type::f32(), {2 * size}), B("B", Type::f32(), {2}), big("big", Type::f32(), {size});
  const Var i("i"), j("j"), k("k");
  const Expr n = make_const(Type::i32(), size);
  const Stmt body = For::make(
      i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{2}), ForKind::Parallel,
      Allocate::make(big, MemoryScope::Local,
                     Block::make({For::make(j, make_zero(Type::i32()), n, ForKind::Serial,
                                            Store::make(big, Load::make(A, i * static_cast<int>(size) + j), j)),
                                  Store::make(B, Load::make(big, make_const(Type::i32(), size - 1)) +
                                                     Load::make(big, make_const(Type::i32(), int64_t{5})),
                                              i)})));
  tbb::task_arena arena(2);
  arena.execute([&] { testing::expect_same_as_interpreter({"large", {A, B}, body}, 8); });
  const std::string ir = emit_llvm_ir({{"large", {A, B}, body}}, target::host_target(), false);
  EXPECT_NE(ir.find("call ptr @aligned_alloc(i64 64, i64 286720)"), std::string::npos) << ir;
  EXPECT_NE(ir.find("call void @free(ptr"), std::string::npos) << ir;
}

// Loops the schedule marked but could not rewrite reach codegen as Vectorized / Unrolled.
TEST(CodegenNest, VectorizedAndUnrolledLoopsRunAsSerialLoops) {
  const LoweredFunc serial = matmul(5, 8, 16);
  for (const auto& kinds : {std::map<std::string, ForKind>{{"i1", ForKind::Vectorized}},
                            std::map<std::string, ForKind>{{"k", ForKind::Unrolled}},
                            std::map<std::string, ForKind>{{"i1", ForKind::Unrolled},
                                                           {"k", ForKind::Vectorized}}}) {
    const LoweredFunc func{"matmul_hinted", serial.params, SetLoopKinds(kinds).mutate(serial.body)};
    testing::expect_same_as_interpreter(func, 6);
  }
}

// Guards as a split that does not divide leaves them: if / else, nested, inside loops.
TEST(CodegenNest, IfThenElseGuards) {
  Buffer A("A", Type::f32(), {30}), B("B", Type::f32(), {30});
  const Var o("o"), i("i");
  const Expr index = o * 4 + i;
  const Stmt guarded = IfThenElse::make(
      index < 30,
      IfThenElse::make(index % 3 > 0, Store::make(B, Load::make(A, index) * 3.0f, index),
                       Store::make(B, Load::make(A, index) - 1.0f, index)));
  const Stmt body = For::make(o, make_zero(Type::i32()), make_const(Type::i32(), int64_t{8}), ForKind::Serial,
                              For::make(i, make_zero(Type::i32()), make_const(Type::i32(), int64_t{4}),
                                        ForKind::Serial, guarded));
  testing::expect_same_as_interpreter({"guards", {A, B}, body}, 9);
}

// Loop variables and indices of type i64, in serial, parallel and vector code.
TEST(CodegenNest, SixtyFourBitLoopVariablesAndIndices) {
  Buffer A("A", Type::f32(), {48}), B("B", Type::f32(), {48});
  const Var i("i", Type::i64()), j("j", Type::i64());
  const Expr zero = make_zero(Type::i64());
  const Expr at = Ramp::make(i * 8, make_one(Type::i64()), 8);
  const Stmt vector = For::make(i, zero, make_const(Type::i64(), int64_t{6}), ForKind::Parallel,
                                Store::make(B, Load::make(A, at) * Broadcast::make(cast(Type::f32(), i), 8), at));
  const Stmt scalar = For::make(j, make_const(Type::i64(), int64_t{40}), make_const(Type::i64(), int64_t{8}),
                                ForKind::Serial, Store::make(B, Load::make(B, j) + Load::make(A, 47 - j), j));
  tbb::task_arena arena(2);
  arena.execute([&] { testing::expect_same_as_interpreter({"wide", {A, B}, Block::make(vector, scalar)}, 10); });
}

// Nested parallel loops over a min that is not 0 and a body that reads an outer variable.
TEST(CodegenNest, ParallelLoopCapturesOuterVariables) {
  Buffer A("A", Type::f32(), {6, 7}), B("B", Type::f32(), {6, 7});
  const Var i("i"), j("j");
  const Stmt body = For::make(
      i, make_const(Type::i32(), int64_t{1}), make_const(Type::i32(), int64_t{5}), ForKind::Serial,
      For::make(j, make_const(Type::i32(), int64_t{2}), make_const(Type::i32(), int64_t{5}),
                ForKind::Parallel,
                Store::make(B, Load::make(A, i * 7 + j) * cast(Type::f32(), i - j) + Load::make(A, i),
                            i * 7 + j)));
  tbb::task_arena arena(2);
  arena.execute([&] { testing::expect_same_as_interpreter({"captures", {A, B}, body}, 7); });
}

}  // namespace
}  // namespace nas::codegen

namespace nas::codegen {
namespace {

using namespace loop;

// A matmul whose reduction runs in chunks, each prefetching the next chunk's rows of B
// (past the end of B on the last): compiled, it computes what the interpreter does, and
// the prefetch is a read prefetch into L2 (locality 2).
TEST(CodegenNest, PrefetchAheadComputesTheSameAndEmitsPrefetches) {
  const int64_t M = 5, K = 12, N = 16;
  Tensor A = Tensor::placeholder("A", {M, K}), B = Tensor::placeholder("B", {K, N});
  Axis k = reduce_axis("k", K);
  Tensor C = compute("C", {M, N}, [&](const std::vector<Var>& ij) {
    return sum(A(ij[0], k) * B(k, ij[1]), {k});
  });
  Schedule schedule;
  schedule.split("C", "k", 4)
      .reorder("C", {"i0", "k.o", "k.i", "i1"})
      .vectorize("C", "i1")
      .prefetch("C", "B", "k.o", 1);
  const LoweredFunc func{"chunked_matmul", {A.buffer(), B.buffer(), C.buffer()}, lower({C}, schedule)};
  testing::expect_same_as_interpreter(func, 7);
  const std::string ir = emit_llvm_ir({func}, target::host_target(), false);
  EXPECT_NE(ir.find("call void @llvm.prefetch.p0(ptr %"), std::string::npos) << ir;
  EXPECT_NE(ir.find(", i32 0, i32 2, i32 1)"), std::string::npos) << ir;
}

}  // namespace
}  // namespace nas::codegen
