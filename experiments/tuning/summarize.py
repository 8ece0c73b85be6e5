"""Summarises experiments/tuning/run.sh ($OUT) as markdown (stdout). Plain Python 3.

Layers: per workload and thread count, the default schedule's time, the best of the random
search, of the model-guided search and of the transfer run, as GFLOP/s (multiply-adds as 2)
and as a share of the FMA peak measured at that thread count (the median of the runs
before and after). "Trials to reach" counts a run's measurements, in the order it made
them (the records' ids), until its best is within 1% (5%) of the random search's best.
Models: the median over rounds of each variant's median, tuned and default against ONNX
Runtime, and their geometric means.
"""
import glob
import json
import math
import os
import sqlite3
import statistics
import sys

folder = sys.argv[1]


def load(path):
    with open(path) as f:
        return json.load(f)


def peaks():
    by_threads = {}
    path = os.path.join(folder, "fma_peak.jsonl")
    if os.path.exists(path):
        for line in open(path):
            if line.strip():
                r = json.loads(line)
                by_threads.setdefault(r["threads"], []).append(r["gflops"])
    return {t: statistics.median(v) for t, v in by_threads.items()}


def history(path, first_id=0):
    """Per workload, the times of its measurements in order (None: failed), and its work."""
    runs = {}
    db = sqlite3.connect(path)
    for workload, ms, work, kernel in db.execute(
            "SELECT workload, ms, work, kernel FROM measurements WHERE id > ? ORDER BY id",
            (first_id,)):
        runs.setdefault(workload, {"times": [], "work": work, "kernel": kernel})["times"].append(ms)
    return runs


def trials_to(times, target):
    best = math.inf
    for i, t in enumerate(times, 1):
        if t is not None:
            best = min(best, t)
        if best <= target:
            return i
    return None


def best(times):
    ok = [t for t in times if t is not None]
    return min(ok) if ok else None


def gflops(work, ms):
    return 2 * work / ms / 1e6


def layers(peak, meta):
    print("## Layers\n")
    print(f"Random search: {meta['random_trials']} trials per workload; model-guided: "
          f"{meta['trials']} (from empty records); transfer: {meta['transfer_trials']} (from "
          "the model-guided records of every other layer file); the shipped spaces' kernels "
          f"(space_*) {' / '.join(str(n) for n in meta.get('space_trials', []))} (random / "
          "model / transfer). % peak: of the FMA peak at the same threads.\n")
    print("| layer | kernel | threads | default GFLOP/s (% peak) | random best | model best "
          "| transfer best | model trials to random's best (1% / 5%) | transfer trials to 5% |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "records", "random_*.sqlite"))):
        name = os.path.basename(path)[len("random_"):-len(".sqlite")]
        layer, threads = name.rsplit("_t", 1)
        threads = int(threads)
        random_runs = history(path)
        model_path = os.path.join(folder, "records", f"model_{name}.sqlite")
        transfer_path = os.path.join(folder, "records", f"transfer_{name}.sqlite")
        model_runs = history(model_path) if os.path.exists(model_path) else {}
        first_id = 0
        if os.path.exists(transfer_path[:-len(".sqlite")] + ".first_id"):
            first_id = int(open(transfer_path[:-len(".sqlite")] + ".first_id").read().strip() or 0)
        transfer_runs = history(transfer_path, first_id) if os.path.exists(transfer_path) else {}
        for workload, run in random_runs.items():
            work = run["work"]
            default = run["times"][0]  # the tuner measures the default schedule first
            r_best = best(run["times"])
            m = model_runs.get(workload, {"times": []})["times"]
            x = transfer_runs.get(workload, {"times": []})["times"]
            if default is None or r_best is None:
                continue

            def cell(ms):
                if ms is None:
                    return "-"
                g = gflops(work, ms)
                return f"{g:.1f} ({100 * g / peak[threads]:.0f}%)" if threads in peak else f"{g:.1f}"

            to1 = trials_to(m, r_best * 1.01) if m else None
            to5 = trials_to(m, r_best * 1.05) if m else None
            x5 = trials_to(x, r_best * 1.05) if x else None
            kernel = run["kernel"].split(" ")[0]
            rows.append({"layer": layer, "threads": threads, "default": default, "random": r_best,
                         "model": best(m) if m else None, "transfer": best(x) if x else None,
                         "to1": to1, "to5": to5, "x5": x5, "work": work,
                         "single": not layer.startswith("space_")})
            fmt = lambda v: "-" if v is None else str(v)
            more = lambda v, n: f"> {n}" if v is None else str(v)
            print(f"| {layer} | {kernel} | {threads} | {cell(default)} | {cell(r_best)} | "
                  f"{cell(best(m) if m else None)} | {cell(best(x) if x else None)} | "
                  f"{more(to1, len(m))} / {more(to5, len(m))} | {more(x5, len(x))} |")
    print()
    if not rows:
        return
    def median_of(key, where=lambda r: True):
        values = [r[key] for r in rows if where(r) and r[key] is not None]
        return statistics.median(values) if values else None
    reached1 = [r for r in rows if r["to1"] is not None]
    print(f"- Workloads: {len(rows)} (single layers and the shipped spaces' kernels, both "
          "thread counts).")
    print(f"- Model-guided search within 1% of random's best: {len(reached1)} of {len(rows)} "
          f"workloads within its {meta['trials']} trials; median trials among those "
          f"{median_of('to1')}.")
    print(f"- Within 5%: median trials {median_of('to5')}; with transfer, median "
          f"{median_of('x5')} trials ({sum(r['x5'] is not None for r in rows)} of {len(rows)} "
          f"within {meta['transfer_trials']}).")
    slower = [r for r in rows if r["model"] is not None and r["model"] > r["default"]]
    print(f"- Tuned (model) slower than the default: {len(slower)} workloads "
          "(the default is measured first, so the best is never slower as measured).")
    speedups = [r["default"] / r["model"] for r in rows if r["model"]]
    if speedups:
        print(f"- Tuned/default speed-up: median {statistics.median(speedups):.2f}x, "
              f"max {max(speedups):.2f}x.")
    print()


def models():
    files = sorted(glob.glob(os.path.join(folder, "models", "bench_*_t*.jsonl")))
    if not files:
        return
    print("## Models\n")
    print("| model | threads | default ms | tuned ms | ORT ms | tuned/default | default/ORT | tuned/ORT |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = {}
    for path in files:
        name = os.path.basename(path)[len("bench_"):-len(".jsonl")]
        model, threads = name.rsplit("_t", 1)
        times = {}
        for line in open(path):
            if line.strip():
                r = json.loads(line)
                times.setdefault(r["variant"], []).append(r.get("median_ms"))
        med = {k: statistics.median(v) for k, v in times.items() if v}
        if not {"default", "tuned", "ort"} <= med.keys():
            continue
        d, t, o = med["default"], med["tuned"], med["ort"]
        ratios.setdefault(threads, []).append((d / o, t / o))
        print(f"| {model} | {threads} | {d:.2f} | {t:.2f} | {o:.2f} | {t / d:.2f} | {d / o:.2f} | {t / o:.2f} |")
    print()
    for threads, r in sorted(ratios.items()):
        g = lambda xs: math.exp(sum(math.log(x) for x in xs) / len(xs))
        print(f"- {threads} thread(s): geometric mean default/ORT {g([a for a, _ in r]):.2f}, "
              f"tuned/ORT {g([b for _, b in r]):.2f} over {len(r)} models.")
    print()


meta_layers = load(os.path.join(folder, "meta_layers.json")) if os.path.exists(
    os.path.join(folder, "meta_layers.json")) else {}
print("# The auto-tuner: what it finds and how fast\n")
print("Written by `experiments/tuning/summarize.py` from `bash experiments/tuning/run.sh`.\n")
for step in ("layers", "models"):
    p = os.path.join(folder, f"meta_{step}.json")
    if os.path.exists(p):
        m = load(p)
        print(f"- {step}: {m['date']}, nas {m['nas']} at {m['commit']}, {m['cpu']}, {m['cores']} cores")
peak = peaks()
for t, g in sorted(peak.items()):
    print(f"- fp32 FMA peak at {t} thread(s): {g:.0f} GFLOP/s (fma_peak.cc, median of the runs before and after)")
print()
if meta_layers:
    layers(peak, meta_layers)
models()
