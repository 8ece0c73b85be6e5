"""The peer: the training step of an ONNX model (as `nas make-model` writes it) in PyTorch.

The model is rebuilt as a torch module with the file's weights by the small converter below
(only the ops our models use), so both sides train the same network from the same start.

Modes:
  steptime  median training step time at --batch and --threads, in ms, eager or torch.compile
  check     every value in eval mode against ONNX Runtime on the same file (max differences)

A step: zero_grad, forward in train mode (batch norm on batch statistics), cross entropy
against integer labels, backward, SGD with momentum. Inputs are [batch,1,28,28] seeded normal
noise with labels in [0,10), made once before the timed part.
"""
import argparse, json, statistics, time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def sym_pads(a, rank=2):
    """ONNX pads [b0,b1,...,e0,e1,...] as torch's symmetric padding; asymmetric is not ours."""
    pads = list(a.get("pads", [0] * 2 * rank))
    if pads[:rank] != pads[rank:] or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError(f"asymmetric or auto padding: {a}")
    return pads[:rank]


class OnnxModule(nn.Module):
    """Runs the ONNX graph's nodes in order. Nodes with weights become torch layers (so they
    are parameters, and batch norm keeps running statistics); the rest are functional."""

    def __init__(self, model):
        super().__init__()
        g = model.graph
        # Plain tensors, not parameters: only the weights of the layers below are trained.
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
                       for t in g.initializer}
        inits = set(self.consts)
        self.input = next(i.name for i in g.input if i.name not in inits)
        self.output = g.output[0].name
        self.layers = nn.ModuleDict()
        self.steps = []  # (op, module key or None, input names, output name, attributes)
        for i, n in enumerate(g.node):
            a = attrs(n)
            if n.op_type == "Constant":
                value = numpy_helper.to_array(a["value"]).copy()
                self.consts[n.output[0]] = torch.from_numpy(value)
                continue
            key = None
            if n.op_type in ("Conv", "BatchNormalization", "Gemm"):
                key = f"n{i}"  # ModuleDict keys may not contain dots
                self.layers[key] = self.layer(n, a)
                ins = n.input[:1]
            else:
                ins = list(n.input)
            self.steps.append((n.op_type, key, ins, n.output[0], a))

    def layer(self, n, a):
        w = self.consts[n.input[1]]
        bias = self.consts[n.input[2]] if len(n.input) > 2 and n.input[2] else None
        if n.op_type == "Conv":
            group = a.get("group", 1)
            m = nn.Conv2d(w.shape[1] * group, w.shape[0], tuple(w.shape[2:]),
                          stride=tuple(a.get("strides", [1, 1])), padding=tuple(sym_pads(a)),
                          dilation=tuple(a.get("dilations", [1, 1])), groups=group,
                          bias=bias is not None)
        elif n.op_type == "Gemm":
            if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                raise NotImplementedError(f"Gemm {a}")
            if not a.get("transB", 0):
                w = w.t()
            m = nn.Linear(w.shape[1], w.shape[0], bias=bias is not None)
        else:  # BatchNormalization: ONNX momentum weighs the old statistics, torch's the new
            m = nn.BatchNorm2d(w.shape[0], eps=a.get("epsilon", 1e-5),
                               momentum=1.0 - a.get("momentum", 0.9))
            m.running_mean.copy_(self.consts[n.input[3]])
            m.running_var.copy_(self.consts[n.input[4]])
        with torch.no_grad():
            m.weight.copy_(w)
            if bias is not None:
                m.bias.copy_(bias)
        return m

    def forward(self, x, every_value=False):
        env = {self.input: x}
        get = lambda name: env[name] if name in env else self.consts[name]
        for op, key, ins, out, a in self.steps:
            v = [get(name) if name else None for name in ins]  # "" is an omitted input
            if key is not None:
                y = self.layers[key](v[0])
            elif op == "Relu":
                y = F.relu(v[0])
            elif op == "Sigmoid":
                y = torch.sigmoid(v[0])
            elif op == "HardSwish":
                y = F.hardswish(v[0])
            elif op == "HardSigmoid":  # torch's own op (one kernel in eager) where it is the same
                alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
                y = (F.hardsigmoid(v[0]) if abs(alpha - 1 / 6) < 1e-6 and beta == 0.5
                     else torch.clamp(alpha * v[0] + beta, 0.0, 1.0))
            elif op == "Clip":  # bounds are inputs from opset 11, attributes before
                lo = float(v[1]) if len(v) > 1 and v[1] is not None else a.get("min")
                hi = float(v[2]) if len(v) > 2 and v[2] is not None else a.get("max")
                y = torch.clamp(v[0], lo, hi)
            elif op == "Add":
                y = v[0] + v[1]
            elif op == "Mul":
                y = v[0] * v[1]
            elif op == "GlobalAveragePool":
                y = v[0].mean((2, 3), keepdim=True)
            elif op == "ReduceMean":  # opset 18 moved axes to an input
                axes = a["axes"] if "axes" in a else v[1].tolist()
                y = v[0].mean(tuple(axes), keepdim=bool(a.get("keepdims", 1)))
            elif op == "AveragePool":
                y = F.avg_pool2d(v[0], a["kernel_shape"], a.get("strides", 1), sym_pads(a),
                                 ceil_mode=bool(a.get("ceil_mode", 0)),
                                 count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "MaxPool":
                y = F.max_pool2d(v[0], a["kernel_shape"], a.get("strides", 1), sym_pads(a),
                                 ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "Flatten":
                y = torch.flatten(v[0], a.get("axis", 1))
            elif op == "Reshape":  # the file's batch may be 1: the first dimension is the batch
                shape = [int(d) for d in v[1]]
                y = v[0].reshape([v[0].shape[0]] + [d if d else v[0].shape[j + 1]
                                                    for j, d in enumerate(shape[1:])])
            elif op == "MatMul":
                y = v[0] @ v[1]
            elif op == "Concat":
                y = torch.cat(v, a["axis"])
            elif op == "Identity":
                y = v[0]
            else:
                raise NotImplementedError(f"ONNX op {op}")
            env[out] = y
        return env if every_value else env[self.output]


def load(path):
    return OnnxModule(onnx.load(path))


def forward_flops(model, batch):
    """Multiply-adds of the convolutions and linear layers, twice (as FLOPs), at this batch."""
    total = [0]

    def count(m, inputs, out):
        if isinstance(m, nn.Conv2d):
            total[0] += 2 * out.numel() * (m.in_channels // m.groups) * m.weight[0, 0].numel()
        elif isinstance(m, nn.Linear):
            total[0] += 2 * out.numel() * m.in_features
    hooks = [m.register_forward_hook(count) for m in model.modules()]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(batch, 1, 28, 28))
    for h in hooks:
        h.remove()
    return total[0]


def steptime(args):
    torch.manual_seed(1)
    model = load(args.model)
    # Backward costs about twice the forward: the usual 3x for a training step.
    flops = 3 * forward_flops(model, args.batch)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(args.batch, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (args.batch,), generator=g)
    result = {"model": args.model, "threads": args.threads, "batch": args.batch,
              "mode": args.mode, "torch_version": torch.__version__}

    def step(net):
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    try:  # torch.compile compiles on the first calls: a missing toolchain shows up here
        t0 = time.perf_counter()
        net = torch.compile(model) if args.mode == "compile" else model  # inductor
        for _ in range(args.warmup):
            step(net)
        result["warmup_s"] = round(time.perf_counter() - t0, 3)
    except Exception as e:
        result["error"] = f"{type(e).__name__}: {e}"[:500]
        print(json.dumps(result))
        return
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step(net)
        times.append(1e3 * (time.perf_counter() - t0))
    result.update(median_step_ms=statistics.median(times), steps=args.steps,
                  min_step_ms=min(times), flops_per_step=flops)
    print(json.dumps(result))


def check(args):
    """Every node's output (not only the logits: at initialization they hardly depend on the
    input) against ONNX Runtime's, in eval mode, on the file's input shape."""
    import onnxruntime as ort
    proto = onnx.load(args.model)
    inits = {t.name for t in proto.graph.initializer}
    names = [n.output[0] for n in proto.graph.node if n.op_type != "Constant"]
    known = {o.name for o in proto.graph.output}
    proto.graph.output.extend(onnx.ValueInfoProto(name=n) for n in names if n not in known)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    inp = next(i for i in sess.get_inputs() if i.name not in inits)
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ref = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {inp.name: x})))
    with torch.no_grad():
        env = OnnxModule(proto).eval()(torch.from_numpy(x), every_value=True)
    diff = {n: float(np.abs(env[n].numpy() - ref[n]).max()) for n in names}
    rel = {n: diff[n] / max(float(np.abs(ref[n]).max()), 1e-12) for n in names}
    worst = max(rel, key=rel.get)
    print(json.dumps({"model": args.model, "values": len(names),
                      "max_abs_diff_output": diff[proto.graph.output[0].name],
                      "max_abs_diff_any": max(diff.values()), "max_rel_diff_any": rel[worst],
                      "worst": worst}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode_name", choices=["steptime", "check"])
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--mode", choices=["eager", "compile"], default="eager")
    p.add_argument("--optimizer", choices=["sgd"], default="sgd")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    steptime(args) if args.mode_name == "steptime" else check(args)


if __name__ == "__main__":
    main()
