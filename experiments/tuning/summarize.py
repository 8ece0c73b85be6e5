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
    """Per thread count, the median peak of the widest vectors fma_peak.cc measured."""
    rows = []
    path = os.path.join(folder, "fma_peak.jsonl")
    if os.path.exists(path):
        rows = [json.loads(line) for line in open(path) if line.strip()]
    widest = max((r["lanes"] for r in rows), default=0)
    by_threads = {}
    for r in rows:
        if r["lanes"] == widest:
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
        # Workloads the other layer files share (the spaces' networks have many in common)
        # come from the records: the transfer run measures nothing for them.
        in_records = set(history(transfer_path, 0)) - set(transfer_runs) if os.path.exists(
            transfer_path) else set()
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
                         "single": not layer.startswith("space_"),
                         "reused": workload in in_records})
            fmt = lambda v: "-" if v is None else str(v)
            more = lambda v, n: f"> {n}" if v is None else str(v)
            reused = workload in in_records
            print(f"| {layer} | {kernel} | {threads} | {cell(default)} | {cell(r_best)} | "
                  f"{cell(best(m) if m else None)} | "
                  f"{'in the records' if reused else cell(best(x) if x else None)} | "
                  f"{more(to1, len(m))} / {more(to5, len(m))} | "
                  f"{'0 (reused)' if reused else more(x5, len(x))} |")
    print()
    if not rows:
        return
    def median_of(key, where=lambda r: True):
        values = [r[key] for r in rows if where(r) and r[key] is not None]
        return statistics.median(values) if values else None
    gained = [r for r in rows if r["random"] < r["default"] / 1.03]
    print(f"- Workloads: {len(rows)} (single layers and the shipped spaces' kernels, both "
          f"thread counts); in {len(gained)} of them the random search found a schedule at "
          "least 3% faster than the default (the others: small spaces, or the default is "
          "already the best).")
    if gained:
        reached = [r for r in gained if r["to1"] is not None]
        trials = [r["to1"] for r in reached]
        print(f"- On those, the model-guided search came within 1% of the random search's best "
              f"in {len(reached)} of {len(gained)} workloads, median {statistics.median(trials) if trials else '-'} "
              f"trials (max {max(trials) if trials else '-'}); within 5% in median "
              f"{median_of('to5', lambda r: r in gained)} trials.")
        fresh = [r for r in gained if not r["reused"]]
        x = [r["x5"] for r in fresh if r["x5"] is not None]
        print(f"- With transfer (the cost model trained on the other files' records): within 5% "
              f"of the random best in {len(x)} of {len(fresh)} such workloads not already in "
              f"those records, median {statistics.median(x) if x else '-'} trials; "
              f"{len(gained) - len(fresh)} were in them already (0 trials).")
        speedups = [r["default"] / min(r["model"], r["random"]) for r in gained if r["model"]]
        print(f"- Tuned against default on those workloads (best found / default, as measured "
              f"in the tuning runs): median {statistics.median(speedups):.2f}x, max "
              f"{max(speedups):.2f}x.")
    print()


def layers_bench():
    path = os.path.join(folder, "layers_bench.jsonl")
    if not os.path.exists(path):
        return
    times = {}
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            times.setdefault((r["layer"], r["threads"]), {}).setdefault(r["variant"], []).append(
                r["median_ms"])
    print("Measured again side by side (`nas bench --no-calibrate`, default and "
          "`--records` of the model-guided run alternated, the median of the rounds):\n")
    print("| layer | threads | default ms | tuned ms | tuned/default |")
    print("|---|---|---|---|---|")
    for (layer, threads), v in sorted(times.items()):
        if "default" in v and "tuned" in v:
            d, t = statistics.median(v["default"]), statistics.median(v["tuned"])
            print(f"| {layer} | {threads} | {d:.4f} | {t:.4f} | {t / d:.2f} |")
    print()


def models():
    rounds = {}  # (model, threads) -> round -> runner -> median ms
    for path in glob.glob(os.path.join(folder, "models", "pairs_*_t*_r*_*.json")):
        name = os.path.basename(path)[len("pairs_"):-len(".json")]
        rest, runner = name.rsplit("_", 1)
        rest, pair = rest.rsplit("_r", 1)
        model, threads = rest.rsplit("_t", 1)
        rounds.setdefault((model, threads), {}).setdefault(int(pair), {})[runner] = \
            load(path)["median_ms"]
    if not rounds:
        return
    print("## Models\n")
    print("Ours without and with the records, and ONNX Runtime, kept loaded and timed in "
          "rotation (interleaved_bench.py --records); times are medians over the rounds, ratios "
          "the median over the rounds of the ratio within one.\n")
    print("| model | threads | rounds | default ms | tuned ms | ORT ms | tuned/default | default/ORT | tuned/ORT |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios = {}
    for (model, threads), by_round in sorted(rounds.items()):
        full = [r for r in by_round.values() if {"ours", "tuned", "ort"} <= r.keys()]
        if not full:
            continue
        med = lambda f: statistics.median(f(r) for r in full)
        d, t, o = (med(lambda r, k=k: r[k]) for k in ("ours", "tuned", "ort"))
        td = med(lambda r: r["tuned"] / r["ours"])
        do = med(lambda r: r["ours"] / r["ort"])
        to = med(lambda r: r["tuned"] / r["ort"])
        ratios.setdefault(threads, []).append((do, to))
        print(f"| {model} | {threads} | {len(full)} | {d:.2f} | {t:.2f} | {o:.2f} | {td:.3f} | "
              f"{do:.2f} | {to:.2f} |")
    print()
    for threads, r in sorted(ratios.items()):
        g = lambda xs: math.exp(sum(math.log(x) for x in xs) / len(xs))
        print(f"- {threads} thread(s): geometric mean default/ORT {g([a for a, _ in r]):.2f}, "
              f"tuned/ORT {g([b for _, b in r]):.2f} over {len(r)} models.")
    print()


def search():
    path = os.path.join(folder, "search", "run", "results.json")
    if not os.path.exists(path):
        return
    trials = load(path)["trials"]
    rows = []
    for t in trials:
        l = t.get("result", t).get("latency", {}).get("host")
        if not l:
            continue
        measure = l["repeats"] * l["median_ms"] / 1000 * (2 if l.get("untuned_median_ms") else 1)
        rows.append((t["id"], l["compile_seconds"], l.get("tune_seconds", 0), measure,
                     l["median_ms"], l.get("untuned_median_ms", 0)))
    rows.sort()
    if not rows:
        return
    print("## Tuning inside a search\n")
    print(f"{len(rows)} candidates of mobilenet_28 (random strategy), tuning trials per new "
          "workload as configured, fresh records. Per candidate: compile seconds (both "
          "compiles), tune seconds, and the timed runs' seconds (runs x median, both "
          "latencies).\n")
    def med(xs):
        return statistics.median(xs) if xs else float("nan")
    for label, part in (("first 20", rows[:20]), ("after the first 20", rows[20:])):
        if not part:
            continue
        total = [c + u + m for _, c, u, m, _, _ in part]
        print(f"- {label}: median compile {med([r[1] for r in part]):.2f} s, tune "
              f"{med([r[2] for r in part]):.2f} s, timed runs {med([r[3] for r in part]):.2f} s; "
              f"compile + tune + measure median {med(total):.2f} s (max {max(total):.2f} s).")
    ratios = [r[4] / r[5] for r in rows if r[5] > 0]
    if ratios:
        print(f"- tuned / untuned latency: median {med(ratios):.3f}, min {min(ratios):.3f}, "
              f"max {max(ratios):.3f} over {len(ratios)} candidates.")
    print()


meta_layers = load(os.path.join(folder, "meta_layers.json")) if os.path.exists(
    os.path.join(folder, "meta_layers.json")) else {}
print("# The auto-tuner: what it finds and how fast\n")
print("Written by `experiments/tuning/summarize.py` from `bash experiments/tuning/run.sh`.\n")
for step in ("layers", "models", "search"):
    p = os.path.join(folder, f"meta_{step}.json")
    if os.path.exists(p):
        m = load(p)
        print(f"- {step}: {m['date']}, nas {m['nas']} at {m['commit']}, {m['cpu']}, {m['cores']} cores")
peak = peaks()
for t, g in sorted(peak.items()):
    print(f"- fp32 FMA peak at {t} thread(s): {g:.0f} GFLOP/s (fma_peak.cc, widest vectors, "
          "median of the runs before each layer file and at the end)")
print()
if meta_layers:
    layers(peak, meta_layers)
    layers_bench()
models()
search()
