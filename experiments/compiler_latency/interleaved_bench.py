"""Batch-1 latency of one ONNX model, ours against ONNX Runtime, in fine alternation.

    python interleaved_bench.py NAS MODEL.onnx --threads N --pairs P --out PREFIX [--records FILE]

On a shared VM the machine's speed drifts by tens of percent within minutes, so two
runtimes timed one after the other in separate processes can differ by the drift alone.
Here both stay loaded: `nas bench --serve` (compiled once, measuring once per line it
reads) and an ONNX Runtime session in this process (ort_bench.py's settings and protocol).
Each pair times one, then the other, a fraction of a second each, alternating which goes
first (after one warm-up run); PREFIX_rI_ours.json and PREFIX_rI_ort.json hold pair I's records, the rounds that
summarize_torchvision.py reads (it takes the median over pairs of the ratio within one).

With --records, a third runtime joins each round: ours with the tuned schedules of FILE (`nas
bench --records`), in PREFIX_rI_tuned.json; the rounds rotate which of the three goes first.

Each measurement waits --gap seconds first, so the runtime timed before it is idle: ONNX
Runtime's worker threads spin for a while after a run (as ours do for about a millisecond)
and took a core from whatever ran next. With no gap, at 2 threads, MobileNetV2 measured
0.73x ONNX Runtime's time in the pairs where ours went first and 1.57x where it followed
ONNX Runtime (16 pairs); with 20 ms, 0.75 and 0.76.
"""
import argparse
import json
import subprocess
import sys
import time

import onnxruntime as ort

import ort_bench
from bench_protocol import measure, percentile


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("nas")
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--pairs", type=int, default=20)
    p.add_argument("--min-seconds", type=float, default=0.1)
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--out", required=True, help="prefix of the records")
    p.add_argument("--gap", type=float, default=0.05,
                   help="seconds of idle before each measurement (the other runtime's threads settle)")
    p.add_argument("--records", help="tuning records: also time ours with them (runner 'tuned')")
    a = p.parse_args()

    def serve(extra):
        return subprocess.Popen(
            [a.nas, "bench", a.model, "--threads", str(a.threads), "--serve", "--no-calibrate",
             "--rounds", "1", "--max-spread", "0", "--warmup", "1",
             "--min-repeats", str(a.min_runs), "--min-seconds", str(a.min_seconds)] + extra,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    served = {"ours": serve([])}
    if a.records:
        served["tuned"] = serve(["--records", a.records])

    t0 = time.perf_counter()
    sess = ort_bench.session(a.model, a.threads)
    session_seconds = time.perf_counter() - t0
    binding = sess.io_binding()
    for name, value in ort_bench.inputs(sess, 0).items():
        binding.bind_cpu_input(name, value)
    for o in sess.get_outputs():
        binding.bind_output(o.name)

    def timer(ours):
        def time_ours():
            ours.stdin.write("measure\n")
            ours.stdin.flush()
            line = ours.stdout.readline()
            if not line:
                sys.exit(f"nas bench {a.model} stopped (exit {ours.wait()})")
            return json.loads(line)
        return time_ours

    def time_ort():
        times = measure(lambda: sess.run_with_iobinding(binding), 1, a.min_runs,
                                  a.min_seconds)
        return {"median_ms": percentile(times, 0.5), "min_ms": times[0],
                "max_ms": times[-1], "p25_ms": percentile(times, 0.25),
                "p75_ms": percentile(times, 0.75), "repeats": len(times),
                "threads": a.threads, "session_seconds": session_seconds,
                "executor": f"onnxruntime {ort.__version__} CPUExecutionProvider",
                "onnxruntime": ort.__version__, "interleaved": True}

    runners = [(name, timer(process)) for name, process in served.items()] + [("ort", time_ort)]
    for pair in range(1, a.pairs + 1):
        # Two runners alternate which goes first; three rotate.
        if len(runners) == 2:
            order = runners if pair % 2 else runners[::-1]
        else:
            k = (pair - 1) % len(runners)
            order = runners[k:] + runners[:k]
        for runner, timed in order:
            time.sleep(a.gap)
            record = timed()
            with open(f"{a.out}_r{pair}_{runner}.json", "w") as f:
                json.dump(record, f)
    for process in served.values():
        process.stdin.close()
        process.wait()


if __name__ == "__main__":
    main()
