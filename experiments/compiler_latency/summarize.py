"""Summarises the records of run.sh ($OUT) into results.md (stdout). Plain Python 3, no
packages: it runs with Debian's python3.

Per model (or layer) and thread count, each runner's latency is the median over rounds of
each round's median; the ratio ours / peer is the median over rounds of the ratio within a
round (the two were measured next to each other), and geometric means are over models.
"""
import glob
import json
import math
import os
import re
import statistics
import sys

out = sys.argv[1]
RECORD = re.compile(r"(.+)_t(\d+)_r(\d+)_(ours16c|ours|ort|reference|onednn)\.json$")
GOAL_RATIO = 1.5           # geometric mean of ours / ONNX Runtime, default schedules
GOAL_REFERENCE_SPEEDUP = 20  # reference executor / ours
GOAL_COMPILE_SECONDS = 1.0   # per candidate of the shipped spaces


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def load_records(folder):
    """{(name, threads): {runner: {round: record}}}"""
    cases = {}
    for path in sorted(glob.glob(os.path.join(out, folder, "*.json"))):
        m = RECORD.match(os.path.basename(path))
        record = load(path)
        if m and record is not None:
            name, threads, rnd, runner = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
            cases.setdefault((name, threads), {}).setdefault(runner, {})[rnd] = record
    return cases


def ok(record):
    return record is not None and "error" not in record and "median_ms" in record


def median_ms(case, runner):
    values = [r["median_ms"] for r in case.get(runner, {}).values() if ok(r)]
    return statistics.median(values) if values else None


def spread(case, runner):
    values = [r["median_ms"] for r in case.get(runner, {}).values() if ok(r)]
    return (min(values), max(values)) if len(values) > 1 else None


def ratio(case, a, b):
    """Median over rounds of a / b, within rounds where both ran."""
    rounds = set(case.get(a, {})) & set(case.get(b, {}))
    values = [case[a][r]["median_ms"] / case[b][r]["median_ms"] for r in sorted(rounds)
              if ok(case[a][r]) and ok(case[b][r])]
    return statistics.median(values) if values else None


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def ms_text(case, runner):
    m = median_ms(case, runner)
    if m is None:
        errors = [r["error"] for r in case.get(runner, {}).values() if r and "error" in r]
        return "failed" if errors else "-"
    s = spread(case, runner)
    return f"{m:.3f}" + (f" ({s[0]:.3f}-{s[1]:.3f})" if s else "")


def num(value, fmt="{:.2f}", missing="-"):
    return missing if value is None else fmt.format(value)


def errors_of(cases):
    lines = []
    for (name, threads), case in sorted(cases.items()):
        for runner, rounds in sorted(case.items()):
            for rnd, r in sorted(rounds.items()):
                if r and "error" in r:
                    lines.append(f"- {name}, {threads} thread(s), {runner}, round {rnd}: "
                                 f"{r['error'][:300]}")
    return lines


def cpu():
    model, flags = "?", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
              "avx512_bf16", "amx_tile"]
    return model, " ".join(f for f in wanted if f in flags)


def first_value(cases, runner, key):
    for case in cases.values():
        for r in case.get(runner, {}).values():
            if ok(r) and key in r:
                return r[key]
    return None


def thread_counts(cases):
    return sorted({t for _, t in cases})


# ---------------------------------------------------------------------------------------
latency = load_records("latency")
layers = load_records("layers")
manifest = load(os.path.join(out, "models", "models.json")) or {"models": {}}
archs = {}
if os.path.exists(os.path.join(out, "models", "archs.tsv")):
    for line in open(os.path.join(out, "models", "archs.tsv")):
        name, space, arch = line.rstrip("\n").split("\t")
        archs[name] = (space, arch)
metas = {step: load(os.path.join(out, f"meta_{step}.json")) for step in ("models", "layers", "compile")}
peaks = []
if os.path.exists(os.path.join(out, "fma_peak.jsonl")):
    peaks = [json.loads(line) for line in open(os.path.join(out, "fma_peak.jsonl")) if line.strip()]
compiles = {os.path.basename(p)[:-5]: load(p) for p in sorted(glob.glob(os.path.join(out, "compile", "*.json")))}

p = print
p("# Compiler speed study: compiled models against ONNX Runtime, oneDNN and the FMA peak")
p()
p("How to rerun (from the repository root, on a machine that runs nothing else):")
p()
p("    sudo apt-get install -y libdnnl-dev      # oneDNN, the single-layer peer (benchmark only)")
p("    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && make -C build -j nas")
p("    bash experiments/compiler_latency/run.sh all   # or: models | layers | compile | summary")
p()
p("The peers' Python packages (requirements.txt) go into build/bench-venv on first use; set")
p("TORCH_PYTHON and ORT_PYTHON to reuse interpreters that have them. Records go to")
p("experiments/runs/compiler_latency/ (not in git); `run.sh summary` rewrites this file.")
p("Knobs (environment): THREADS, ROUNDS, SAMPLES, COMPILE_SAMPLES, SEED, REFERENCE, MODELS,")
p("NAS (a copy of the binary, pinned while build/ changes); see the top of run.sh.")
p()
p("Use an otherwise idle machine: when other processes share the cores, the 2-thread times")
p("of every runner collapse (spinning worker threads wait for a descheduled sibling; oneDNN's")
p("OpenMP threads most, where OMP_WAIT_POLICY=passive helps), and the FMA table's last column")
p("falls far below the others.")
p()
p("Protocol (all runners): batch 1, fp32, same ONNX file, weights loaded outside the timed")
p("part, 3 warm-up runs, then runs until >= 10 and >= 0.2 s; the median counts. Ours is")
p("`nas bench MODEL --threads N --json`; ONNX Runtime is ort_bench.py (CPU execution")
p("provider, intra-op threads N, inter-op 1, sequential, all graph optimizations, inputs")
p("bound once); oneDNN is onednn_conv.cc (convolution_auto, its preferred blocked layouts,")
p("reorders outside the timed part, N OpenMP threads). Ours and each peer alternate in rounds")
p("(which goes first flips each round). GFLOP/s count a multiply-add as 2 FLOPs, no bias.")
p()

if not (latency or layers or compiles or peaks):
    p("**Not run yet**: the study waits for `nas bench` and `nas compile` (issue 5's compiler).")
    p()

model_name, flags = cpu()
p("## Machine and versions")
p()
p(f"- CPU: {model_name}, {os.cpu_count()} logical CPUs; flags: {flags}")
for step, meta in metas.items():
    if meta:
        p(f"- `{step}` ran {meta['date']}: {meta['nas']} at commit {meta['commit']}; {meta['gxx']}")
ort_version = first_value(latency, "ort", "onnxruntime") or first_value(layers, "ort", "onnxruntime")
p(f"- ONNX Runtime {ort_version or '?'}; oneDNN {first_value(layers, 'onednn', 'onednn') or '?'}; "
  f"PyTorch {manifest.get('torch', '?')} and onnx {manifest.get('onnx', '?')} made the "
  f"224x224 and single-layer models (opset {manifest.get('opset', '?')})")
p()

# --- models ----------------------------------------------------------------------------
p("## Batch-1 latency of whole models")
p()
if not latency:
    p("not run")
else:
    p("ms: median over rounds (range of the rounds' medians). ours / ORT below 1 means ours is")
    p("faster; reference / ours is the speed-up over the reference executor (round 1 only).")
    p()
    p("| model | threads | ours ms | ONNX Runtime ms | ours / ORT | reference ms | reference / ours | compile s |")
    p("|---|---|---|---|---|---|---|---|")
    order = {name: i for i, name in enumerate(
        ["small_cnn"] + sorted(archs) + ["resnet18", "mobilenetv2"])}
    by_threads = {}
    for (name, threads), case in sorted(latency.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])):
        r = ratio(case, "ours", "ort")
        ours_m, ref_m = median_ms(case, "ours"), median_ms(case, "reference")
        speedup = ref_m / ours_m if ref_m and ours_m else None
        compile_s = first_value({0: case}, "ours", "compile_seconds")
        by_threads.setdefault(threads, []).append((r, speedup))
        p(f"| {name} | {threads} | {ms_text(case, 'ours')} | {ms_text(case, 'ort')} | {num(r)} | "
          f"{ms_text(case, 'reference')} | {num(speedup, '{:.1f}')} | {num(compile_s, '{:.3f}')} |")
    p()
    all_ratios = [r for v in by_threads.values() for r, _ in v]
    all_speedups = [s for v in by_threads.values() for _, s in v if s]
    for threads, values in sorted(by_threads.items()):
        p(f"- {threads} thread(s): geometric mean ours / ORT = {num(geomean([r for r, _ in values]))} "
          f"over {sum(1 for r, _ in values if r)} models; reference / ours geometric mean "
          f"{num(geomean([s for _, s in values]), '{:.1f}')}")
    g = geomean(all_ratios)
    p(f"- Goal ours / ORT <= {GOAL_RATIO} (geometric mean, all models and thread counts): "
      f"{num(g)} - {'met' if g is not None and g <= GOAL_RATIO else 'not met' if g else 'no data'}")
    if all_speedups:
        met = min(all_speedups) >= GOAL_REFERENCE_SPEEDUP
        p(f"- Goal >= {GOAL_REFERENCE_SPEEDUP}x faster than the reference executor: geometric mean "
          f"{geomean(all_speedups):.1f}x, smallest {min(all_speedups):.1f}x - {'met' if met else 'not met'}")
    if archs:
        p()
        p("Sampled architectures (`nas space FILE --sample N --seed SEED`):")
        p()
        for name, (space, arch) in sorted(archs.items()):
            if any(n == name for n, _ in latency):
                p(f"- {name}: `{arch}`")
    errors = errors_of(latency)
    if errors:
        p()
        p("Failures:")
        p()
        p("\n".join(errors))
p()

# --- FMA peak and layers ---------------------------------------------------------------
p("## Machine peak and single layers")
p()
peak = {}
if peaks:
    p("fp32 FMA peak (fma_peak.cc: 12 independent FMA chains per thread, short runs, per-thread")
    p("medians added up; run before and after the layers, the highest counts). The last column")
    p("falls well below the others when other processes shared the cores.")
    p()
    p("| threads | vector | GFLOP/s (median) | best run | all FLOPs / wall time |")
    p("|---|---|---|---|---|")
    best = {}
    for r in peaks:
        key = (r["threads"], r["isa"])
        if key not in best or r["gflops"] > best[key]["gflops"]:
            best[key] = r
    for (threads, isa), r in sorted(best.items()):
        p(f"| {threads} | {isa} ({r['lanes']} lanes) | {r['gflops']:.1f} | {r['gflops_best']:.1f} | "
          f"{r['gflops_wall']:.1f} |")
        peak[threads] = max(peak.get(threads, 0), r["gflops"])
    p()
else:
    p("FMA peak: not run")
    p()
if not layers:
    p("Layers: not run")
else:
    p("Each cell: median ms, GFLOP/s, % of the FMA peak at the same thread count. FLOPs are")
    p("nominal (padding taps included): a kernel that skips the taps on zero padding can pass 100%.")
    p("ours NCHW: `nas bench` of the single-layer ONNX file (NCHW input and output, so NCHW")
    p("kernels); ours NCHW16c: the same layer's kernel alone with input and output stored")
    p("NCHW16c, the layout it runs in inside a network (layer_kernels.cc). The ratios use the")
    p("better of the two.")
    p()
    p("| layer | threads | MFLOP | ours NCHW | ours NCHW16c | ONNX Runtime | oneDNN | ours / oneDNN | ours / ORT |")
    p("|---|---|---|---|---|---|---|---|---|")
    for (name, threads), case in sorted(layers.items()):
        flops = manifest["models"].get(name, {}).get("flops")

        def cell(runner):
            m = median_ms(case, runner)
            if m is None:
                return ms_text(case, runner)
            if not flops:
                return f"{m:.3f} ms"
            gflops = flops / (m * 1e-3) * 1e-9
            frac = f", {100 * gflops / peak[threads]:.0f}%" if threads in peak else ""
            return f"{m:.3f} ms, {gflops:.1f}{frac}"

        best = "ours16c" if (median_ms(case, "ours16c") or math.inf) < (median_ms(case, "ours") or math.inf) else "ours"
        p(f"| {name} | {threads} | {num(flops / 1e6 if flops else None, '{:.1f}')} | {cell('ours')} | "
          f"{cell('ours16c')} | {cell('ort')} | {cell('onednn')} | {num(ratio(case, best, 'onednn'))} | "
          f"{num(ratio(case, best, 'ort'))} |")
    impls = sorted({r.get("impl") for c in layers.values() for r in c.get("onednn", {}).values() if ok(r)})
    if impls:
        p()
        p(f"oneDNN implementations chosen: {', '.join(impls)}")
    errors = errors_of(layers)
    if errors:
        p()
        p("Failures:")
        p()
        p("\n".join(errors))
p()

# --- compile time ----------------------------------------------------------------------
p("## Compile time")
p()
if not compiles:
    p("not run")
else:
    p("Each model in a fresh process (no kernel of another model in the kernel cache). JIT: the")
    p("path of every search candidate and `nas bench` (`nas bench --json` compile_seconds: graph")
    p("passes, lowering, LLVM per kernel in parallel on the machine's cores, linking). Object:")
    p("`nas compile MODEL.onnx --target host -o OUT` (machine code of one object file in one pass).")
    p()
    p("| models | n | JIT median s | JIT max s | JIT under 1 s | object median s | object max s | failed |")
    p("|---|---|---|---|---|---|---|---|")
    groups = {}
    for name, r in compiles.items():
        groups.setdefault(archs[name][0] if name in archs else name, []).append(r)
    for group, rs in sorted(groups.items(), key=lambda kv: (kv[0] not in {a[0] for a in archs.values()}, kv[0])):
        good = [r for r in rs if r and "compile_seconds" in r]
        secs = [r["compile_seconds"] for r in good]
        objs = [r["object_compile_seconds"] for r in good if "object_compile_seconds" in r]
        under = sum(1 for s in secs if s < GOAL_COMPILE_SECONDS)
        p(f"| {group} | {len(rs)} | {num(statistics.median(secs) if secs else None, '{:.3f}')} | "
          f"{num(max(secs) if secs else None, '{:.3f}')} | {under}/{len(secs)} | "
          f"{num(statistics.median(objs) if objs else None, '{:.3f}')} | "
          f"{num(max(objs) if objs else None, '{:.3f}')} | {len(rs) - len(good)} |")
    space_secs = [r["compile_seconds"] for n, r in compiles.items()
                  if n in archs and r and "compile_seconds" in r]
    if space_secs:
        p()
        p(f"- Goal < {GOAL_COMPILE_SECONDS:.0f} s per candidate of the shipped spaces (JIT): largest "
          f"{max(space_secs):.3f} s over {len(space_secs)} - "
          f"{'met' if max(space_secs) < GOAL_COMPILE_SECONDS else 'not met'}")
    failed = [f"- {n}: {r['error'][:300]}" for n, r in sorted(compiles.items()) if r and "error" in r]
    if failed:
        p()
        p("Failures:")
        p()
        p("\n".join(failed))
