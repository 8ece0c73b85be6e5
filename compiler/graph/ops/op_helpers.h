// Small helpers shared by the op definitions: shape-function building blocks and index
// arithmetic for broadcasting. Kept obviously right rather than fast.
#pragma once

#include <cmath>
#include <vector>

#include "compiler/graph/op_registry.h"

namespace nas::graph::ops {

// Maps a linear index of a broadcast output to the linear index of one input.
class BroadcastIndex {
 public:
  BroadcastIndex(const Shape& out, const Shape& in);
  int64_t operator()(int64_t out_index) const;

 private:
  std::vector<int64_t> out_dims_;
  std::vector<int64_t> in_strides_;  // 0 on broadcast axes, aligned to out rank
};

// Shape function of a unary elementwise op: one float input, same type out.
std::vector<TensorType> same_as_input0(const InferContext& c);
// Shape function of a numpy-broadcasting binary op on floats.
std::vector<TensorType> broadcast_binary(const InferContext& c);
// Checks input i is a float tensor (f32, or f64 in checks), else fails naming it.
void expect_float(const InferContext& c, size_t i);
// FLOPs: `per_element` per element of the broadcast output.
int64_t elementwise_flops(const InferContext& c, int64_t per_element = 1);

// Applies f to every element: out[i] = f(in[i]).
template <class T, class F>
void map_unary(const KernelContext& c, F f) {
  const T* x = c.in(0).data<T>();
  T* y = c.out(0).data<T>();
  const int64_t n = c.out(0).numel();
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// out[i] = f(a[bcast(i)], b[bcast(i)]) with numpy broadcasting.
template <class T, class F>
void map_binary(const KernelContext& c, F f) {
  const Tensor& a = c.in(0);
  const Tensor& b = c.in(1);
  Tensor& y = c.out(0);
  const BroadcastIndex ia(y.shape(), a.shape()), ib(y.shape(), b.shape());
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  for (int64_t i = 0; i < y.numel(); ++i) py[i] = f(pa[ia(i)], pb[ib(i)]);
}

}  // namespace nas::graph::ops
