"""Batch-1 latency of an ONNX model in ONNX Runtime (CPU execution provider), with the
protocol of `nas bench`: 3 warm-up runs, then runs until at least --min-runs and
--min-seconds; prints one JSON object with the median and the spread in milliseconds.

    python ort_bench.py MODEL.onnx --threads N

intra_op_num_threads = N, inter_op_num_threads = 1, sequential execution, all graph
optimizations. Inputs are seeded normal noise bound once before the timed part (IOBinding,
so Python's feed conversion is not timed); symbolic dimensions are taken as 1.
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort

from bench_protocol import measure, percentile

DTYPES = {"tensor(float)": np.float32, "tensor(int64)": np.int64}


def session(model, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def inputs(sess, seed):
    rng = np.random.default_rng(seed)
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        feeds[i.name] = rng.standard_normal(shape).astype(DTYPES[i.type])
    return feeds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--min-runs", type=int, default=10)
    p.add_argument("--min-seconds", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    t0 = time.perf_counter()
    sess = session(a.model, a.threads)
    load_seconds = time.perf_counter() - t0
    binding = sess.io_binding()
    for name, value in inputs(sess, a.seed).items():
        binding.bind_cpu_input(name, value)
    for o in sess.get_outputs():
        binding.bind_output(o.name)
    times = measure(lambda: sess.run_with_iobinding(binding), a.warmup, a.min_runs, a.min_seconds)
    print(json.dumps({
        "median_ms": statistics.median(times), "min_ms": times[0], "max_ms": times[-1],
        "p25_ms": percentile(times, 0.25), "p75_ms": percentile(times, 0.75),
        "repeats": len(times),
        "protocol": f"{a.warmup} warm-up, then >= {a.min_runs} runs and >= {a.min_seconds} s; median",
        "threads": a.threads, "session_seconds": load_seconds,
        "executor": "onnxruntime " + ort.__version__ + " CPUExecutionProvider",
        "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
