// Emits LLVM IR for loop IR, one visitor over expressions and statements.
//
// Every loop IR function becomes an internal, always-inlined "<name>.body" taking one
// noalias, 64-byte-aligned, dereferenceable pointer per buffer, and the exported wrapper
// "<name>(void* const* args)" that loads the pointers and calls it; inlining turns the
// noalias parameters into alias scopes, so LLVM knows that buffers never overlap.
//
// A parallel loop is outlined the same way: "<name>.parallelN.body" takes the loop variable,
// the variables and buffers its body refers to, and "<name>.parallelN(closure, index)" reads
// them from a closure struct the caller fills, for nas_parallel_for to call.
//
// Semantics follow loop/expr.h exactly, without undefined behaviour: integer division and
// modulo are floor operations with divisor 0 (and -1, which would trap) handled by selects,
// float-to-int casts saturate through i64 and then wrap, Min/Max of floats are the
// interpreter's std::min/std::max (fcmp olt + select). One assumption is added: arithmetic
// inside the index of a Load or Store does not overflow (nsw), which holds for in-bounds
// indices computed from in-range parts and lets LLVM see consecutive accesses.
#include "compiler/codegen/llvm_codegen.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "compiler/codegen/vector_math.h"
#include "compiler/loop/mutator.h"
#include "compiler/support/error.h"

namespace nas::codegen {

namespace {

using namespace loop;

constexpr unsigned kBufferAlignment = 64;  // function.h's contract; allocas get the same
// Consecutive stores emitted interleaved (emit_stores_interleaved): enough chains to hide
// each other's latency, few enough that their temporaries stay in registers.
constexpr size_t kInterleavedStores = 3;
// Allocations above this size use the heap: oneTBB's worker threads have 4 MiB stacks.
constexpr int64_t kMaxStackBytes = 256 * 1024;

// The variables and buffers a statement refers to, in the order of first use.
class References : public IRVisitor {
 public:
  std::vector<const Variable*> vars;
  std::vector<Buffer> buffers;

 protected:
  using IRVisitor::visit;
  void visit(const Variable* op) override {
    if (seen_vars_.insert(op).second) vars.push_back(op);
  }
  void visit(const Load* op) override {
    add(op->buffer);
    IRVisitor::visit(op);
  }
  void visit(const Store* op) override {
    add(op->buffer);
    IRVisitor::visit(op);
  }
  void visit(const Allocate* op) override {
    allocated_.insert(op->buffer.get());
    IRVisitor::visit(op);
  }

 private:
  void add(const Buffer& buffer) {
    if (!allocated_.contains(buffer.get()) && seen_buffers_.insert(buffer.get()).second)
      buffers.push_back(buffer);
  }
  std::set<const Variable*> seen_vars_;
  std::set<const BufferNode*> seen_buffers_;
  std::set<const BufferNode*> allocated_;
};

// The largest power of two (at most 64) that provably divides an integer expression.
int64_t known_power_of_two_factor(const Expr& e) {
  constexpr int64_t kCap = 64;
  if (const auto* imm = e.as<IntImm>()) {
    if (imm->value == 0) return kCap;
    return std::min<int64_t>(kCap, imm->value & -imm->value);
  }
  if (const auto* b = e.as<Broadcast>()) return known_power_of_two_factor(b->value);
  if (e.kind() == ExprKind::Add || e.kind() == ExprKind::Sub) {
    const auto* op = e.as<BinaryNode>();
    return std::min(known_power_of_two_factor(op->a), known_power_of_two_factor(op->b));
  }
  if (e.kind() == ExprKind::Mul) {
    const auto* op = e.as<BinaryNode>();
    return std::min(kCap, known_power_of_two_factor(op->a) * known_power_of_two_factor(op->b));
  }
  return 1;
}

class Emitter {
 public:
  Emitter(llvm::Module& module, const llvm::TargetMachine& machine)
      : context_(module.getContext()), module_(module), builder_(context_),
        cpu_(machine.getTargetCPU().str()), features_(machine.getTargetFeatureString().str()),
        math_features_(VectorMathFeatures::of(features_)) {}

  void emit_function(const LoweredFunc& func) {
    NAS_CHECK(!func.name.empty() && module_.getFunction(func.name) == nullptr,
              "function name '{}' is empty or not unique in the module", func.name);
    std::set<const BufferNode*> distinct;
    for (const Buffer& b : func.params)
      NAS_CHECK(distinct.insert(b.get()).second, "buffer {} is a parameter of {} twice", b.name(),
                func.name);
    function_name_ = func.name;
    parallel_count_ = 0;
    llvm::Function* body = emit_body_function(func.name + ".body", {}, func.params, func.body,
                                              /*in_parallel=*/false);

    llvm::Type* ptr = builder_.getPtrTy();
    auto* wrapper = llvm::Function::Create(
        llvm::FunctionType::get(builder_.getVoidTy(), {ptr}, false),
        llvm::GlobalValue::ExternalLinkage, func.name, module_);
    set_common_attributes(wrapper);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", wrapper));
    std::vector<llvm::Value*> args;
    for (size_t i = 0; i < func.params.size(); ++i) {
      llvm::Value* slot = b.CreateConstInBoundsGEP1_64(ptr, wrapper->getArg(0), i);
      llvm::LoadInst* pointer = b.CreateLoad(ptr, slot, func.params[i].name());
      // What the body's parameter attributes say, kept here where inlining leaves the code.
      pointer->setMetadata(llvm::LLVMContext::MD_align, size_metadata(kBufferAlignment));
      pointer->setMetadata(llvm::LLVMContext::MD_nonnull, llvm::MDNode::get(context_, {}));
      pointer->setMetadata(llvm::LLVMContext::MD_noundef, llvm::MDNode::get(context_, {}));
      if (const int64_t bytes = buffer_bytes(func.params[i]); bytes > 0)
        pointer->setMetadata(llvm::LLVMContext::MD_dereferenceable, size_metadata(bytes));
      args.push_back(pointer);
    }
    b.CreateCall(body, args);
    b.CreateRetVoid();
  }

 private:
  // ---- Types -----------------------------------------------------------------------------

  llvm::Type* scalar_type(ScalarType t) {
    switch (t) {
      case ScalarType::Bool: return builder_.getInt1Ty();
      case ScalarType::I32: return builder_.getInt32Ty();
      case ScalarType::I64: return builder_.getInt64Ty();
      case ScalarType::F32: return builder_.getFloatTy();
    }
    return nullptr;
  }
  llvm::Type* value_type(Type t) {
    llvm::Type* s = scalar_type(t.scalar());
    return t.is_vector() ? llvm::FixedVectorType::get(s, t.lanes()) : s;
  }
  // Bools are one byte each in memory (a vector of i1 would be packed bits).
  llvm::Type* memory_type(Type t) {
    llvm::Type* s = t.is_bool() ? builder_.getInt8Ty() : scalar_type(t.scalar());
    return t.is_vector() ? llvm::FixedVectorType::get(s, t.lanes()) : s;
  }
  static int64_t element_bytes(Type t) { return t.is_bool() ? 1 : t.bits() / 8; }

  // ---- Functions -------------------------------------------------------------------------

  void set_common_attributes(llvm::Function* f) {
    f->addFnAttr("target-cpu", cpu_);
    f->addFnAttr("target-features", features_);
    f->addFnAttr(llvm::Attribute::NoUnwind);
  }

  static int64_t buffer_bytes(const Buffer& buffer) {
    return buffer.numel() * element_bytes(buffer.element_type());
  }
  llvm::MDNode* size_metadata(int64_t value) {
    return llvm::MDNode::get(context_, {llvm::ConstantAsMetadata::get(builder_.getInt64(value))});
  }

  void add_buffer_param_attributes(llvm::Function* f, unsigned index, const Buffer& buffer) {
    f->addParamAttr(index, llvm::Attribute::NoAlias);
    f->addParamAttr(index, llvm::Attribute::getWithAlignment(context_, llvm::Align(kBufferAlignment)));
    if (const int64_t bytes = buffer_bytes(buffer); bytes > 0)
      f->addParamAttr(index, llvm::Attribute::getWithDereferenceableBytes(context_, bytes));
  }

  // An internal, always-inlined function running `body` with `vars` and `buffers` bound to
  // its parameters, in that order.
  llvm::Function* emit_body_function(const std::string& name,
                                     const std::vector<const Variable*>& vars,
                                     const std::vector<Buffer>& buffers, const Stmt& body,
                                     bool in_parallel) {
    std::vector<llvm::Type*> params;
    for (const Variable* v : vars) params.push_back(value_type(v->type));
    for (size_t i = 0; i < buffers.size(); ++i) params.push_back(builder_.getPtrTy());
    auto* f = llvm::Function::Create(llvm::FunctionType::get(builder_.getVoidTy(), params, false),
                                     llvm::GlobalValue::InternalLinkage, name, module_);
    set_common_attributes(f);
    f->addFnAttr(llvm::Attribute::AlwaysInline);
    for (size_t i = 0; i < buffers.size(); ++i)
      add_buffer_param_attributes(f, vars.size() + i, buffers[i]);

    // A fresh scope: only what the parameters bind is visible inside.
    FunctionState saved = std::move(state_);
    const llvm::IRBuilderBase::InsertPoint saved_point = builder_.saveIP();
    state_ = FunctionState{};
    state_.function = f;
    state_.entry = llvm::BasicBlock::Create(context_, "entry", f);
    state_.in_parallel = in_parallel;
    builder_.SetInsertPoint(state_.entry);
    for (size_t i = 0; i < vars.size(); ++i) {
      f->getArg(i)->setName(vars[i]->name);
      state_.vars[vars[i]] = f->getArg(i);
    }
    for (size_t i = 0; i < buffers.size(); ++i) {
      llvm::Argument* arg = f->getArg(vars.size() + i);
      arg->setName(buffers[i].name());
      state_.buffers[buffers[i].get()] = arg;
    }
    emit(body);
    builder_.CreateRetVoid();
    state_ = std::move(saved);
    builder_.restoreIP(saved_point);
    return f;
  }

  // ---- Statements ------------------------------------------------------------------------

  void emit(const Stmt& s) {
    NAS_CHECK(s.defined(), "codegen of an undefined statement");
    switch (s.kind()) {
      case StmtKind::For: return emit_for(s.as<For>());
      case StmtKind::Store: return emit_store(s.as<Store>());
      case StmtKind::Block: return emit_block(s.as<Block>());
      case StmtKind::IfThenElse: return emit_if(s.as<IfThenElse>());
      case StmtKind::Allocate: return emit_allocate(s.as<Allocate>());
      case StmtKind::Evaluate: emit(s.as<Evaluate>()->value); return;
      case StmtKind::Prefetch: return emit_prefetch(s.as<Prefetch>());
    }
  }

  // Runs of consecutive stores, up to kInterleavedStores, none reading a buffer that an
  // earlier one of the run writes, are emitted interleaved (emit_stores_interleaved).
  void emit_block(const Block* block) {
    const std::vector<Stmt>& stmts = block->stmts;
    for (size_t begin = 0; begin < stmts.size();) {
      std::vector<const Store*> run;
      std::set<const BufferNode*> written;
      for (size_t i = begin; i < stmts.size() && run.size() < kInterleavedStores; ++i) {
        const Store* store = stmts[i].as<Store>();
        if (!store || reads_any(store->value, written)) break;
        run.push_back(store);
        written.insert(store->buffer.get());
      }
      if (run.size() >= 2) {
        emit_stores_interleaved(run);
        begin += run.size();
      } else {
        emit(stmts[begin++]);
      }
    }
  }

  // The stores' values first, one operation of each value in turn, then the stores in
  // order. An epilogue's activation is a chain of 50 and more dependent vector operations
  // (exp, polynomials); emitted one value after the other, the out-of-order core's window
  // fills with one chain's waiting operations before it reaches the next. Side by side,
  // neighbouring chains fill each other's waits (a Linear 96 -> 384 with GELU took 0.89x
  // the time). The values read no buffer an earlier store of the run writes, so computing
  // them before those stores changes nothing.
  void emit_stores_interleaved(const std::vector<const Store*>& run) {
    std::vector<std::vector<const ExprNode*>> orders;
    size_t longest = 0;
    for (const Store* store : run) {
      orders.push_back(operations_in_post_order(store->value));
      longest = std::max(longest, orders.back().size());
    }
    std::unordered_map<const ExprNode*, llvm::Value*> values;
    interleaved_values_ = &values;
    for (size_t step = 0; step < longest; ++step)
      for (const std::vector<const ExprNode*>& order : orders)
        if (step < order.size()) emit(Expr(order[step]));
    for (const Store* store : run) emit_store(store);
    interleaved_values_ = nullptr;
  }

  // The nodes of a value, each once, children first. Loads, ramps, broadcasts, constants
  // and variables are leaves: one step each.
  static std::vector<const ExprNode*> operations_in_post_order(const Expr& value) {
    std::vector<const ExprNode*> order;
    std::unordered_set<const ExprNode*> seen;
    std::vector<std::pair<const ExprNode*, bool>> stack = {{value.get(), false}};
    while (!stack.empty()) {
      auto [node, children_done] = stack.back();
      stack.pop_back();
      if (children_done) {
        order.push_back(node);
        continue;
      }
      if (!seen.insert(node).second) continue;
      stack.push_back({node, true});
      const std::vector<Expr> children = operands(Expr(node));
      for (auto it = children.rbegin(); it != children.rend(); ++it)
        if (!seen.contains(it->get())) stack.push_back({it->get(), false});
    }
    return order;
  }

  // The operands that operations_in_post_order walks into.
  static std::vector<Expr> operands(const Expr& e) {
    if (const auto* op = e.as<BinaryNode>()) return {op->a, op->b};
    if (const auto* op = e.as<Not>()) return {op->a};
    if (const auto* op = e.as<Select>()) return {op->condition, op->true_value, op->false_value};
    if (const auto* op = e.as<Cast>()) return {op->value};
    if (const auto* op = e.as<Call>()) return op->args;
    return {};
  }

  // Whether `value` loads from any of `buffers`.
  static bool reads_any(const Expr& value, const std::set<const BufferNode*>& buffers) {
    if (buffers.empty()) return false;
    std::unordered_set<const ExprNode*> seen;
    std::vector<Expr> stack = {value};
    while (!stack.empty()) {
      const Expr e = stack.back();
      stack.pop_back();
      if (!seen.insert(e.get()).second) continue;
      if (const auto* load = e.as<Load>()) {
        if (buffers.contains(load->buffer.get())) return true;
        stack.push_back(load->index);
      } else if (const auto* ramp = e.as<Ramp>()) {
        stack.push_back(ramp->base);
        stack.push_back(ramp->stride);
      } else if (const auto* broadcast = e.as<Broadcast>()) {
        stack.push_back(broadcast->value);
      } else {
        for (const Expr& operand : operands(e)) stack.push_back(operand);
      }
    }
    return false;
  }

  void emit_for(const For* op) {
    if (op->for_kind == ForKind::Parallel && !state_.in_parallel) return emit_parallel_for(op);
    llvm::Value* min = emit(op->min);
    llvm::Value* extent = emit(op->extent);
    llvm::Value* end = builder_.CreateAdd(min, extent, op->var.name() + ".end");
    llvm::Function* f = state_.function;
    llvm::BasicBlock* preheader = builder_.GetInsertBlock();
    auto* header = llvm::BasicBlock::Create(context_, op->var.name() + ".header", f);
    auto* body = llvm::BasicBlock::Create(context_, op->var.name() + ".body", f);
    auto* exit = llvm::BasicBlock::Create(context_, op->var.name() + ".exit", f);
    builder_.CreateBr(header);

    builder_.SetInsertPoint(header);
    llvm::PHINode* var = builder_.CreatePHI(value_type(op->var.type()), 2, op->var.name());
    var->addIncoming(min, preheader);
    builder_.CreateCondBr(builder_.CreateICmpSLT(var, end), body, exit);

    builder_.SetInsertPoint(body);
    {
      Binding binding(state_.vars, op->var.node(), var);
      emit(op->body);
    }
    llvm::BasicBlock* latch = builder_.GetInsertBlock();
    llvm::Value* next = builder_.CreateAdd(var, llvm::ConstantInt::get(var->getType(), 1),
                                           op->var.name() + ".next", /*HasNUW=*/false,
                                           /*HasNSW=*/true);
    llvm::BranchInst* back = builder_.CreateBr(header);
    var->addIncoming(next, latch);
    if (llvm::MDNode* hints = loop_hints(op->for_kind)) back->setMetadata(llvm::LLVMContext::MD_loop, hints);
    builder_.SetInsertPoint(exit);
  }

  llvm::MDNode* loop_hints(ForKind kind) {
    std::vector<llvm::Metadata*> ops{nullptr};  // the self reference
    if (kind == ForKind::Vectorized)
      ops.push_back(llvm::MDNode::get(
          context_, {llvm::MDString::get(context_, "llvm.loop.vectorize.enable"),
                     llvm::ConstantAsMetadata::get(builder_.getTrue())}));
    else if (kind == ForKind::Unrolled)
      ops.push_back(llvm::MDNode::get(context_, {llvm::MDString::get(context_, "llvm.loop.unroll.full")}));
    else
      return nullptr;
    llvm::MDNode* node = llvm::MDNode::getDistinct(context_, ops);
    node->replaceOperandWith(0, node);
    return node;
  }

  // The body becomes a closure that nas_parallel_for calls once per index.
  void emit_parallel_for(const For* op) {
    const std::optional<int64_t> constant_extent = as_const_int(op->extent);
    NAS_CHECK(!constant_extent || *constant_extent <= INT32_MAX,
              "parallel loop {} of {} iterations (nas_parallel_for takes an i32 extent)",
              op->var.name(), *constant_extent);
    llvm::Value* min = emit(op->min);
    llvm::Value* extent = emit(op->extent);

    References refs;
    refs.include(op->body);
    std::vector<const Variable*> captured_vars{op->var.node()};
    std::vector<llvm::Value*> captured_values{min};
    for (const Variable* v : refs.vars) {
      auto it = state_.vars.find(v);
      if (v == op->var.node() || it == state_.vars.end()) continue;  // bound inside the body
      captured_vars.push_back(v);
      captured_values.push_back(it->second);
    }
    std::vector<Buffer> captured_buffers;
    for (const Buffer& b : refs.buffers) {
      NAS_CHECK(state_.buffers.contains(b.get()),
                "buffer {} is neither a parameter of {} nor allocated around its use", b.name(),
                function_name_);
      captured_buffers.push_back(b);
      captured_values.push_back(state_.buffers.at(b.get()));
    }

    // The closure: the loop's min, the captured variables, the buffer pointers.
    std::vector<llvm::Type*> fields;
    for (llvm::Value* v : captured_values) fields.push_back(v->getType());
    llvm::StructType* closure_type = llvm::StructType::get(context_, fields);
    llvm::AllocaInst* closure = entry_alloca(closure_type, "closure");
    for (size_t i = 0; i < captured_values.size(); ++i)
      builder_.CreateStore(captured_values[i], builder_.CreateStructGEP(closure_type, closure, i));

    const std::string name = function_name_ + ".parallel" + std::to_string(parallel_count_++);
    llvm::Function* body =
        emit_body_function(name + ".body", captured_vars, captured_buffers, op->body, true);

    // The trampoline nas_parallel_for calls: void(void* closure, i32 index).
    llvm::Type* i32 = builder_.getInt32Ty();
    auto* trampoline = llvm::Function::Create(
        llvm::FunctionType::get(builder_.getVoidTy(), {builder_.getPtrTy(), i32}, false),
        llvm::GlobalValue::InternalLinkage, name, module_);
    set_common_attributes(trampoline);
    {
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", trampoline));
      std::vector<llvm::Value*> args;
      for (size_t i = 0; i < fields.size(); ++i)
        args.push_back(b.CreateLoad(fields[i], b.CreateStructGEP(closure_type, trampoline->getArg(0), i)));
      llvm::Value* index = b.CreateSExtOrTrunc(trampoline->getArg(1), fields[0]);
      args[0] = b.CreateAdd(args[0], index, op->var.name(), false, /*HasNSW=*/true);
      b.CreateCall(body, args);
      b.CreateRetVoid();
    }

    llvm::FunctionCallee parallel_for = module_.getOrInsertFunction(
        "nas_parallel_for", llvm::FunctionType::get(builder_.getVoidTy(),
                                                    {i32, builder_.getPtrTy(), builder_.getPtrTy()},
                                                    false));
    builder_.CreateCall(parallel_for, {builder_.CreateSExtOrTrunc(extent, i32), trampoline, closure});
  }

  void emit_if(const IfThenElse* op) {
    llvm::Value* condition = emit(op->condition);
    llvm::Function* f = state_.function;
    auto* then_block = llvm::BasicBlock::Create(context_, "then", f);
    auto* else_block = op->else_case.defined() ? llvm::BasicBlock::Create(context_, "else", f) : nullptr;
    auto* merge = llvm::BasicBlock::Create(context_, "endif", f);
    builder_.CreateCondBr(condition, then_block, else_block ? else_block : merge);
    builder_.SetInsertPoint(then_block);
    emit(op->then_case);
    builder_.CreateBr(merge);
    if (else_block) {
      builder_.SetInsertPoint(else_block);
      emit(op->else_case);
      builder_.CreateBr(merge);
    }
    builder_.SetInsertPoint(merge);
  }

  llvm::AllocaInst* entry_alloca(llvm::Type* type, const std::string& name) {
    llvm::IRBuilder<> b(state_.entry, state_.entry->begin());
    llvm::AllocaInst* a = b.CreateAlloca(type, nullptr, name);
    a->setAlignment(llvm::Align(kBufferAlignment));
    return a;
  }

  // A stack array in the entry block, so that allocations inside loops cost nothing per
  // iteration; register-scoped ones are small arrays that SROA turns into registers. Arrays
  // too large for a worker thread's stack come from the heap around their body instead.
  void emit_allocate(const Allocate* op) {
    const Buffer& buffer = op->buffer;
    const int64_t bytes = buffer_bytes(buffer);
    if (bytes > kMaxStackBytes) {
      llvm::Type* i64 = builder_.getInt64Ty();
      llvm::Type* ptr = builder_.getPtrTy();
      llvm::FunctionCallee allocate =
          module_.getOrInsertFunction("aligned_alloc", llvm::FunctionType::get(ptr, {i64, i64}, false));
      llvm::FunctionCallee release =
          module_.getOrInsertFunction("free", llvm::FunctionType::get(builder_.getVoidTy(), {ptr}, false));
      const int64_t rounded = (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
      llvm::Value* storage = builder_.CreateCall(
          allocate, {builder_.getInt64(kBufferAlignment), builder_.getInt64(rounded)}, buffer.name());
      {
        Binding binding(state_.buffers, buffer.get(), storage);
        emit(op->body);
      }
      builder_.CreateCall(release, {storage});
      return;
    }
    llvm::Type* array = llvm::ArrayType::get(memory_type(buffer.element_type()), buffer.numel());
    llvm::AllocaInst* storage = entry_alloca(array, buffer.name());
    Binding binding(state_.buffers, buffer.get(), storage);
    emit(op->body);
  }

  // A read prefetch into every level from L2 out (prefetcht1 on x86: locality 2): the data
  // of an iteration ahead, which must not evict what the current one reads from L1. The
  // address is not marked in bounds: the index of the last iteration's successor lies
  // past the buffer, and a prefetch never faults.
  void emit_prefetch(const Prefetch* op) {
    llvm::Value* at = builder_.CreateGEP(memory_type(op->buffer.element_type()),
                                         buffer_pointer(op->buffer), emit_index(op->index));
    const int read = 0, locality = 2, data = 1;
    builder_.CreateIntrinsic(
        llvm::Intrinsic::prefetch, {builder_.getPtrTy()},
        {at, builder_.getInt32(read), builder_.getInt32(locality), builder_.getInt32(data)});
  }

  void emit_store(const Store* op) {
    const Type elem = op->buffer.element_type();
    llvm::Value* value = emit(op->value);
    if (elem.is_bool()) value = builder_.CreateZExt(value, memory_type(op->value.type()));
    llvm::Type* scalar = memory_type(elem);
    llvm::Value* base = buffer_pointer(op->buffer);
    if (const Expr dense = dense_base(op->index); dense.defined()) {
      llvm::Value* at = builder_.CreateInBoundsGEP(scalar, base, emit_index(dense));
      builder_.CreateAlignedStore(value, at, dense_alignment(elem, dense));
    } else if (op->index.type().is_scalar()) {
      llvm::Value* at = builder_.CreateInBoundsGEP(scalar, base, emit_index(op->index));
      builder_.CreateAlignedStore(value, at, llvm::Align(element_bytes(elem)));
    } else {
      // Lanes are written in order, so with repeated indices the last lane wins, as in the
      // interpreter (llvm.masked.scatter orders overlapping lanes the same way).
      llvm::Value* at = builder_.CreateInBoundsGEP(scalar, base, emit_index(op->index));
      builder_.CreateMaskedScatter(value, at, llvm::Align(element_bytes(elem)));
    }
  }

  // ---- Expressions -----------------------------------------------------------------------

  llvm::Value* emit(const Expr& e) {
    if (interleaved_values_ == nullptr || in_index_ > 0) return emit_node(e);
    if (auto it = interleaved_values_->find(e.get()); it != interleaved_values_->end())
      return it->second;
    llvm::Value* v = emit_node(e);
    interleaved_values_->emplace(e.get(), v);
    return v;
  }

  llvm::Value* emit_node(const Expr& e) {
    NAS_CHECK(e.defined(), "codegen of an undefined expression");
    const Type type = e.type();
    switch (e.kind()) {
      case ExprKind::IntImm:
        return llvm::ConstantInt::get(value_type(type), e.as<IntImm>()->value, /*IsSigned=*/true);
      case ExprKind::FloatImm:
        return llvm::ConstantFP::get(value_type(type), static_cast<float>(e.as<FloatImm>()->value));
      case ExprKind::Variable: {
        const auto* v = e.as<Variable>();
        auto it = state_.vars.find(v);
        NAS_CHECK(it != state_.vars.end(), "variable {} is used outside the loop that binds it in {}",
                  v->name, function_name_);
        return it->second;
      }
      case ExprKind::Not: return builder_.CreateNot(emit(e.as<Not>()->a));
      case ExprKind::Select: {
        const auto* op = e.as<Select>();
        llvm::Value* c = emit(op->condition);
        llvm::Value* t = emit(op->true_value);
        llvm::Value* f = emit(op->false_value);
        return builder_.CreateSelect(c, t, f);
      }
      case ExprKind::Cast: return emit_cast(type, e.as<Cast>()->value);
      case ExprKind::Load: return emit_load(e.as<Load>());
      case ExprKind::Ramp: {
        const auto* op = e.as<Ramp>();
        llvm::Value* base = builder_.CreateVectorSplat(op->lanes, emit(op->base));
        llvm::Value* stride = builder_.CreateVectorSplat(op->lanes, emit(op->stride));
        std::vector<llvm::Constant*> steps;
        for (int i = 0; i < op->lanes; ++i)
          steps.push_back(llvm::ConstantInt::get(value_type(type.element_of()), i));
        llvm::Value* offsets = builder_.CreateMul(stride, llvm::ConstantVector::get(steps), "",
                                                  false, in_index_ > 0);
        return builder_.CreateAdd(base, offsets, "", false, in_index_ > 0);
      }
      case ExprKind::Broadcast: {
        const auto* op = e.as<Broadcast>();
        return builder_.CreateVectorSplat(op->lanes, emit(op->value));
      }
      case ExprKind::Call: return emit_call(e.as<Call>());
      default: return emit_binary(e.as<BinaryNode>());
    }
  }

  // An index expression: its Add, Sub and Mul do not overflow (see the file comment).
  llvm::Value* emit_index(const Expr& e) {
    ++in_index_;
    llvm::Value* v = emit(e);
    --in_index_;
    return v;
  }

  // The scalar base of a stride-1 Ramp index (one vector access), else undefined.
  static Expr dense_base(const Expr& index) {
    const auto* ramp = index.as<Ramp>();
    if (ramp && is_const(ramp->stride, 1)) return ramp->base;
    return Expr();
  }

  // Buffers start 64-byte aligned, so base * element size tells the alignment of a vector.
  static llvm::Align dense_alignment(Type elem, const Expr& base) {
    const int64_t bytes = element_bytes(elem);
    return llvm::Align(std::min<int64_t>(kBufferAlignment, bytes * known_power_of_two_factor(base)));
  }

  llvm::Value* buffer_pointer(const Buffer& buffer) {
    auto it = state_.buffers.find(buffer.get());
    NAS_CHECK(it != state_.buffers.end(),
              "buffer {} is neither a parameter of {} nor allocated around its use", buffer.name(),
              function_name_);
    return it->second;
  }

  llvm::Value* emit_load(const Load* op) {
    const Type elem = op->buffer.element_type();
    llvm::Type* scalar = memory_type(elem);
    llvm::Type* loaded = memory_type(op->type);
    llvm::Value* base = buffer_pointer(op->buffer);
    llvm::Value* value;
    if (const Expr dense = dense_base(op->index); dense.defined()) {
      llvm::Value* at = builder_.CreateInBoundsGEP(scalar, base, emit_index(dense));
      value = builder_.CreateAlignedLoad(loaded, at, dense_alignment(elem, dense));
    } else if (op->index.type().is_scalar()) {
      llvm::Value* at = builder_.CreateInBoundsGEP(scalar, base, emit_index(op->index));
      value = builder_.CreateAlignedLoad(loaded, at, llvm::Align(element_bytes(elem)));
    } else {
      llvm::Value* at = builder_.CreateInBoundsGEP(scalar, base, emit_index(op->index));
      value = builder_.CreateMaskedGather(loaded, at, llvm::Align(element_bytes(elem)));
    }
    if (elem.is_bool()) value = builder_.CreateICmpNE(value, llvm::Constant::getNullValue(loaded));
    return value;
  }

  llvm::Value* emit_cast(Type to, const Expr& value) {
    const Type from = value.type();
    llvm::Value* v = emit(value);
    if (to.scalar() == from.scalar()) return v;
    llvm::Type* target = value_type(to);
    if (to.is_float()) return from.is_bool() ? builder_.CreateUIToFP(v, target) : builder_.CreateSIToFP(v, target);
    if (from.is_float()) {
      // Truncation through i64 as the interpreter does; saturating, so never poison.
      llvm::Type* i64 = value_type(Type::i64(to.lanes()));
      v = builder_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {i64, v->getType()}, {v});
      if (to.scalar() == ScalarType::I64) return v;
      if (to.is_bool()) return builder_.CreateICmpNE(v, llvm::Constant::getNullValue(i64));
      return builder_.CreateTrunc(v, target);
    }
    if (to.is_bool()) return builder_.CreateICmpNE(v, llvm::Constant::getNullValue(v->getType()));
    if (from.is_bool()) return builder_.CreateZExt(v, target);
    return builder_.CreateSExtOrTrunc(v, target);
  }

  llvm::Value* emit_call(const Call* op) {
    std::vector<llvm::Value*> args;
    for (const Expr& a : op->args) args.push_back(emit(a));
    llvm::Type* type = value_type(op->type);
    switch (op->op) {
      // Polynomials, not llvm.exp / llvm.log: LLVM would call libm once per lane.
      case Intrinsic::Exp: return emit_exp_f32(builder_, args[0], math_features_);
      case Intrinsic::Log: return emit_log_f32(builder_, args[0]);
      case Intrinsic::Sqrt: return builder_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, args[0]);
      case Intrinsic::Abs: return builder_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, args[0]);
      case Intrinsic::Fma: return builder_.CreateIntrinsic(llvm::Intrinsic::fma, {type}, args);
    }
    NAS_CHECK(false, "unknown intrinsic {}", intrinsic_name(op->op));
    return nullptr;
  }

  llvm::Value* emit_binary(const BinaryNode* op) {
    llvm::Value* a = emit(op->a);
    llvm::Value* b = emit(op->b);
    const Type operand = op->a.type();
    if (is_comparison(op->kind)) return emit_comparison(op->kind, operand, a, b);
    switch (op->kind) {
      case ExprKind::And: return builder_.CreateAnd(a, b);
      case ExprKind::Or: return builder_.CreateOr(a, b);
      default: break;
    }
    if (operand.is_float()) return emit_float_arithmetic(op->kind, a, b);
    return emit_int_arithmetic(op, a, b);
  }

  llvm::Value* emit_comparison(ExprKind kind, Type operand, llvm::Value* a, llvm::Value* b) {
    using P = llvm::CmpInst::Predicate;
    if (operand.is_float()) {
      // C++'s comparisons: ordered, except != (true when either side is NaN).
      switch (kind) {
        case ExprKind::EQ: return builder_.CreateFCmp(P::FCMP_OEQ, a, b);
        case ExprKind::NE: return builder_.CreateFCmp(P::FCMP_UNE, a, b);
        case ExprKind::LT: return builder_.CreateFCmp(P::FCMP_OLT, a, b);
        case ExprKind::LE: return builder_.CreateFCmp(P::FCMP_OLE, a, b);
        case ExprKind::GT: return builder_.CreateFCmp(P::FCMP_OGT, a, b);
        default: return builder_.CreateFCmp(P::FCMP_OGE, a, b);
      }
    }
    switch (kind) {
      case ExprKind::EQ: return builder_.CreateICmpEQ(a, b);
      case ExprKind::NE: return builder_.CreateICmpNE(a, b);
      case ExprKind::LT: return builder_.CreateICmpSLT(a, b);
      case ExprKind::LE: return builder_.CreateICmpSLE(a, b);
      case ExprKind::GT: return builder_.CreateICmpSGT(a, b);
      default: return builder_.CreateICmpSGE(a, b);
    }
  }

  // IEEE f32, except that a * b + c may contract into an FMA and sums and products may be
  // reassociated (vectorized reductions); no nnan / ninf / nsz: -inf and NaN stay meaningful.
  llvm::Value* float_op(llvm::Instruction::BinaryOps opcode, llvm::Value* a, llvm::Value* b) {
    llvm::Value* v = builder_.CreateBinOp(opcode, a, b);
    if (auto* inst = llvm::dyn_cast<llvm::Instruction>(v)) {
      llvm::FastMathFlags flags;
      flags.setAllowContract();
      if (opcode == llvm::Instruction::FAdd || opcode == llvm::Instruction::FMul) flags.setAllowReassoc();
      inst->setFastMathFlags(flags);
    }
    return v;
  }

  llvm::Value* emit_float_arithmetic(ExprKind kind, llvm::Value* a, llvm::Value* b) {
    using P = llvm::CmpInst::Predicate;
    switch (kind) {
      case ExprKind::Add: return float_op(llvm::Instruction::FAdd, a, b);
      case ExprKind::Sub: return float_op(llvm::Instruction::FSub, a, b);
      case ExprKind::Mul: return float_op(llvm::Instruction::FMul, a, b);
      case ExprKind::Div: return builder_.CreateFDiv(a, b);
      // std::min(a, b) is (b < a) ? b : a; std::max(a, b) is (a < b) ? b : a.
      case ExprKind::Min: return builder_.CreateSelect(builder_.CreateFCmp(P::FCMP_OLT, b, a), b, a);
      case ExprKind::Max: return builder_.CreateSelect(builder_.CreateFCmp(P::FCMP_OLT, a, b), b, a);
      default: break;
    }
    NAS_CHECK(false, "{} of floats", kind_name(kind));
    return nullptr;
  }

  llvm::Value* emit_int_arithmetic(const BinaryNode* op, llvm::Value* a, llvm::Value* b) {
    const bool nsw = in_index_ > 0;
    switch (op->kind) {
      case ExprKind::Add: return builder_.CreateAdd(a, b, "", false, nsw);
      case ExprKind::Sub: return builder_.CreateSub(a, b, "", false, nsw);
      case ExprKind::Mul: return builder_.CreateMul(a, b, "", false, nsw);
      case ExprKind::Min: return builder_.CreateBinaryIntrinsic(llvm::Intrinsic::smin, a, b);
      case ExprKind::Max: return builder_.CreateBinaryIntrinsic(llvm::Intrinsic::smax, a, b);
      case ExprKind::Div:
      case ExprKind::Mod: return emit_floor_div_mod(op->kind == ExprKind::Div, op->b, a, b);
      default: break;
    }
    NAS_CHECK(false, "{} of integers", kind_name(op->kind));
    return nullptr;
  }

  // Floor division / modulo (expr.h): x / 0 = x % 0 = 0, and the divisor -1 (whose sdiv
  // traps on the minimum value) gives -x and 0.
  llvm::Value* emit_floor_div_mod(bool is_div, const Expr& divisor, llvm::Value* a, llvm::Value* b) {
    llvm::Type* type = a->getType();
    auto constant = [&](int64_t v) { return llvm::ConstantInt::get(type, v, true); };
    llvm::Value* zero = constant(0);
    if (std::optional<int64_t> c = as_const_int(divisor); c && *c > 0) {
      if ((*c & (*c - 1)) == 0) {  // a power of two: a shift or a mask
        const int64_t shift = __builtin_ctzll(static_cast<uint64_t>(*c));
        return is_div ? builder_.CreateAShr(a, constant(shift)) : builder_.CreateAnd(a, constant(*c - 1));
      }
      llvm::Value* q = builder_.CreateSDiv(a, b);
      llvm::Value* r = builder_.CreateSRem(a, b);
      llvm::Value* negative = builder_.CreateICmpSLT(r, zero);  // the divisor is positive
      if (is_div) return builder_.CreateSub(q, builder_.CreateZExt(negative, type));
      return builder_.CreateSelect(negative, builder_.CreateAdd(r, b), r);
    }
    llvm::Value* is_zero = builder_.CreateICmpEQ(b, zero);
    llvm::Value* is_minus_one = builder_.CreateICmpEQ(b, constant(-1));
    llvm::Value* special = builder_.CreateOr(is_zero, is_minus_one);
    llvm::Value* safe = builder_.CreateSelect(special, constant(1), b);
    llvm::Value* q = builder_.CreateSDiv(a, safe);
    llvm::Value* r = builder_.CreateSRem(a, safe);
    // The remainder is nonzero and of the other sign than the divisor: round down.
    llvm::Value* adjust = builder_.CreateAnd(builder_.CreateICmpNE(r, zero),
                                             builder_.CreateICmpSLT(builder_.CreateXor(r, b), zero));
    if (is_div) {
      llvm::Value* floor_q = builder_.CreateSub(q, builder_.CreateZExt(adjust, type));
      llvm::Value* special_q = builder_.CreateSelect(is_zero, zero, builder_.CreateSub(zero, a));
      return builder_.CreateSelect(special, special_q, floor_q);
    }
    llvm::Value* floor_r = builder_.CreateSelect(adjust, builder_.CreateAdd(r, b), r);
    return builder_.CreateSelect(special, zero, floor_r);
  }

  // ---- State -----------------------------------------------------------------------------

  // Binds a key for the lifetime of the object, restoring what it shadowed.
  template <class Key>
  class Binding {
   public:
    Binding(std::map<Key, llvm::Value*>& map, Key key, llvm::Value* value) : map_(map), key_(key) {
      auto it = map.find(key);
      if (it != map.end()) saved_ = it->second;
      map[key] = value;
    }
    ~Binding() {
      if (saved_) map_[key_] = saved_;
      else map_.erase(key_);
    }

   private:
    std::map<Key, llvm::Value*>& map_;
    Key key_;
    llvm::Value* saved_ = nullptr;
  };

  struct FunctionState {
    llvm::Function* function = nullptr;
    llvm::BasicBlock* entry = nullptr;
    bool in_parallel = false;  // nested parallel loops run serially
    std::map<const Variable*, llvm::Value*> vars;
    std::map<const BufferNode*, llvm::Value*> buffers;
  };

  llvm::LLVMContext& context_;
  llvm::Module& module_;
  llvm::IRBuilder<> builder_;
  const std::string cpu_, features_;
  const VectorMathFeatures math_features_;
  std::string function_name_;
  int parallel_count_ = 0;
  int in_index_ = 0;
  // While a run of stores is emitted interleaved: the values of the nodes emitted so far.
  std::unordered_map<const ExprNode*, llvm::Value*>* interleaved_values_ = nullptr;
  FunctionState state_;
};

}  // namespace

std::unique_ptr<llvm::Module> emit_module(const std::vector<loop::LoweredFunc>& funcs,
                                          llvm::LLVMContext& context,
                                          const llvm::TargetMachine& machine) {
  auto module = std::make_unique<llvm::Module>("nas", context);
  module->setTargetTriple(machine.getTargetTriple().str());
  module->setDataLayout(machine.createDataLayout());
  Emitter emitter(*module, machine);
  for (const loop::LoweredFunc& func : funcs) emitter.emit_function(func);
  std::string problems;
  llvm::raw_string_ostream stream(problems);
  NAS_CHECK(!llvm::verifyModule(*module, &stream), "generated LLVM IR is invalid: {}", problems);
  return module;
}

}  // namespace nas::codegen
