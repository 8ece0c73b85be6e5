// Lowerings of compiler/graph/ops/norm.cc. BatchNormalization: in inference mode per
// channel (axis 1), inlined into its readers (the graph passes fold it into a preceding
// convolution where there is one); in training mode the batch mean and variance as
// per-channel stages, then Y per element and the running statistics per channel. Its
// gradient ops: per-channel sums over (n, h, w) as stages, then dX per element and the
// per-channel outputs from them.
#include <fmt/format.h>

#include "compiler/lower/compute_util.h"

namespace nas::lower {

using loop::Expr;
using loop::Var;

namespace {

NodeCompute batch_norm(const ComputeContext& c) {
  const float eps = c.attrs().f("epsilon");
  const Accessor x = c.in(0), scale = c.in(1), bias = c.in(2), mean = c.in(3), var = c.in(4);
  return NodeCompute{.outputs = {[=](const Indices& idx) {
    const Indices ch{idx[1]};
    return scale(ch) * (x(idx) - mean(ch)) / sqrt(var(ch) + f32(eps)) + bias(ch);
  }}};
}

// A per-channel reduction [C] over the other axes of X (input `x_input`: n, then h, w, ...)
// of term(indices of the element). In NCHW as two stages: partial sums [C, W] over every
// axis but the channel and the last, then their sum over W. The partial stage walks W contiguously
// in its innermost loop, so its schedule accumulates whole vectors of columns (a sum over
// all of (n, h, w) per channel would be one scalar chain). The order of the terms is fixed
// by the shape alone, so the sums are the same bits at any thread count. Appends its stages
// to `stages` and returns the sum.
loop::Tensor per_channel_sum(const ComputeContext& c, std::vector<loop::Tensor>& stages,
                             const std::string& hint,
                             const std::function<Expr(const Indices&)>& term,
                             size_t x_input = 1) {
  const graph::Shape xs = c.input_shape(x_input);
  const std::string name = c.graph.value(c.node.outputs[0]).name + hint;
  const size_t rank = xs.size();
  // Stored NCHW[x]c, X gives vectors of channels: one stage over all of (n, h, w) then.
  const bool two_level = rank >= 3 && xs.back() > 1 && c.channel_block(x_input) == 1;
  // The axes summed by the first stage: all but the channel, and the last when two_level.
  const auto terms = [&](const std::vector<loop::Var>& v, ReductionAxes& axes) {
    Indices idx{axes.add("n", xs[0]), v[0]};
    for (size_t d = 2; d < rank; ++d)
      idx.push_back(two_level && d + 1 == rank ? Expr(v[1])
                                               : axes.add(fmt::format("s{}", d), xs[d]));
    return term(idx);
  };
  if (!two_level) {
    return stages.emplace_back(loop::compute(
        c.namer(name), {xs[1]},
        [&](const std::vector<loop::Var>& v) {
          ReductionAxes axes;
          Expr value = terms(v, axes);
          return loop::sum(value, axes.list());
        },
        loop::ComputeOptions{.axis_names = {"c"}}));
  }
  const loop::Tensor partial = stages.emplace_back(loop::compute(
      c.namer(name + "_part"), {xs[1], xs.back()},
      [&](const std::vector<loop::Var>& v) {
        ReductionAxes axes;
        Expr value = terms(v, axes);
        return loop::sum(value, axes.list());
      },
      loop::ComputeOptions{.axis_names = {"c", "col"}}));
  return stages.emplace_back(loop::compute(
      c.namer(name), {xs[1]},
      [&](const std::vector<loop::Var>& v) {
        ReductionAxes axes;
        Expr col = axes.add("col", xs.back());
        return loop::sum(partial(v[0], col), axes.list());
      },
      loop::ComputeOptions{.axis_names = {"c"}}));
}

// A per-channel stage [C] of value(channel index), appended to `stages`: a coefficient
// the per-element expressions then read instead of dividing and taking square roots per
// element.
loop::Tensor channel_stage(const ComputeContext& c, std::vector<loop::Tensor>& stages,
                           const std::string& hint, int64_t channels,
                           const std::function<Expr(const Indices&)>& value) {
  return stages.emplace_back(loop::compute(
      c.namer(c.graph.value(c.node.outputs[0]).name + hint), {channels},
      [&](const std::vector<loop::Var>& v) { return value({v[0]}); },
      loop::ComputeOptions{.axis_names = {"c"}}));
}

// (dX, dscale, dB, dmean, dvar) of inference-mode BatchNormalization, as the reference:
// inv = 1 / sqrt(var + eps); dX = dy * scale * inv per element; dscale = sum dy * (x - mean)
// * inv and dB = sum dy per channel (stages); dmean and dvar per channel from them.
NodeCompute batch_norm_inference_grad(const ComputeContext& c) {
  const float eps = c.attrs().f("epsilon");
  const Accessor dy = c.in(0), x = c.in(1), scale = c.in(2), mean = c.in(3), var = c.in(4);
  NodeCompute result;
  const auto inv = [=](const Indices& ch) { return f32(1) / sqrt(var(ch) + f32(eps)); };
  const loop::Tensor dscale = per_channel_sum(c, result.stages, "_dscale", [&](const Indices& idx) {
    const Indices ch{idx[1]};
    return dy(idx) * (x(idx) - mean(ch)) * inv(ch);
  });
  const loop::Tensor db =
      per_channel_sum(c, result.stages, "_db", [&](const Indices& idx) { return dy(idx); });
  result.outputs = {
      [=](const Indices& idx) {
        const Indices ch{idx[1]};
        return dy(idx) * scale(ch) * inv(ch);
      },
      [=](const Indices& ch) { return dscale(ch); },
      [=](const Indices& ch) { return db(ch); },
      [=](const Indices& ch) { return -scale(ch) / sqrt(var(ch) + f32(eps)) * db(ch); },
      [=](const Indices& ch) {
        return -scale(ch) * dscale(ch) / (f32(2) * (var(ch) + f32(eps)));
      },
  };
  return result;
}

// (dX, dscale, dB) of training-mode BatchNormalization through the batch statistics, as the
// reference: the batch mean and population variance (stages of sums, each divided by
// M = N*H*W where read), xhat = (x - mean) * invstd with invstd = 1 / sqrt(var + eps) per
// channel; dscale = sum dy * xhat and dB = sum dy (stages); dX = coef * (M * dy - dB -
// xhat * dscale) with coef = scale * invstd / M per channel.
NodeCompute batch_norm_training_grad(const ComputeContext& c) {
  const float eps = c.attrs().f("epsilon");
  const graph::Shape xs = c.input_shape(1);
  const double per_channel = static_cast<double>(graph::numel(xs) / xs[1]);
  const Accessor dy = c.in(0), x = c.in(1), scale = c.in(2);
  NodeCompute result;
  const loop::Tensor x_sum =
      per_channel_sum(c, result.stages, "_xsum", [&](const Indices& idx) { return x(idx); });
  const auto mean = [=](const Indices& ch) { return x_sum(ch) / f32(per_channel); };
  const loop::Tensor sq_sum = per_channel_sum(c, result.stages, "_sqsum", [&](const Indices& idx) {
    const Expr d = x(idx) - mean({idx[1]});
    return d * d;
  });
  const auto var = [=](const Indices& ch) { return sq_sum(ch) / f32(per_channel); };
  const loop::Tensor inv_std =
      channel_stage(c, result.stages, "_invstd", xs[1],
                    [&](const Indices& ch) { return f32(1) / sqrt(var(ch) + f32(eps)); });
  const auto xhat = [=](const Indices& idx) {
    const Indices ch{idx[1]};
    return (x(idx) - mean(ch)) * inv_std(ch);
  };
  const loop::Tensor dscale =
      per_channel_sum(c, result.stages, "_dscale",
                      [&](const Indices& idx) { return dy(idx) * xhat(idx); });
  const loop::Tensor db =
      per_channel_sum(c, result.stages, "_db", [&](const Indices& idx) { return dy(idx); });
  const loop::Tensor coef = channel_stage(c, result.stages, "_coef", xs[1], [&](const Indices& ch) {
    return scale(ch) * inv_std(ch) / f32(per_channel);
  });
  result.outputs = {
      [=](const Indices& idx) {
        const Indices ch{idx[1]};
        return coef(ch) * (f32(per_channel) * dy(idx) - db(ch) - xhat(idx) * dscale(ch));
      },
      [=](const Indices& ch) { return dscale(ch); },
      [=](const Indices& ch) { return db(ch); },
  };
  return result;
}

// Training mode, as the reference (batch_stats, then batch_norm_kernel), in f32 as it
// computes f32: mean = (sum x) / M and var = (sum (x - mean)^2) / M (population variance,
// M = N*H*W) as stages of sums, each divided where read; Y = (x - mean) * gain + B per
// element with gain = scale / sqrt(var + eps) per channel (a stage); running_mean =
// input_mean * momentum + mean * (1 - momentum) and running_var likewise from var, per
// channel.
NodeCompute batch_norm_training(const ComputeContext& c) {
  const float eps = c.attrs().f("epsilon");
  const float momentum = c.attrs().f("momentum");
  const float keep = 1.0f - momentum;  // T(1) - momentum in f32, as the reference
  const graph::Shape xs = c.input_shape(0);
  const double per_channel = static_cast<double>(graph::numel(xs) / xs[1]);
  const Accessor x = c.in(0), scale = c.in(1), bias = c.in(2), in_mean = c.in(3),
                 in_var = c.in(4);
  NodeCompute result;
  const loop::Tensor x_sum =
      per_channel_sum(c, result.stages, "_xsum", [&](const Indices& idx) { return x(idx); }, 0);
  const auto mean = [=](const Indices& ch) { return x_sum(ch) / f32(per_channel); };
  const loop::Tensor sq_sum = per_channel_sum(
      c, result.stages, "_sqsum",
      [&](const Indices& idx) {
        const Expr d = x(idx) - mean({idx[1]});
        return d * d;
      },
      0);
  const auto var = [=](const Indices& ch) { return sq_sum(ch) / f32(per_channel); };
  const loop::Tensor gain = channel_stage(c, result.stages, "_gain", xs[1], [&](const Indices& ch) {
    return scale(ch) / sqrt(var(ch) + f32(eps));
  });
  result.outputs = {
      [=](const Indices& idx) {
        const Indices ch{idx[1]};
        return (x(idx) - mean(ch)) * gain(ch) + bias(ch);
      },
      [=](const Indices& ch) { return in_mean(ch) * f32(momentum) + mean(ch) * f32(keep); },
      [=](const Indices& ch) { return in_var(ch) * f32(momentum) + var(ch) * f32(keep); },
  };
  return result;
}

// LayerNormalization over the axes from `axis` on, as the reference: per row (the axes
// before, kept with the normalized axes at size 1) the sum of x, then of (x - mean)^2 with
// mean = sum / M, as stages, and inv_std = 1 / sqrt(var + eps) as a third; then per element
// (x - mean) * inv_std * scale + B. Its gradient recomputes the statistics the same way.
struct LayerNormShape {
  graph::Shape x, kept, normalized;
  size_t axis = 0;
  double count = 1;  // M, the elements of a row

  LayerNormShape(const graph::Shape& xs, int64_t attr_axis)
      : x(xs), kept(xs), axis(static_cast<size_t>(normalized_axis(attr_axis, xs.size()))) {
    for (size_t d = axis; d < xs.size(); ++d) {
      kept[d] = 1;
      normalized.push_back(xs[d]);
      count *= static_cast<double>(xs[d]);
    }
  }
  // The indices of the normalized shape within an element's indices.
  Indices inner(const Indices& idx) const { return Indices(idx.begin() + axis, idx.end()); }
  // An element's row, in the kept shape.
  Indices row(const Indices& idx) const {
    Indices r = idx;
    for (size_t d = axis; d < r.size(); ++d) r[d] = i32(0);
    return r;
  }
  // A sum over each row of term(element indices), as a stage of the kept shape.
  loop::Tensor row_sum(const ComputeContext& c, const std::string& name,
                       const std::function<Expr(const Indices&)>& term) const {
    return loop::compute(
        c.namer(name), kept,
        [&](const std::vector<Var>& v) {
          ReductionAxes axes;
          Indices idx = exprs(v);
          for (size_t d = axis; d < x.size(); ++d) idx[d] = axes.add(fmt::format("r{}", d), x[d]);
          return loop::sum(term(idx), axes.list());
        },
        loop::ComputeOptions{.axis_names = numbered("i", x.size())});
  }
};

// Appends the row statistics' stages; returns (mean, inv_std) per element.
struct RowStats {
  std::function<Expr(const Indices&)> mean, inv_std;
};
RowStats row_stats(const ComputeContext& c, const LayerNormShape& s, const Accessor& x,
                   std::vector<loop::Tensor>& stages) {
  const float eps = c.attrs().f("epsilon");
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  const double count = s.count;
  const loop::Tensor sum = stages.emplace_back(s.row_sum(c, base + "_sum", x));
  const auto mean = [=](const Indices& idx) { return sum(s.row(idx)) / f32(count); };
  const loop::Tensor sq_sum =
      stages.emplace_back(s.row_sum(c, base + "_sqsum", [&](const Indices& idx) {
        const Expr d = x(idx) - mean(idx);
        return d * d;
      }));
  const loop::Tensor inv_std = stages.emplace_back(loop::compute(
      c.namer(base + "_invstd"), s.kept,
      [&](const std::vector<Var>& v) {
        return f32(1) / sqrt(sq_sum(exprs(v)) / f32(count) + f32(eps));
      },
      loop::ComputeOptions{.axis_names = numbered("i", s.x.size())}));
  return {mean, [=](const Indices& idx) { return inv_std(s.row(idx)); }};
}

NodeCompute layer_norm(const ComputeContext& c) {
  const LayerNormShape s(c.input_shape(0), c.attrs().i("axis"));
  const Accessor x = c.in(0), scale = c.in(1);
  const bool has_bias = c.node.inputs.size() > 2 && c.node.inputs[2] != graph::kNoValue;
  const Accessor bias = has_bias ? c.in(2) : Accessor{};
  NodeCompute result;
  const RowStats stats = row_stats(c, s, x, result.stages);
  result.outputs = {[=](const Indices& idx) {
    const Expr y = (x(idx) - stats.mean(idx)) * stats.inv_std(idx) * scale(s.inner(idx));
    return has_bias ? y + bias(s.inner(idx)) : y;
  }};
  return result;
}

// (dX, dscale, dB), as the reference: per row the sums of g = dy * scale and of g * xhat as
// stages, dX per element from them; dscale and dB per element of the normalized shape, as
// sums over the rows.
NodeCompute layer_norm_grad(const ComputeContext& c) {
  const LayerNormShape s(c.input_shape(1), c.attrs().i("axis"));
  const Accessor dy = c.in(0), x = c.in(1), scale = c.in(2);
  const std::string base = c.graph.value(c.node.outputs[0]).name;
  NodeCompute result;
  const RowStats stats = row_stats(c, s, x, result.stages);
  const auto xhat = [=](const Indices& idx) {
    return (x(idx) - stats.mean(idx)) * stats.inv_std(idx);
  };
  const auto g = [=](const Indices& idx) { return dy(idx) * scale(s.inner(idx)); };
  const loop::Tensor sum_g = result.stages.emplace_back(s.row_sum(c, base + "_sumg", g));
  const loop::Tensor sum_gx = result.stages.emplace_back(
      s.row_sum(c, base + "_sumgx", [&](const Indices& idx) { return g(idx) * xhat(idx); }));
  // Sums over the rows, per element of the normalized shape (the term itself when X is
  // one row).
  const auto column_sum = [&](const std::string& hint,
                              const std::function<Expr(const Indices&)>& term) -> Accessor {
    if (s.axis == 0) return term;
    return result.stages.emplace_back(loop::compute(
        c.namer(base + hint), s.normalized,
        [&](const std::vector<Var>& v) {
          ReductionAxes axes;
          Indices idx;
          for (size_t d = 0; d < s.axis; ++d) idx.push_back(axes.add(fmt::format("r{}", d), s.x[d]));
          for (const Var& var : v) idx.push_back(var);
          return loop::sum(term(idx), axes.list());
        },
        loop::ComputeOptions{.axis_names = numbered("j", s.normalized.size())}));
  };
  const Accessor dscale =
      column_sum("_dscale", [&](const Indices& idx) { return dy(idx) * xhat(idx); });
  const Accessor db = column_sum("_db", [&](const Indices& idx) { return dy(idx); });
  const double m = s.count;
  result.outputs = {
      [=](const Indices& idx) {
        const Indices row = s.row(idx);
        return stats.inv_std(idx) / f32(m) *
               (f32(m) * dy(idx) * scale(s.inner(idx)) - sum_g(row) - xhat(idx) * sum_gx(row));
      },
      [=](const Indices& j) { return dscale(j); },
      [=](const Indices& j) { return db(j); },
  };
  return result;
}

bool training(const graph::Node& node) { return node.attrs.i("training_mode") == 1; }

}  // namespace

OpLowering lower_op_BatchNormalization(const graph::OpDef&) {
  return OpLowering{
      .compute = [](const ComputeContext& c) {
        return training(c.node) ? batch_norm_training(c) : batch_norm(c);
      },
      // The shape function gives one output at inference and three in training mode, and
      // accepts training_mode 0 and 1 only; anything else is not defined.
      .refuses = [](const graph::Graph&, const graph::Node& node) -> std::optional<std::string> {
        const int64_t mode = node.attrs.i("training_mode");
        if ((mode == 0 && node.outputs.size() == 1) || (mode == 1 && node.outputs.size() == 3))
          return std::nullopt;
        return fmt::format("BatchNormalization with training_mode {} and {} outputs is not "
                           "defined",
                           mode, node.outputs.size());
      },
      // Inference: a per-channel affine map, inlined (Injective). Training: the batch
      // statistics are stages, then Y per element (Softmax, "stages, then elementwise", whose
      // default schedule gives each stage the generic one); it never joins an epilogue (its
      // family is not Injective, and it has three outputs, so plan_fusion gives it a group
      // of its own and pulls no reader in).
      .family = [](const graph::Graph&, const graph::Node& node) {
        return training(node) ? ScheduleFamily::Softmax : ScheduleFamily::Injective;
      },
  };
}

// The gradients compute per-channel sums as stages first, then their outputs per element
// (dX) or per channel (the sums read through, dmean, dvar): family Softmax, the "stages,
// then elementwise" family. A node with stages has no anchor reduction, so every stage takes
// the generic schedules: sums over a blocked X in vectors of channels, in NCHW the partial
// sums [C, W] in vectors of columns and the rest per channel; the elementwise outputs
// vectorized.
// Their fusion class (Opaque) stays: each anchors a group of its own, and lower_group turns
// each of its outputs that leaves the group into a stage of its own (a copy of a sum).
OpLowering lower_op_BatchNormInferenceGrad(const graph::OpDef&) {
  return OpLowering{.compute = batch_norm_inference_grad, .family = always(ScheduleFamily::Softmax)};
}
OpLowering lower_op_BatchNormTrainingGrad(const graph::OpDef&) {
  return OpLowering{.compute = batch_norm_training_grad, .family = always(ScheduleFamily::Softmax)};
}

// Stages (the row statistics), then elementwise outputs: the Softmax family, as Softmax.
OpLowering lower_op_LayerNormalization(const graph::OpDef&) {
  return OpLowering{.compute = layer_norm, .family = always(ScheduleFamily::Softmax)};
}
OpLowering lower_op_LayerNormalizationGrad(const graph::OpDef&) {
  return OpLowering{.compute = layer_norm_grad, .family = always(ScheduleFamily::Softmax)};
}

}  // namespace nas::lower
