"""Outside checker: ONNX Runtime against `nas run`, and nas's exported ONNX against ONNX Runtime.

Python appears only here (outside the product). Three parts:
  (a) small ONNX models built with onnx.helper, one or more per ONNX op nas supports, at the
      opsets where the op's semantics differ (11, 13, 17), plus the torch-style shape chain and
      a small torchvision-style CNN; each runs in ONNX Runtime (CPU) and through `nas run`
      (compiled code; a model with an op the compiler does not lower, e.g. a loss or a Gather
      on data, gets that error and then runs on the reference executor, counted apart);
  (b) coverage: every op that `nas ops --json` maps to ONNX appears in some model of (a);
  (c) every op test case nas exports (`nas_export_cases DIR`) passes onnx.checker and gives in
      ONNX Runtime the outputs nas computed for it.
Tolerance everywhere: max|nas - ort| <= 1e-4 * max(1, max|ort|).
Prints one line per model (PASS/FAIL name max_err=...), then `N passed, N failed`, and exits 1
on any failure. --ort-only checks only that the models of (a) pass onnx.checker and run in ONNX
Runtime (a self-test of this script that needs no nas).
"""

import argparse
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import zlib
from dataclasses import dataclass, field

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64
REL_TOL = 1e-4
NAS_TIMEOUT_S = 120

# IR version of the exporters that write each opset (torch writes 6 for opset 11, 7 for 13,
# 8 for 14-17): models stay readable by older ONNX libraries such as Debian's.
IR_VERSION_FOR_OPSET = {11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8}

node = helper.make_node


@dataclass
class Model:
    """One checker model: a graph plus the values of its graph inputs."""

    name: str
    opset: int
    nodes: list
    inputs: dict  # graph-input name -> value, in graph-input order
    outputs: list  # output names; (name, elem_type) for non-float outputs
    inits: dict = field(default_factory=dict)  # initializer name -> value

    def op_types(self):
        return {n.op_type for n in self.nodes}

    def to_onnx(self):
        outputs = []
        for out in self.outputs:
            name, elem_type = (out, F32) if isinstance(out, str) else out
            outputs.append(helper.make_tensor_value_info(name, elem_type, None))
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
             for k, v in self.inputs.items()],
            outputs,
            [numpy_helper.from_array(v, k) for k, v in self.inits.items()],
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", self.opset)],
            ir_version=IR_VERSION_FOR_OPSET[self.opset],
            producer_name="nas-ort-checker",
        )
        # Exporters write the graph outputs' shapes: take them from shape inference, and keep
        # the intermediate value_info out (the importer must not rely on it).
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
        del inferred.graph.value_info[:]
        unknown = [o for o in inferred.graph.output if not o.type.tensor_type.HasField("shape")]
        if unknown:  # shape inference stops at some shape arithmetic: take ORT's shapes
            values = run_ort(inferred, self.inputs)
            for out in unknown:
                shape = out.type.tensor_type.shape
                for d in values[out.name].shape:
                    shape.dim.add().dim_value = d
        onnx.checker.check_model(inferred, full_check=True)
        return inferred


# ---------------------------------------------------------------------------------------------
# Values


class Values:
    """Random float32 inputs and weights from a seed fixed by the model's name."""

    def __init__(self, name):
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))

    def f(self, *shape, lo=-1.0, hi=1.0):
        return self.rng.uniform(lo, hi, size=shape).astype(np.float32)

    def away_from(self, *shape, points=(0.0,), gap=0.05, lo=-1.0, hi=1.0):
        """Values at least `gap` from every point (kinks of relu, clip, hard sigmoid...)."""
        x = self.f(*shape, lo=lo, hi=hi)
        for p in points:
            near = np.abs(x - p) < gap
            x[near] = np.where(x[near] >= p, p + gap, p - gap)
        return x

    def labels(self, classes, *shape):
        return self.rng.integers(0, classes, size=shape).astype(np.int64)


def i64(*values):
    return np.array(values, dtype=np.int64)


def f32(*values):
    return np.array(values, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Models of part (a). Each function returns the models of one op (or one scenario).


def single(name, opset, op, inputs, attrs=None, inits=None, outputs=("y",), input_names=None):
    """One-node model: graph inputs then initializers feed the node in the given order,
    unless input_names says otherwise ("" for an omitted optional input)."""
    inits = inits or {}
    names = input_names if input_names is not None else list(inputs) + list(inits)
    n = node(op, names, [o if isinstance(o, str) else o[0] for o in outputs], **(attrs or {}))
    return Model(name, opset, [n], inputs, list(outputs), inits)


def binary_models():
    models = []
    for op in ("Add", "Sub", "Mul", "Div"):
        for opset in (11, 13):
            v = Values(f"{op}{opset}")
            lo = 0.5 if op == "Div" else -1.0
            models.append(single(f"{op}-same-opset{opset}", opset, op,
                                 {"a": v.f(2, 3, 4), "b": v.f(2, 3, 4, lo=lo, hi=1.5)}))
        v = Values(op)
        lo = 0.5 if op == "Div" else -1.0
        models.append(single(f"{op}-broadcast-opset17", 17, op,
                             {"a": v.f(2, 1, 4), "b": v.f(3, 1, lo=lo, hi=1.5)}))
        models.append(single(f"{op}-weight-opset17", 17, op, {"a": v.f(2, 3, 4, 5)},
                             inits={"w": v.f(3, 1, 1, lo=lo, hi=1.5)}))
        models.append(single(f"{op}-scalar-opset13", 13, op, {"a": v.f(2, 5)},
                             inits={"s": np.array(1.25 if op == "Div" else 0.75, np.float32)}))
    return models


def activation_models():
    models = []
    for opset in (11, 13, 17):
        v = Values(f"act{opset}")
        models.append(single(f"Relu-opset{opset}", opset, "Relu", {"x": v.away_from(2, 3, 5)}))
        models.append(single(f"Sigmoid-opset{opset}", opset, "Sigmoid",
                             {"x": v.f(2, 3, 5, lo=-6, hi=6)}))
        models.append(single(f"Tanh-opset{opset}", opset, "Tanh",
                             {"x": v.f(2, 3, 5, lo=-4, hi=4)}))
        models.append(single(f"Erf-opset{opset}", opset, "Erf",
                             {"x": v.f(2, 3, 5, lo=-4, hi=4)}))
        models.append(single(f"Identity-opset{opset}", opset, "Identity", {"x": v.f(4, 3)}))
    v = Values("hardsigmoid")
    models.append(single("HardSigmoid-default-opset13", 13, "HardSigmoid",
                         {"x": v.away_from(3, 7, points=(-2.5, 2.5), lo=-4, hi=4)}))
    models.append(single("HardSigmoid-alpha-beta-opset17", 17, "HardSigmoid",
                         {"x": v.away_from(3, 7, points=(-3, 3), lo=-4, hi=4)},
                         {"alpha": 1.0 / 6.0, "beta": 0.5}))
    models.append(single("HardSwish-opset14", 14, "HardSwish",
                         {"x": v.away_from(2, 3, 5, points=(-3, 3), lo=-5, hi=5)}))
    models.append(single("HardSwish-opset17", 17, "HardSwish",
                         {"x": v.away_from(2, 4, 3, 3, points=(-3, 3), lo=-5, hi=5)}))
    # Clip: opset 11+ takes min/max as (constant) inputs; opset 6's attributes are out of range.
    for opset in (11, 13, 17):
        models.append(single(f"Clip-min-max-opset{opset}", opset, "Clip",
                             {"x": v.away_from(3, 6, points=(-0.5, 0.25), lo=-1, hi=1)},
                             inits={"min": np.array(-0.5, np.float32),
                                    "max": np.array(0.25, np.float32)}))
    models.append(single("Clip-min-only-opset13", 13, "Clip",
                         {"x": v.away_from(3, 6, points=(0.1,))},
                         inits={"min": np.array(0.1, np.float32)}))
    models.append(single("Clip-max-only-opset17", 17, "Clip",
                         {"x": v.away_from(3, 6, points=(6.0,), lo=0, hi=8)},
                         inits={"max": np.array(6.0, np.float32)}, input_names=["x", "", "max"]))
    models.append(single("Clip-relu6-opset11", 11, "Clip",
                         {"x": v.away_from(2, 8, points=(0.0, 6.0), lo=-2, hi=8)},
                         inits={"min": np.array(0.0, np.float32),
                                "max": np.array(6.0, np.float32)}))
    # Dropout in inference: the identity. Opset 11: ratio attribute; 13+: ratio input.
    models.append(single("Dropout-inference-opset11", 11, "Dropout", {"x": v.f(2, 5)},
                         {"ratio": 0.3}))
    models.append(single("Dropout-inference-opset13", 13, "Dropout", {"x": v.f(2, 5)},
                         inits={"ratio": np.array(0.3, np.float32)}))
    models.append(single("Dropout-inference-opset17", 17, "Dropout", {"x": v.f(2, 3, 4)}))
    return models


def softmax_models():
    models = []
    v = Values("softmax")
    # Opset 11: the input is coerced to 2-D at `axis` (softmax over dims [axis, rank)).
    models.append(single("Softmax-axis1-4d-opset11", 11, "Softmax",
                         {"x": v.f(2, 3, 2, 2, lo=-3, hi=3)}, {"axis": 1}))
    models.append(single("Softmax-default-2d-opset11", 11, "Softmax", {"x": v.f(3, 5, lo=-3, hi=3)}))
    models.append(single("Softmax-axis-neg1-3d-opset11", 11, "Softmax",
                         {"x": v.f(2, 3, 4, lo=-3, hi=3)}, {"axis": -1}))
    # Opset 13: softmax along the one axis.
    models.append(single("Softmax-axis1-4d-opset13", 13, "Softmax",
                         {"x": v.f(2, 3, 2, 2, lo=-3, hi=3)}, {"axis": 1}))
    models.append(single("Softmax-default-3d-opset13", 13, "Softmax",
                         {"x": v.f(2, 3, 4, lo=-3, hi=3)}))
    models.append(single("Softmax-axis0-opset17", 17, "Softmax",
                         {"x": v.f(4, 3, lo=-3, hi=3)}, {"axis": 0}))
    return models


def conv_models():
    models = []
    for opset in (11, 13, 17):
        v = Values(f"conv{opset}")
        models.append(single(f"Conv-3x3-pad1-bias-opset{opset}", opset, "Conv",
                             {"x": v.f(1, 3, 6, 6)},
                             {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
                             inits={"w": v.f(4, 3, 3, 3), "b": v.f(4)}))
    v = Values("conv")
    models += [
        single("Conv-1x1-nobias-opset13", 13, "Conv", {"x": v.f(2, 4, 5, 3)},
               inits={"w": v.f(6, 4, 1, 1)}),
        single("Conv-groups2-opset13", 13, "Conv", {"x": v.f(1, 4, 5, 5)},
               {"group": 2, "pads": [1, 1, 1, 1]}, inits={"w": v.f(6, 2, 3, 3), "b": v.f(6)}),
        single("Conv-depthwise-opset17", 17, "Conv", {"x": v.f(2, 3, 6, 5)},
               {"group": 3, "kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
               inits={"w": v.f(3, 1, 3, 3), "b": v.f(3)}),
        single("Conv-depthwise-multiplier2-stride2-opset11", 11, "Conv", {"x": v.f(1, 2, 7, 7)},
               {"group": 2, "strides": [2, 2], "pads": [1, 1, 1, 1]},
               inits={"w": v.f(4, 1, 3, 3)}),
        single("Conv-stride2-opset13", 13, "Conv", {"x": v.f(1, 3, 8, 7)},
               {"strides": [2, 2], "pads": [1, 1, 1, 1]}, inits={"w": v.f(4, 3, 3, 3), "b": v.f(4)}),
        single("Conv-dilation2-opset17", 17, "Conv", {"x": v.f(1, 2, 9, 8)},
               {"dilations": [2, 2], "pads": [2, 2, 2, 2]}, inits={"w": v.f(3, 2, 3, 3), "b": v.f(3)}),
        single("Conv-asymmetric-pads-opset13", 13, "Conv", {"x": v.f(1, 2, 5, 6)},
               {"pads": [0, 1, 1, 2]}, inits={"w": v.f(3, 2, 3, 2)}),
        single("Conv-rect-stride-2x1-opset17", 17, "Conv", {"x": v.f(1, 2, 7, 6)},
               {"strides": [2, 1], "pads": [2, 0, 2, 0]}, inits={"w": v.f(2, 2, 5, 1), "b": v.f(2)}),
        single("Conv-same-upper-stride2-opset11", 11, "Conv", {"x": v.f(1, 2, 7, 6)},
               {"auto_pad": "SAME_UPPER", "strides": [2, 2], "kernel_shape": [3, 3]},
               inits={"w": v.f(3, 2, 3, 3), "b": v.f(3)}),
        single("Conv-same-upper-k4-opset17", 17, "Conv", {"x": v.f(1, 2, 5, 5)},
               {"auto_pad": "SAME_UPPER"}, inits={"w": v.f(2, 2, 4, 4)}),
    ]
    return models


def pool_models():
    models = []
    v = Values("pool")
    maxpool_x = v.away_from(1, 2, 8, 7)  # random floats: no ties
    for opset in (11, 13, 17):
        models.append(single(f"MaxPool-3x3-s2-p1-opset{opset}", opset, "MaxPool", {"x": maxpool_x},
                             {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}))
    models += [
        single("MaxPool-2x2-opset13", 13, "MaxPool", {"x": v.f(2, 3, 6, 6)},
               {"kernel_shape": [2, 2], "strides": [2, 2]}),
        # 8 rows, kernel 3, stride 2: ceil gives 4 rows, the last window half outside.
        single("MaxPool-ceil-mode-opset13", 13, "MaxPool", {"x": v.f(1, 2, 8, 6)},
               {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
        single("MaxPool-ceil-mode-pads-opset17", 17, "MaxPool", {"x": v.f(1, 1, 6, 8)},
               {"kernel_shape": [2, 3], "strides": [2, 2], "pads": [1, 0, 1, 0], "ceil_mode": 1}),
        single("MaxPool-asymmetric-pads-opset11", 11, "MaxPool", {"x": v.f(1, 2, 5, 5)},
               {"kernel_shape": [2, 2], "pads": [0, 0, 1, 1]}),
        single("MaxPool-dilation2-opset17", 17, "MaxPool", {"x": v.f(1, 1, 7, 7)},
               {"kernel_shape": [2, 2], "dilations": [2, 2]}),
        single("MaxPool-same-upper-opset13", 13, "MaxPool", {"x": v.f(1, 2, 7, 5)},
               {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ]
    for opset in (11, 13, 17):
        models.append(single(f"AveragePool-2x2-opset{opset}", opset, "AveragePool",
                             {"x": v.f(1, 3, 6, 4)}, {"kernel_shape": [2, 2], "strides": [2, 2]}))
    models += [
        single("AveragePool-pads-exclude-pad-opset13", 13, "AveragePool", {"x": v.f(1, 2, 5, 5)},
               {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
        single("AveragePool-pads-count-include-pad-opset13", 13, "AveragePool",
               {"x": v.f(1, 2, 5, 5)},
               {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                "count_include_pad": 1}),
        single("AveragePool-count-include-pad-asym-opset17", 17, "AveragePool",
               {"x": v.f(1, 1, 4, 5)},
               {"kernel_shape": [2, 3], "pads": [1, 0, 0, 2], "count_include_pad": 1}),
        # Ceil mode: the last window runs past the input; only in-bounds values are averaged
        # (count_include_pad=0; with 1 the opsets disagree about the overhang).
        single("AveragePool-ceil-mode-opset13", 13, "AveragePool", {"x": v.f(1, 2, 8, 6)},
               {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
        single("AveragePool-ceil-mode-pads-opset17", 17, "AveragePool", {"x": v.f(1, 1, 7, 7)},
               {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}),
    ]
    for opset in (11, 13, 17):
        models.append(single(f"GlobalAveragePool-opset{opset}", opset, "GlobalAveragePool",
                             {"x": v.f(2, 3, 5, 4)}))
    return models


def batchnorm_models():
    models = []
    for opset in (11, 13, 17):
        v = Values(f"bn{opset}")
        c = 3
        models.append(single(f"BatchNormalization-inference-opset{opset}", opset,
                             "BatchNormalization", {"x": v.f(2, c, 4, 3)},
                             {"epsilon": 1e-3} if opset == 13 else None,
                             inits={"scale": v.f(c, lo=0.5, hi=1.5), "bias": v.f(c),
                                    "mean": v.f(c), "var": v.f(c, lo=0.2, hi=2.0)}))
    v = Values("bn2d")
    models.append(single("BatchNormalization-2d-input-opset13", 13, "BatchNormalization",
                         {"x": v.f(5, 4)},
                         inits={"scale": v.f(4, lo=0.5, hi=1.5), "bias": v.f(4),
                                "mean": v.f(4), "var": v.f(4, lo=0.2, hi=2.0)}))
    v = Values("layernorm")
    # ConvNeXt's [N, H, W, C] over C, as torch exports it; over two axes without B.
    models.append(single("LayerNormalization-last-axis-opset17", 17, "LayerNormalization",
                         {"x": v.f(1, 3, 4, 8)}, {"epsilon": 1e-6},
                         inits={"scale": v.f(8, lo=0.5, hi=1.5), "bias": v.f(8)}))
    models.append(single("LayerNormalization-two-axes-no-bias-opset17", 17, "LayerNormalization",
                         {"x": v.f(2, 3, 5)}, {"axis": 1},
                         inits={"scale": v.f(3, 5, lo=0.5, hi=1.5)}))
    return models


def dense_models():
    models = []
    for opset in (11, 13, 17):
        v = Values(f"gemm{opset}")
        models.append(single(f"Gemm-linear-opset{opset}", opset, "Gemm", {"a": v.f(3, 5)},
                             {"transB": 1}, inits={"w": v.f(4, 5), "c": v.f(4)}))
    v = Values("gemm")
    models += [
        single("Gemm-plain-bias-row-opset13", 13, "Gemm", {"a": v.f(3, 5)},
               inits={"b": v.f(5, 4), "c": v.f(1, 4)}),
        single("Gemm-transA-bias-col-opset13", 13, "Gemm", {"a": v.f(5, 3)},
               {"transA": 1}, inits={"b": v.f(5, 4), "c": v.f(3, 1)}),
        single("Gemm-transA-transB-alpha-beta-opset17", 17, "Gemm", {"a": v.f(5, 3)},
               {"transA": 1, "transB": 1, "alpha": 0.5, "beta": 2.0},
               inits={"b": v.f(4, 5), "c": v.f(3, 4)}),
        single("Gemm-scalar-bias-beta-opset11", 11, "Gemm", {"a": v.f(2, 6)},
               {"beta": -1.5}, inits={"b": v.f(6, 3), "c": np.array(0.75, np.float32)}),
        single("Gemm-no-bias-alpha-opset13", 13, "Gemm", {"a": v.f(2, 6)},
               {"alpha": 2.0, "transB": 1}, inits={"b": v.f(3, 6)}),
        single("Gemm-two-inputs-opset17", 17, "Gemm", {"a": v.f(3, 4), "b": v.f(4, 2)},
               inits={"c": v.f(2)}),
    ]
    v = Values("matmul")
    models += [
        single("MatMul-2d-opset11", 11, "MatMul", {"a": v.f(3, 4), "b": v.f(4, 5)}),
        single("MatMul-2d-weight-opset13", 13, "MatMul", {"a": v.f(3, 4)}, inits={"w": v.f(4, 2)}),
        single("MatMul-3d-by-2d-weight-opset17", 17, "MatMul", {"a": v.f(2, 3, 4)},
               inits={"w": v.f(4, 5)}),
        single("MatMul-batch-opset13", 13, "MatMul", {"a": v.f(2, 3, 4), "b": v.f(2, 4, 2)}),
        single("MatMul-batch-broadcast-opset17", 17, "MatMul",
               {"a": v.f(2, 1, 3, 4), "b": v.f(5, 4, 2)}),
        single("MatMul-batch-broadcast-2d-left-opset13", 13, "MatMul",
               {"a": v.f(3, 4), "b": v.f(2, 4, 3)}),
    ]
    return models


def reduce_models():
    models = []
    for opset in (11, 13, 17):
        v = Values(f"reduce{opset}")
        models.append(single(f"ReduceMean-axes-keepdims-opset{opset}", opset, "ReduceMean",
                             {"x": v.f(2, 3, 4, 5)}, {"axes": [2, 3]}))
    v = Values("reduce")
    models += [
        single("ReduceMean-axis1-nokeep-opset13", 13, "ReduceMean", {"x": v.f(2, 3, 4)},
               {"axes": [1], "keepdims": 0}),
        single("ReduceMean-negative-axes-opset17", 17, "ReduceMean", {"x": v.f(2, 3, 4)},
               {"axes": [-1, 0], "keepdims": 0}),
        single("ReduceMean-all-axes-opset11", 11, "ReduceMean", {"x": v.f(3, 4)}),
        single("ReduceMean-all-axes-nokeep-opset13", 13, "ReduceMean", {"x": v.f(2, 3, 2)},
               {"keepdims": 0}),
    ]
    for opset in (11, 13, 17):
        v = Values(f"reduce-max{opset}")
        models.append(single(f"ReduceMax-axes-keepdims-opset{opset}", opset, "ReduceMax",
                             {"x": v.f(2, 3, 4, 5)}, {"axes": [2, 3]}))
    v = Values("reduce-max")
    models += [
        single("ReduceMax-negative-axis-nokeep-opset13", 13, "ReduceMax", {"x": v.f(2, 3, 4)},
               {"axes": [-2], "keepdims": 0}),
        single("ReduceMax-all-axes-opset17", 17, "ReduceMax", {"x": v.f(3, 4, lo=-2, hi=-1)}),
    ]
    return models


def shape_op_models():
    """Reshape, Flatten, Transpose, Concat, Split, Squeeze, Unsqueeze, Slice, Pad, Gather."""
    models = []
    v = Values("shape-ops")
    for opset in (11, 13, 17):
        models.append(single(f"Reshape-minus1-opset{opset}", opset, "Reshape",
                             {"x": v.f(2, 3, 4)}, inits={"shape": i64(4, -1)}))
    models += [
        single("Reshape-zero-copies-dim-opset13", 13, "Reshape", {"x": v.f(2, 3, 4)},
               inits={"shape": i64(0, 2, -1)}),
        single("Reshape-to-4d-opset17", 17, "Reshape", {"x": v.f(2, 12)},
               inits={"shape": i64(2, 3, 2, 2)}),
        single("Flatten-default-opset11", 11, "Flatten", {"x": v.f(2, 3, 2, 2)}),
        single("Flatten-axis2-opset13", 13, "Flatten", {"x": v.f(2, 3, 2, 2)}, {"axis": 2}),
        single("Flatten-axis0-opset13", 13, "Flatten", {"x": v.f(2, 3, 2)}, {"axis": 0}),
        single("Flatten-axis-neg1-opset17", 17, "Flatten", {"x": v.f(2, 3, 4)}, {"axis": -1}),
        single("Transpose-perm-opset11", 11, "Transpose", {"x": v.f(2, 3, 4)},
               {"perm": [1, 2, 0]}),
        single("Transpose-default-reverses-opset13", 13, "Transpose", {"x": v.f(2, 3, 4)}),
        single("Transpose-nchw-to-nhwc-opset17", 17, "Transpose", {"x": v.f(1, 3, 2, 4)},
               {"perm": [0, 2, 3, 1]}),
        single("Concat-axis1-three-opset11", 11, "Concat",
               {"a": v.f(2, 1, 3), "b": v.f(2, 2, 3), "c": v.f(2, 3, 3)}, {"axis": 1}),
        single("Concat-axis-neg1-weight-opset13", 13, "Concat", {"a": v.f(2, 3)},
               {"axis": -1}, inits={"w": v.f(2, 2)}),
        single("Concat-axis0-opset17", 17, "Concat", {"a": v.f(1, 4), "b": v.f(3, 4)},
               {"axis": 0}),
    ]
    # Split: opset 11 takes `split` as an attribute, 13+ as an input; without it, equal parts.
    two = (("y0", F32), ("y1", F32))
    three = (("y0", F32), ("y1", F32), ("y2", F32))
    models += [
        single("Split-attr-opset11", 11, "Split", {"x": v.f(2, 6)},
               {"axis": 1, "split": [2, 4]}, outputs=two),
        single("Split-equal-opset11", 11, "Split", {"x": v.f(6, 2)}, outputs=three),
        single("Split-input-opset13", 13, "Split", {"x": v.f(2, 5, 2)}, {"axis": 1},
               inits={"split": i64(1, 3, 1)}, outputs=three),
        single("Split-equal-negative-axis-opset13", 13, "Split", {"x": v.f(2, 3, 4)},
               {"axis": -1}, outputs=two),
        single("Split-input-opset17", 17, "Split", {"x": v.f(7, 3)},
               inits={"split": i64(4, 3)}, outputs=two),
    ]
    # Squeeze / Unsqueeze: opset 11 `axes` attribute, 13+ `axes` input.
    models += [
        single("Squeeze-attr-opset11", 11, "Squeeze", {"x": v.f(2, 1, 3, 1)}, {"axes": [1, -1]}),
        single("Squeeze-all-ones-opset11", 11, "Squeeze", {"x": v.f(1, 3, 1, 2)}),
        single("Squeeze-input-opset13", 13, "Squeeze", {"x": v.f(2, 1, 3, 1)},
               inits={"axes": i64(3)}),
        single("Squeeze-all-ones-opset17", 17, "Squeeze", {"x": v.f(1, 3, 1, 2)}),
        single("Unsqueeze-attr-opset11", 11, "Unsqueeze", {"x": v.f(2, 3)}, {"axes": [0, 3]}),
        single("Unsqueeze-attr-negative-opset11", 11, "Unsqueeze", {"x": v.f(2, 3)},
               {"axes": [-1]}),
        single("Unsqueeze-input-opset13", 13, "Unsqueeze", {"x": v.f(2, 3)},
               inits={"axes": i64(1, -1)}),
        single("Unsqueeze-input-opset17", 17, "Unsqueeze", {"x": v.f(3)}, inits={"axes": i64(0)}),
    ]
    # Slice (inputs since opset 10): negative steps, negative starts/ends, ends past the end.
    big = np.iinfo(np.int64).max
    models += [
        single("Slice-basic-opset11", 11, "Slice", {"x": v.f(4, 6)},
               inits={"starts": i64(1, 0), "ends": i64(3, 5), "axes": i64(0, 1)}),
        single("Slice-steps-opset11", 11, "Slice", {"x": v.f(5, 7)},
               inits={"starts": i64(0, 1), "ends": i64(5, 7), "axes": i64(0, 1),
                      "steps": i64(2, 3)}),
        single("Slice-no-axes-opset13", 13, "Slice", {"x": v.f(4, 5, 3)},
               inits={"starts": i64(1, 2), "ends": i64(4, 4)}),
        single("Slice-negative-step-reverse-opset13", 13, "Slice", {"x": v.f(3, 6)},
               inits={"starts": i64(-1), "ends": i64(-big - 1), "axes": i64(1),
                      "steps": i64(-1)}),
        single("Slice-negative-step2-opset17", 17, "Slice", {"x": v.f(2, 9)},
               inits={"starts": i64(7), "ends": i64(0), "axes": i64(-1), "steps": i64(-2)}),
        single("Slice-negative-starts-ends-opset17", 17, "Slice", {"x": v.f(5, 6)},
               inits={"starts": i64(-4, -3), "ends": i64(-1, big), "axes": i64(0, 1)}),
        single("Slice-ends-past-end-opset13", 13, "Slice", {"x": v.f(2, 3, 8)},
               inits={"starts": i64(2), "ends": i64(big), "axes": i64(2)}),
    ]
    # Pad (pads and constant_value inputs since opset 11): each mode, negative pads.
    models += [
        single("Pad-constant-value-opset11", 11, "Pad", {"x": v.f(2, 3, 4)},
               inits={"pads": i64(0, 1, 0, 0, 2, 1), "value": np.array(0.5, np.float32)}),
        single("Pad-default-zero-opset13", 13, "Pad", {"x": v.f(1, 2, 3, 3)},
               inits={"pads": i64(0, 0, 1, 1, 0, 0, 1, 1)}),
        single("Pad-negative-pads-opset13", 13, "Pad", {"x": v.f(2, 5, 6)},
               inits={"pads": i64(0, -1, 3, 0, 2, -2)}),
        single("Pad-reflect-opset13", 13, "Pad", {"x": v.f(1, 2, 5, 6)}, {"mode": "reflect"},
               inits={"pads": i64(0, 0, 2, 3, 0, 1, 4, 5)}),
        single("Pad-reflect-negative-pads-opset17", 17, "Pad", {"x": v.f(5, 7)},
               {"mode": "reflect"}, inits={"pads": i64(-2, 3, 1, -1)}),
        single("Pad-edge-opset17", 17, "Pad", {"x": v.f(2, 3, 4)}, {"mode": "edge"},
               inits={"pads": i64(1, 0, 3, 0, 2, 5)}),
    ]
    # Gather: float data, constant int64 indices.
    models += [
        single("Gather-axis0-2d-indices-opset11", 11, "Gather", {"x": v.f(5, 3)},
               inits={"idx": i64(0, 4, 2, 2, 1, 3).reshape(2, 3)}),
        single("Gather-axis1-opset13", 13, "Gather", {"x": v.f(2, 4, 3)}, {"axis": 1},
               inits={"idx": i64(3, 0, 1)}),
        single("Gather-negative-indices-opset17", 17, "Gather", {"x": v.f(3, 5)}, {"axis": -1},
               inits={"idx": i64(-1, 0, -5)}),
        single("Gather-scalar-index-opset13", 13, "Gather", {"x": v.f(3, 4)}, {"axis": 0},
               inits={"idx": np.array(2, np.int64)}),
    ]
    return models


def shape_arithmetic_models():
    """Shape, Cast, ConstantOfShape, and the chains torch writes for `x.view(x.size(0), -1)`."""
    models = []
    for opset in (11, 13, 17):
        v = Values(f"chain{opset}")
        if opset >= 13:
            unsq = node("Unsqueeze", ["n", "axes0"], ["n1"])
            inits = {"zero": np.array(0, np.int64), "axes0": i64(0), "minus1": i64(-1)}
        else:
            unsq = node("Unsqueeze", ["n"], ["n1"], axes=[0])
            inits = {"zero": np.array(0, np.int64), "minus1": i64(-1)}
        nodes = [
            node("Shape", ["x"], ["s"]),
            node("Gather", ["s", "zero"], ["n"], axis=0),
            unsq,
            node("Concat", ["n1", "minus1"], ["shape"], axis=0),
            node("Reshape", ["x", "shape"], ["y"]),
        ]
        models.append(Model(f"ShapeChain-view-batch-minus1-opset{opset}", opset, nodes,
                            {"x": v.f(2, 3, 2, 2)}, ["y"], inits))
        # The same chain with its constants as Constant nodes, as torch often writes them.
        constants = [node("Constant", [], [name], value=numpy_helper.from_array(value, name))
                     for name, value in inits.items()]
        models.append(Model(f"ShapeChain-view-constant-nodes-opset{opset}", opset,
                            constants + nodes, {"x": v.f(3, 2, 2)}, ["y"]))
        # Cast to float from the int64 shape path: y = x / float(x.shape[2]).
        nodes = [
            node("Shape", ["x"], ["s"]),
            node("Gather", ["s", "two"], ["d"], axis=0),
            node("Cast", ["d"], ["df"], to=F32),
            node("Div", ["x", "df"], ["y"]),
        ]
        models.append(Model(f"ShapeChain-cast-divide-opset{opset}", opset, nodes,
                            {"x": v.f(2, 3, 4)}, ["y"], {"two": np.array(2, np.int64)}))
        # ConstantOfShape from a computed shape (torch's zeros_like / full_like).
        nodes = [
            node("Shape", ["x"], ["s"]),
            node("ConstantOfShape", ["s"], ["c"],
                 value=helper.make_tensor("value", F32, [1], [0.5])),
            node("Add", ["x", "c"], ["y"]),
        ]
        models.append(Model(f"ShapeChain-constant-of-shape-opset{opset}", opset, nodes,
                            {"x": v.f(2, 3)}, ["y"]))
    v = Values("shape-misc")
    models += [
        Model("Shape-output-opset13", 13, [node("Shape", ["x"], ["s"])], {"x": v.f(2, 3, 5)},
              [("s", I64)]),
        # Opset 15+: Shape's start/end. x.view(-1, x.shape[-1]).
        Model("ShapeChain-shape-start-opset17", 17,
              [node("Shape", ["x"], ["last"], start=-1),
               node("Concat", ["minus1", "last"], ["shape"], axis=0),
               node("Reshape", ["x", "shape"], ["y"])],
              {"x": v.f(2, 3, 4)}, ["y"], {"minus1": i64(-1)}),
        # A constant shape (the importer makes it an attribute); added to x so that the
        # graph has an input, as exported graphs do.
        Model("ConstantOfShape-constant-shape-opset13", 13,
              [node("ConstantOfShape", ["shape"], ["c"],
                    value=helper.make_tensor("value", F32, [1], [1.5])),
               node("Mul", ["x", "c"], ["y"])],
              {"x": v.f(2, 3)}, ["y"], {"shape": i64(2, 3)}),
        Model("ConstantOfShape-default-zero-opset17", 17,
              [node("ConstantOfShape", ["shape"], ["c"]), node("Add", ["x", "c"], ["y"])],
              {"x": v.f(3, 1)}, ["y"], {"shape": i64(3, 1, 2)}),
        single("Cast-float-to-float-opset13", 13, "Cast", {"x": v.f(2, 3)}, {"to": F32}),
        Model("Cast-int64-weight-to-float-opset17", 17,
              [node("Cast", ["k"], ["kf"], to=F32), node("Mul", ["x", "kf"], ["y"])],
              {"x": v.f(2, 3)}, ["y"], {"k": i64(1, -2, 3)}),
    ]
    return models


def loss_models():
    models = []
    for opset in (13, 17):
        for reduction in ("mean", "sum", "none"):
            v = Values(f"sce{opset}{reduction}")
            models.append(single(f"SoftmaxCrossEntropyLoss-{reduction}-opset{opset}", opset,
                                 "SoftmaxCrossEntropyLoss",
                                 {"scores": v.f(4, 5, lo=-3, hi=3), "labels": v.labels(5, 4)},
                                 {"reduction": reduction}))
    v = Values("sce-3d")
    models.append(single("SoftmaxCrossEntropyLoss-3d-mean-opset13", 13, "SoftmaxCrossEntropyLoss",
                         {"scores": v.f(2, 4, 3, lo=-3, hi=3), "labels": v.labels(4, 2, 3)}))
    models.append(single("SoftmaxCrossEntropyLoss-3d-none-opset17", 17, "SoftmaxCrossEntropyLoss",
                         {"scores": v.f(2, 3, 5, lo=-3, hi=3), "labels": v.labels(3, 2, 5)},
                         {"reduction": "none"}))
    return models


def cnn_models():
    """Conv-BN-Relu-MaxPool-Conv-BN-HardSwish-GlobalAveragePool-Flatten-Gemm-Softmax, as
    torchvision exports it. Before opset 14 torch writes hardswish as x * HardSigmoid(x)."""
    models = []
    for opset in (11, 13, 17):
        v = Values(f"cnn{opset}")
        inits = {
            "conv1.w": v.f(8, 3, 3, 3, lo=-0.5, hi=0.5), "conv1.b": v.f(8, lo=-0.1, hi=0.1),
            "bn1.scale": v.f(8, lo=0.5, hi=1.5), "bn1.bias": v.f(8, lo=-0.2, hi=0.2),
            "bn1.mean": v.f(8, lo=-0.1, hi=0.1), "bn1.var": v.f(8, lo=0.5, hi=1.5),
            "conv2.w": v.f(16, 8, 3, 3, lo=-0.3, hi=0.3),
            "bn2.scale": v.f(16, lo=0.5, hi=1.5), "bn2.bias": v.f(16, lo=-0.2, hi=0.2),
            "bn2.mean": v.f(16, lo=-0.1, hi=0.1), "bn2.var": v.f(16, lo=0.5, hi=1.5),
            "fc.w": v.f(10, 16, lo=-0.5, hi=0.5), "fc.b": v.f(10, lo=-0.1, hi=0.1),
        }
        nodes = [
            node("Conv", ["x", "conv1.w", "conv1.b"], ["c1"], kernel_shape=[3, 3],
                 pads=[1, 1, 1, 1], strides=[1, 1]),
            node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"],
                 ["b1"], epsilon=1e-5),
            node("Relu", ["b1"], ["r1"]),
            node("MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2],
                 pads=[1, 1, 1, 1]),
            node("Conv", ["p1", "conv2.w"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                 strides=[2, 2]),
            node("BatchNormalization", ["c2", "bn2.scale", "bn2.bias", "bn2.mean", "bn2.var"],
                 ["b2"], epsilon=1e-5),
        ]
        if opset >= 14:
            nodes.append(node("HardSwish", ["b2"], ["h2"]))
        else:
            nodes += [node("HardSigmoid", ["b2"], ["hs2"], alpha=1.0 / 6.0, beta=0.5),
                      node("Mul", ["b2", "hs2"], ["h2"])]
        nodes += [
            node("GlobalAveragePool", ["h2"], ["g"]),
            node("Flatten", ["g"], ["f"], axis=1),
            node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], alpha=1.0, beta=1.0, transB=1),
            node("Softmax", ["logits"], ["probs"], axis=1),
        ]
        models.append(Model(f"CNN-torchvision-style-opset{opset}", opset, nodes,
                            {"x": v.f(2, 3, 12, 12)}, ["probs"], inits))
    return models


def all_models():
    return (binary_models() + activation_models() + softmax_models() + conv_models()
            + pool_models() + batchnorm_models() + dense_models() + reduce_models()
            + shape_op_models() + shape_arithmetic_models() + loss_models() + cnn_models())


# ---------------------------------------------------------------------------------------------
# Running and comparing


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.reference_only = 0  # passed on the reference executor, not compiled

    def result(self, name, ok, max_err=None, why=""):
        err = "-" if max_err is None else f"{max_err:.3g}"
        line = f"{'PASS' if ok else 'FAIL'} {name} max_err={err}"
        if why:
            line += f" ({why})"
        print(line, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def run_ort(model_proto, feeds):
    options = ort.SessionOptions()
    # The reference semantics, not ORT's fused rewrites; one thread: deterministic and cheap.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_proto.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def compare(got, want):
    """Returns (max_err, why): why is empty when `got` matches `want` within tolerance."""
    got = np.asarray(got)
    want = np.asarray(want)
    if got.shape != want.shape:
        return None, f"shape {list(got.shape)}, expected {list(want.shape)}"
    if want.size == 0:
        return 0.0, ""
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    if not np.all(np.isfinite(w)):
        return None, "reference output is not finite"
    if not np.all(np.isfinite(g)):
        return math.inf, "output has NaN or Inf"
    max_err = float(np.max(np.abs(g - w)))
    bound = REL_TOL * max(1.0, float(np.max(np.abs(w))))
    if max_err > bound:
        return max_err, f"exceeds {bound:.3g}"
    return max_err, ""


def short(text, limit=300):
    text = " ".join(text.strip().split())
    return text if len(text) <= limit else text[:limit] + "..."


def run_nas(nas, model_dir, model, onnx_path, reference=False):
    """Runs `nas run` on the model; returns ({output name: array}, why-it-failed)."""
    cmd = [nas, "run", onnx_path] + (["--reference"] if reference else [])
    for i, value in enumerate(model.inputs.values()):
        path = os.path.join(model_dir, f"input_{i}.npy")
        np.save(path, value)
        cmd += ["--input", path]
    out_paths = {}
    for i, out in enumerate(model.outputs):
        name = out if isinstance(out, str) else out[0]
        path = os.path.join(model_dir, f"nas_output_{i}.npy")
        out_paths[name] = path
        cmd += ["--output", path if i == 0 else f"{name}={path}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=NAS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"nas run timed out after {NAS_TIMEOUT_S}s"
    except OSError as e:
        return None, f"cannot run {nas}: {e}"
    if proc.returncode != 0:
        message = short(proc.stderr or proc.stdout) or "no message"
        return None, f"nas run exited {proc.returncode}: {message}"
    results = {}
    for name, path in out_paths.items():
        if not os.path.exists(path):
            return None, f"nas run wrote no output '{name}'"
        results[name] = np.load(path)
    return results, ""


def check_models(args, report):
    """Parts (a): returns the ONNX op types used by the models (for part (b))."""
    used = set()
    models_dir = os.path.join(args.work, "models")
    for model in all_models():
        if args.filter and args.filter not in model.name:
            continue
        used |= model.op_types()
        try:
            proto = model.to_onnx()
        except Exception as e:  # a model that fails onnx.checker is a bug of this script
            report.result(model.name, False, why=f"checker bug: invalid model: {short(str(e))}")
            continue
        try:
            want = run_ort(proto, model.inputs)
        except Exception as e:
            report.result(model.name, False, why=f"checker bug: ONNX Runtime failed: {short(str(e))}")
            continue
        if args.ort_only:
            report.result(model.name, True, 0.0, "ORT only")
            continue
        model_dir = os.path.join(models_dir, model.name)
        os.makedirs(model_dir, exist_ok=True)
        onnx_path = os.path.join(model_dir, "model.onnx")
        onnx.save(proto, onnx_path)
        got, why = run_nas(args.nas, model_dir, model, onnx_path)
        note = ""
        if got is None and "exited 2" in why and "cannot be compiled" in why:
            note = "reference executor: " + why.split("error: ", 1)[-1]
            got, why = run_nas(args.nas, model_dir, model, onnx_path, reference=True)
            report.reference_only += 1 if got is not None else 0
        if got is None:
            report.result(model.name, False, why=why)
            continue
        worst, whys = 0.0, []
        for name, value in want.items():
            err, why = compare(got[name], value)
            if why:
                whys.append(f"output '{name}': {why}")
            worst = max(worst, err if err is not None else math.inf)
        report.result(model.name, not whys, worst, "; ".join(whys + ([note] if note else [])))
    return used


def check_coverage(args, report, used):
    """Part (b): every op nas maps to ONNX is exercised by some model."""
    try:
        proc = subprocess.run([args.nas, "ops", "--json"], capture_output=True, text=True,
                              timeout=NAS_TIMEOUT_S)
        if proc.returncode != 0:
            raise RuntimeError(f"exited {proc.returncode}: {short(proc.stderr)}")
        ops = json.loads(proc.stdout)
    except Exception as e:
        report.result("coverage", False, why=f"nas ops --json: {short(str(e))}")
        return
    supported = sorted({op["onnx_op"] for op in ops if op.get("onnx_op")})
    missing = [op for op in supported if op not in used]
    if missing:
        report.result("coverage", False,
                      why=f"ONNX ops of nas with no checker model: {', '.join(missing)}")
    else:
        report.result("coverage", True, 0.0, f"{len(supported)} ONNX ops")


def check_exported(args, report):
    """Part (c): nas's exported op test cases against ONNX Runtime."""
    if args.export_tool == "none":
        print("NOTE: no export tool (nas_export_cases not built): exported cases not checked",
              flush=True)
        return
    out_dir = os.path.join(args.work, "exported")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    try:
        proc = subprocess.run([args.export_tool, out_dir], capture_output=True, text=True,
                              timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        report.result("export", False, why=f"{args.export_tool}: {short(str(e))}")
        return
    if proc.returncode != 0:
        report.result("export", False,
                      why=f"{args.export_tool} exited {proc.returncode}: {short(proc.stderr)}")
        return
    cases = sorted(d for d in os.listdir(out_dir) if os.path.isdir(os.path.join(out_dir, d)))
    if not cases:
        report.result("export", False, why=f"{args.export_tool} exported no case")
        return
    for case in cases:
        name = f"exported/{case}"
        if args.filter and args.filter not in name:
            continue
        case_dir = os.path.join(out_dir, case)
        try:
            proto = onnx.load(os.path.join(case_dir, "model.onnx"))
            onnx.checker.check_model(proto, full_check=True)
        except Exception as e:
            report.result(name, False, why=f"invalid ONNX: {short(str(e))}")
            continue
        initializers = {t.name for t in proto.graph.initializer}
        input_names = [i.name for i in proto.graph.input if i.name not in initializers]
        output_names = [o.name for o in proto.graph.output]
        try:
            feeds = {n: np.load(os.path.join(case_dir, f"input_{i}.npy"))
                     for i, n in enumerate(input_names)}
            expected = [np.load(os.path.join(case_dir, f"expected_{i}.npy"))
                        for i in range(len(output_names))]
        except OSError as e:
            report.result(name, False, why=f"missing file: {short(str(e))}")
            continue
        try:
            got = run_ort(proto, feeds)
        except Exception as e:
            report.result(name, False, why=f"ONNX Runtime failed: {short(str(e))}")
            continue
        worst, whys = 0.0, []
        for out_name, want in zip(output_names, expected):
            # Here ORT is the reference and nas's expected_<o> the value under test.
            err, why = compare(want, got[out_name])
            if why:
                whys.append(f"output '{out_name}': {why}")
            worst = max(worst, err if err is not None else math.inf)
        report.result(name, not whys, worst, "; ".join(whys))


def check_search_winners(args, report):
    """Part (d): a short search exports its winners; ONNX Runtime runs them as nas does."""
    if args.filter:
        return
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs",
                          "synthetic_smoke.yaml")
    out_dir = os.path.join(args.work, "search")
    cmd = [args.nas, "search", config, "--set", f"output={out_dir}",
           "--set", "budget.candidates=2", "--set", "final.top_k=2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        report.result("search/winners", False,
                      why=f"nas search exited {proc.returncode}: {short(proc.stderr)}")
        return
    winners = sorted(glob.glob(os.path.join(out_dir, "winners", "*.onnx")))
    if not winners:
        report.result("search/winners", False, why="the search exported no winner")
    for path in winners:
        name = f"search/winners/{os.path.basename(path)}"
        proto = onnx.load(path)
        onnx.checker.check_model(proto, full_check=True)
        x = np.random.RandomState(0).randn(
            *[d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
        ).astype(np.float32)
        x_path = os.path.join(out_dir, "winner_input.npy")
        y_path = os.path.join(out_dir, "winner_output.npy")
        np.save(x_path, x)
        run = subprocess.run([args.nas, "run", path, "--input", x_path, "--output", y_path],
                             capture_output=True, text=True, timeout=NAS_TIMEOUT_S)
        if run.returncode != 0:
            report.result(name, False, why=f"nas run exited {run.returncode}: {short(run.stderr)}")
            continue
        want = list(run_ort(proto, {proto.graph.input[0].name: x}).values())[0]
        err, why = compare(np.load(y_path), want)
        report.result(name, not why, err, why)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nas", help="the nas binary (not needed with --ort-only)")
    parser.add_argument("--export-tool", default="none",
                        help="the nas_export_cases binary, or 'none' to skip part (c)")
    parser.add_argument("--work", required=True, help="scratch directory for models and outputs")
    parser.add_argument("--ort-only", action="store_true",
                        help="self-test: only check that part (a)'s models are valid and run in ORT")
    parser.add_argument("--filter", default="", help="only the models whose name contains this")
    args = parser.parse_args()
    if not args.nas and not args.ort_only:
        parser.error("--nas is required (or --ort-only)")
    os.makedirs(args.work, exist_ok=True)

    report = Report()
    used = check_models(args, report)
    if not args.ort_only:
        if not args.filter:
            check_coverage(args, report, used)
        check_exported(args, report)
        check_search_winners(args, report)
    print(f"{report.passed} passed ({report.reference_only} of them on the reference executor: "
          f"ops the compiler does not lower), {report.failed} failed", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
