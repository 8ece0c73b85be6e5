"""Summarises run.sh's torchvision step ($OUT/torchvision) as markdown (stdout). Plain
Python 3, no packages.

Per model and thread count: each runner's latency is the median over rounds (the pairs of
interleaved_bench.py) of each round's median, the ratio ours / ONNX Runtime the median over
rounds of the ratio within a round;
the geometric means are over the models that agree with ONNX Runtime. The share of the FMA
peak is the model's FLOPs (nas bench: multiply-adds as 2) over our median time, against the
peak measured at that thread count (the median of the measurements before and after). The
kernel families are the 1-thread profile's, each kernel timed alone.
"""
import glob
import json
import math
import os
import re
import statistics
import sys

folder = sys.argv[1]
RECORD = re.compile(r"(.+)_t(\d+)_r(\d+)_(ours|ort)\.json$")
AGREE = re.compile(r"max abs error / output scale ([0-9.e+-]+)")
PROFILE = re.compile(r"^\s*\d+\s+([0-9.]+) ms\s+[0-9.]+%\s+(\S+)")
GOAL_GEOMEAN = 0.8
GOAL_WORST = 1.0
GOAL_ERROR = 1e-4


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def ok(record):
    return record is not None and "error" not in record and "median_ms" in record


def records():
    """{(model, threads): {runner: {round: record}}}"""
    cases = {}
    for path in sorted(glob.glob(os.path.join(folder, "latency", "*.json"))):
        m = RECORD.match(os.path.basename(path))
        if m:
            cases.setdefault((m.group(1), int(m.group(2))), {}).setdefault(
                m.group(4), {})[int(m.group(3))] = load(path)
    return cases


def median_ms(case, runner):
    values = [r["median_ms"] for r in case.get(runner, {}).values() if ok(r)]
    return statistics.median(values) if values else None


def ratio(case):
    rounds = set(case.get("ours", {})) & set(case.get("ort", {}))
    values = [case["ours"][r]["median_ms"] / case["ort"][r]["median_ms"] for r in sorted(rounds)
              if ok(case["ours"][r]) and ok(case["ort"][r])]
    return statistics.median(values) if values else None


def flops(case):
    for r in case.get("ours", {}).values():
        if ok(r) and "flops" in r:
            return r["flops"]
    return None


def agreement(model):
    try:
        text = open(os.path.join(folder, "agree", f"{model}.txt")).read()
    except OSError:
        return None, "not run"
    m = AGREE.search(text)
    if m:
        return float(m.group(1)), None
    return None, (text.strip().splitlines() or ["failed"])[-1][:120]


def kernel_families(model, top=3):
    try:
        lines = open(os.path.join(folder, "profile", f"{model}.txt")).read().splitlines()
    except OSError:
        return "-"
    by_family = {}
    for line in lines:
        m = PROFILE.match(line)
        if m:
            by_family[m.group(2)] = by_family.get(m.group(2), 0.0) + float(m.group(1))
    total = sum(by_family.values())
    if not total:
        return "-"
    ranked = sorted(by_family.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{family} {100 * ms / total:.0f}%" for family, ms in ranked)


def peaks():
    """{threads: median GFLOP/s of the fp32 FMA peak measurements}"""
    by_threads = {}
    try:
        for line in open(os.path.join(folder, "fma_peak.jsonl")):
            r = json.loads(line)
            if r.get("isa") == "avx512" or "isa" not in r:
                by_threads.setdefault(r["threads"], []).append(r["gflops"])
    except OSError:
        pass
    return {t: statistics.median(v) for t, v in by_threads.items()}


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def main():
    cases = records()
    models = sorted({m for m, _ in cases})
    threads = sorted({t for _, t in cases})
    peak = peaks()
    pairs = max((len(c.get("ours", {})) for c in cases.values()), default=0)
    meta = load(os.path.join(folder, "..", "meta_torchvision.json")) or {}
    try:
        versions = open(os.path.join(folder, "versions.txt")).read().strip().splitlines()
    except OSError:
        versions = []
    print("# The compiler on torchvision's classification models, against ONNX Runtime\n")
    print("Written by `experiments/compiler_latency/summarize_torchvision.py` from "
          "`bash experiments/compiler_latency/run.sh torchvision`.\n")
    print(f"- When: {meta.get('date', '?')}; nas {meta.get('nas', '?')} at commit "
          f"{meta.get('commit', '?')}; {meta.get('gxx', '?')}")
    for line in versions:
        print(f"- {line.strip()}")
    for t in threads:
        if t in peak:
            print(f"- fp32 FMA peak at {t} thread{'s' if t > 1 else ''}: {peak[t]:.0f} GFLOP/s "
                  "(fma_peak.cc, AVX-512, median of the runs before and after)")
    print("- Models: torchvision, random weights, `torch.onnx.export` at opset 17, batch 1 "
          "(make_torchvision.py). Ours: `nas bench --no-calibrate --serve` (measured times); "
          "ONNX Runtime: ort_bench.py's session, CPU execution provider, all graph "
          "optimizations, the same threads. Both kept loaded and timed in alternation, a "
          "tenth of a second (at least 3 runs) each after 50 ms idle, in pairs "
          f"(interleaved_bench.py, {pairs} pairs per model and thread count); the ratio is "
          "the median over the pairs of the ratio within a pair.")
    print(f"- Agreement: `nas run` against ONNX Runtime on seeded normal input, max abs error / "
          f"output scale (goal <= {GOAL_ERROR:g}).")
    print("- % peak: the model's FLOPs as written (a convolution's direct multiply-adds) over "
          "our time, against the FMA peak. Winograd convolutions compute fewer, so a model "
          "can pass 100%.\n")
    header = "| model | GFLOP | error |"
    rule = "|---|---|---|"
    for t in threads:
        header += f" ours {t}t ms | ORT {t}t ms | ours/ORT {t}t | % peak {t}t |"
        rule += "---|---|---|---|"
    print(header + " time by kernel family (1 thread) |")
    print(rule + "---|")
    ratios = {t: {} for t in threads}
    for model in models:
        error, why = agreement(model)
        agrees = error is not None and error <= GOAL_ERROR
        f = next((flops(cases[(model, t)]) for t in threads if (model, t) in cases), None)
        row = f"| {model} | {f / 1e9:.2f} |" if f else f"| {model} | - |"
        row += f" {error:.1e} |" if error is not None else f" {why} |"
        for t in threads:
            case = cases.get((model, t), {})
            ours, ort, r = median_ms(case, "ours"), median_ms(case, "ort"), ratio(case)
            if agrees and r:
                ratios[t][model] = r
            share = (f / (ours * 1e6) / peak[t] * 100) if f and ours and t in peak else None
            row += (f" {ours:.2f} |" if ours else " failed |") + (f" {ort:.2f} |" if ort else " - |")
            row += (f" **{r:.2f}** |" if r and r > GOAL_WORST else f" {r:.2f} |" if r else " - |")
            row += f" {share:.0f}% |" if share else " - |"
        print(row + f" {kernel_families(model)} |")
    print()
    for t in threads:
        g = geomean(ratios[t].values())
        worst = max(ratios[t].items(), key=lambda kv: kv[1]) if ratios[t] else None
        above = sorted(m for m, r in ratios[t].items() if r > GOAL_WORST)
        if g is None:
            continue
        print(f"- {t} thread{'s' if t > 1 else ''}: geometric mean ours/ORT **{g:.2f}** over "
              f"{len(ratios[t])} models (goal <= {GOAL_GEOMEAN}: "
              f"{'met' if g <= GOAL_GEOMEAN else 'missed'}); worst {worst[0]} {worst[1]:.2f}; "
              f"above {GOAL_WORST}: {', '.join(above) if above else 'none'}.")


if __name__ == "__main__":
    main()
