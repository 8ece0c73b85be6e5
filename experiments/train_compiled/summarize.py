"""Writes results.md of the compiled-training study from the records run.sh leaves in OUT.

Per network and thread count, each side's step time is the median over rounds of each run's
median step; ratios are ours / the peer's; geometric means over the networks. The FMA share
is the step's FLOPs (forward, loss and backward, from our op registry) over the time, against
the machine's measured peak at that thread count.
"""
import collections, json, math, statistics, sys
from pathlib import Path

out = Path(sys.argv[1])
meta = json.loads((out / "meta.json").read_text())
records = [json.loads(l) for l in (out / "steptime.jsonl").read_text().splitlines() if l.strip()]
peaks = {}
for line in (out / "fma_peak.jsonl").read_text().splitlines():
    p = json.loads(line)
    peaks[p["threads"]] = max(peaks.get(p["threads"], 0), p["gflops"])
archs = dict(l.split(" ", 1) for l in (out / "models" / "archs.txt").read_text().splitlines())

times = collections.defaultdict(list)  # (name, threads, side) -> medians of runs
errors, flops, compile_s = {}, {}, []
for r in records:
    key = (r["name"], r["threads"], r["side"])
    if "error" in r:
        errors[key] = r["error"]
        continue
    times[key].append(r["median_step_ms"])
    if r["side"] == "nas":
        flops[r["name"]] = r["flops_per_step"]
        compile_s.append(r["compile_seconds"])

names = sorted({r["name"] for r in records}, key=lambda n: (n != "small_cnn", n))
threads = sorted({r["threads"] for r in records})


def median(name, t, side):
    v = times.get((name, t, side))
    return statistics.median(v) if v else None


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


print("# Compiled training step against PyTorch\n")
print(f"Recorded {meta['date']} on {meta['cpu']} ({meta['cores']} cores), {meta['nas']}, "
      f"PyTorch {meta['torch']} (CPU, from PyPI), Python {meta['python']}. "
      "Rerun: `bash experiments/train_compiled/run.sh all`.\n")
print("One training step at batch 64 on 1x28x28 inputs: forward with batch norm in training "
      "mode, softmax cross-entropy, backward, SGD with momentum 0.9 updating the weights in "
      "place; the same ONNX file (weights included) on both sides. Median step (ms) of each "
      "run, median over rounds that alternate the sides. Networks: the small CNN and 5 "
      "architectures sampled from each shipped space (`nas space --sample 5 --seed 1`).\n")
for t in threads:
    print(f"## {t} thread(s) (FMA peak {peaks.get(t, float('nan')):.0f} GFLOP/s)\n")
    print("| network | MFLOP/step | ours ms | eager ms | compile ms | ours/eager | "
          "ours/compile | ours % of peak |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    r_eager, r_compile = [], []
    for n in names:
        ours, eager, comp = (median(n, t, s) for s in ("nas", "torch_eager", "torch_compile"))
        if ours is None:
            continue
        re = ours / eager if eager else None
        rc = ours / comp if comp else None
        r_eager.append(re)
        r_compile.append(rc)
        share = flops[n] / (ours * 1e-3) * 1e-9 / peaks[t] * 100 if t in peaks else float("nan")
        fmt = lambda v, f="{:.2f}": f.format(v) if v else "n/a"
        print(f"| {n} | {flops[n] / 1e6:.0f} | {ours:.2f} | {fmt(eager)} | {fmt(comp)} | "
              f"{fmt(re)} | {fmt(rc)} | {share:.1f}% |")
    print(f"| **geometric mean** | | | | | **{geomean(r_eager):.2f}** | "
          f"**{geomean(r_compile):.2f}** | |\n")
if errors:
    print("Peer runs that failed: " + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())) + "\n")
print(f"Compile time of a training step (ours, per network and run, kernel cache cold per "
      f"process): median {statistics.median(compile_s):.2f} s, max {max(compile_s):.2f} s "
      f"over {len(compile_s)} compiles.\n")
print("Architectures:\n")
for n in names:
    if n in archs:
        print(f"- {n}: `{archs[n]}`")
accuracy = out / "accuracy"
if accuracy.exists():
    def read(pattern):
        found = {}
        for f in sorted(accuracy.glob(pattern)):
            j = json.loads(f.read_text())
            found[int(f.name.split("_s")[1].split("_")[0])] = j
        return found
    c1, c3, r1 = read("compiled_s*_e1.json"), read("compiled_s*_e3.json"), read("reference_s*_e1.json")
    print("\n## Accuracy: the small CNN, compiled against the reference trainer\n")
    print("All 60000 training images, SGD lr 0.05, momentum 0.9, batch 64, constant rate (the "
          "recipe of `experiments/train_small_cnn`), 1 thread; test accuracy on the 10000 test "
          "images. Compiled: 1 epoch, then resumed to 3. The reference trainer: 1 epoch "
          "(about 7 minutes each). PyTorch's range recorded in `experiments/train_small_cnn`: "
          "77.2% [70.8-82.6] after 1 epoch, 86.2% [85.3-87.2] after 3.\n")
    print("| seed | compiled, 1 epoch | reference, 1 epoch | compiled, 3 epochs | epoch-1 loss, compiled / reference | compiled step ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    pct = lambda j: f"{100 * j['test_accuracy']:.2f}%" if j else "not run"
    for seed in sorted(c1):
        ref = r1.get(seed)
        ref_loss = f"{ref['loss_curve'][0]:.4f}" if ref else "-"
        print(f"| {seed} | {pct(c1[seed])} | {pct(ref)} | {pct(c3.get(seed))} | "
              f"{c1[seed]['loss_curve'][0]:.4f} / {ref_loss} | {c1[seed]['step_ms']:.1f} |")
    mean = lambda d: 100 * statistics.mean(v["test_accuracy"] for v in d.values())
    print(f"| **mean** | **{mean(c1):.2f}%** | **{mean(r1):.2f}%** | **{mean(c3):.2f}%** | | |")
    both = {seed: c1[seed] for seed in r1 if seed in c1}  # the seeds both trainers ran
    if both and len(both) < len(c1):
        print(f"| **mean, seeds {', '.join(map(str, sorted(both)))}** | **{mean(both):.2f}%** | "
              f"**{mean(r1):.2f}%** | | | |")
quick = {side: out / f"quickstart_{side}" for side in ("before", "after")}
if all((q / "results.json").exists() for q in quick.values()):
    print("\n## The quickstart search before and after\n")
    print("`nas search configs/quickstart.yaml` (12 candidates, 2 workers x 1 thread, then the "
          "2 winners trained with the final recipe and tested). Before: the config of commit "
          "1b53297 (2000 training images per candidate, winners 2 epochs) on the reference "
          "trainer. After: the shipped config (20000 images per candidate, winners 5 epochs "
          "with a cosine schedule) on the compiled step.\n")
    print("| | wall time | search part (candidate time / 2 workers) | candidates / hour | median candidate training | "
          "median step ms | median step compile (s) | winners' test accuracy |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for side, q in quick.items():
        j = json.loads((q / "results.json").read_text())
        trials = [t["result"] for t in j["trials"]]
        search_s = sum(t["seconds"] for t in j["trials"]) / 2  # two workers
        wall = int((q / "wall_seconds").read_text()) if (q / "wall_seconds").exists() else None
        winners = json.loads((q / "winners" / "winners.json").read_text())["winners"]
        tests = ", ".join(f"{100 * w['final_result']['test_accuracy']:.1f}%" for w in winners)
        # The compiled step's compile time per candidate, in the search (kernel cache shared
        # across candidates); 0 on the reference trainer, which compiles nothing.
        compiles = [t.get("training_compile_seconds", 0) for t in trials]
        compile_cell = f"{statistics.median(compiles):.2f}" if any(compiles) else "-"
        print(f"| {side} | {wall // 60} min {wall % 60} s | {search_s / 60:.1f} min | "
              f"{len(trials) / (search_s / 3600):.0f} | "
              f"{statistics.median(t['training_seconds'] for t in trials):.1f} s | "
              f"{statistics.median(t['step_ms'] for t in trials):.0f} | {compile_cell} | {tests} |")
profile = out / "profile.txt"
if profile.exists():
    print("\n## Where the time goes (per-kernel profile of one step as it runs, `train_step_profile`, the 6 slowest kernels)\n")
    print("```")
    print(profile.read_text().rstrip().replace(str(out) + '/models/', ''))
    print("```")
