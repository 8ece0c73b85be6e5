"""The timing protocol of `nas bench` for the Python peers (ONNX Runtime, TVM): warm-up
runs, then runs until at least min_runs and min_seconds; times in milliseconds, sorted.
Plain Python, no packages, so any peer's interpreter can import it."""
import time


def percentile(sorted_values, q):
    """Linear interpolation between closest ranks."""
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def measure(run, warmup, min_runs, min_seconds):
    for _ in range(warmup):
        run()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)
