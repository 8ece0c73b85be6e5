"""Batch-1 latency of an ONNX model compiled by Apache TVM (Relax) and tuned with
MetaSchedule, the peer of `nas tune` + `nas bench` in the tuning study (issue 16).

    ~/.cache/nas-peer-venv/bin/python tvm_metaschedule.py MODEL.onnx --threads 1 \
        --trials-per-task 8 [--work-dir DIR] [--untuned] [--reuse-db] [--bench-rounds 1]

Runs only in the peer venv (`../shared/tools/setup-peer-venv.sh`: PyPI apache-tvm with the
pinned apache-tvm-ffi); Python is for peer benchmarks only, never the product.

What it does:
  1. imports the model with tvm.relax.frontend.onnx.from_onnx at the static shape
     1x3x224x224 (params kept bound as constants), then DecomposeOpsForInference,
     FoldConstant and the MetaSchedule pipeline's LegalizeOps / AnnotateTIROpPattern /
     FoldConstant / FuseOps / FuseTIR (in 0.27 extract_tasks only collects the call_tir
     functions already there; compile_relax prepares the module the same way before it
     applies the database, so the keys match);
  2. extracts the tuning tasks (one per distinct fused TIR function) and tunes them with
     MetaSchedule: evolutionary search, XGBoost cost model, gradient task scheduler, a
     global budget of TRIALS_PER_TASK x tasks and at most TRIALS_PER_TASK per task;
     target `llvm -mcpu=<host> -num-cores <threads>` (0.27 takes it as the dict
     {kind: llvm, mcpu, num-cores}); TVM_NUM_THREADS=<threads> is set
     before tvm loads, so the tuning runner and the timed module both use that many
     threads;
  3. compiles with the tuning database applied (meta_schedule.relax_integration.compile_relax)
     and times the VM's `main` with the protocol of `nas bench` / ort_bench.py: 3 warm-up
     runs, then runs until >= 10 and >= 0.2 s; median. The input (seeded normal noise)
     is on the device before the timed part.
  --untuned skips tuning: the same compile with an empty database (TVM's default,
  unscheduled loop nests for llvm), for reference.

Workaround for 2-core machines: MetaSchedule's LocalBuilder imports
tvm.s_tir.tensor_intrin (it registers every GPU/CPU tensor intrinsic) inside the first build
of every fresh worker process, and it re-creates its worker pool for every batch of
candidates. On this 2-core VM that import alone takes 36 s of CPU (76 s of wall time next to
a busy process), more than the 30 s default build timeout (the issue's "LocalBuilder:
Timeout"); with a pool initializer that imports it up front (tried) the builder's start-up
check alone took 32 s, and each batch (one per task at 8 trials per task) pays it again.
Here the candidates are built in this process instead
(InProcessBuilder: the same default_build / default_export as LocalBuilder's workers,
after tvm.s_tir.tensor_intrin is imported once up front); the LocalRunner keeps its one
persistent worker (it never needs the intrinsics) with a 120 s timeout.

Prints one JSON line: median_ms, min_ms, ..., trials (measured candidates), tasks,
tune_seconds, compile_seconds, versions. With --bench-rounds N it prints one JSON line per round;
with --round-gate FILE it times a round only when FILE appears (run.sh tvm alternates it
with `nas bench` this way).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compiler_latency"))
from bench_protocol import measure, percentile  # noqa: E402


def host_mcpu():
    """LLVM's name of this host's CPU (e.g. sapphirerapids)."""
    try:
        import tvm
        f = tvm.get_global_func("tvm.codegen.llvm.GetHostCPUName", allow_missing=True)
        if f is not None:
            return str(f())
    except Exception:  # pylint: disable=broad-except
        pass
    out = subprocess.run(["llc", "--version"], capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if "Host CPU:" in line:
            return line.split(":", 1)[1].strip()
    return "native"


def cpu_record():
    info = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU family", "Model"):
                info[key.strip()] = value.strip()
    except OSError:
        pass
    return info


def in_process_builder():
    """A MetaSchedule builder that builds each candidate in this process, sequentially."""
    import tvm.s_tir.tensor_intrin  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
    from tvm.s_tir.meta_schedule.builder import BuilderResult, PyBuilder  # pylint: disable=import-outside-toplevel
    from tvm.s_tir.meta_schedule.builder.local_builder import (  # pylint: disable=import-outside-toplevel
        default_build, default_export)
    from tvm.ir.utils import derived_object  # pylint: disable=import-outside-toplevel

    @derived_object
    class InProcessBuilder(PyBuilder):
        def build(self, build_inputs):
            results = []
            for b in build_inputs:
                try:
                    rt_mod = default_build(b.mod, b.target, None)
                    results.append(BuilderResult(default_export(rt_mod), None))
                except Exception as e:  # pylint: disable=broad-except
                    results.append(BuilderResult(None, "InProcessBuilder: " + repr(e)))
            return results

    return InProcessBuilder()


def load_model(path, shape):
    import onnx
    from tvm import relax
    from tvm.relax.frontend.onnx import from_onnx

    model = onnx.load(path)
    name = model.graph.input[0].name
    mod = from_onnx(model, shape_dict={name: shape}, keep_params_in_input=False)
    mod = relax.transform.DecomposeOpsForInference()(mod)
    mod = relax.transform.FoldConstant()(mod)
    return mod, name


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--trials-per-task", type=int, default=8)
    p.add_argument("--untuned", action="store_true")
    p.add_argument("--work-dir", default=None,
                   help="MetaSchedule work dir (database, logs); default a temp dir")
    p.add_argument("--reuse-db", action="store_true",
                   help="do not tune; compile with the database already in --work-dir")
    p.add_argument("--num-trials-per-iter", type=int, default=None,
                   help="candidates measured per search iteration (default min(64, budget))")
    p.add_argument("--build-timeout", type=float, default=120.0)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--min-runs", type=int, default=10)
    p.add_argument("--min-seconds", type=float, default=0.2)
    p.add_argument("--bench-rounds", type=int, default=1,
                   help="time the compiled module this many times, one JSON line per round")
    p.add_argument("--round-gate", default=None,
                   help="with --bench-rounds: before each round wait for this file to exist, "
                        "then delete it (lets a shell script alternate with another harness)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    os.environ["TVM_NUM_THREADS"] = str(a.threads)
    # MetaSchedule logs to stdout (Python and C++ side): keep stdout for the JSON lines only.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import numpy as np
    import tvm
    from tvm import relax
    from tvm.s_tir import meta_schedule as ms

    versions = {"tvm": tvm.__version__, "python": sys.version.split()[0],
                "numpy": np.__version__}
    try:
        import tvm_ffi
        versions["tvm_ffi"] = getattr(tvm_ffi, "__version__", "?")
    except ImportError:
        pass
    try:
        import xgboost
        versions["xgboost"] = xgboost.__version__
    except ImportError:
        pass
    try:
        versions["llvm"] = str(tvm.target.codegen.llvm_version_major())
    except Exception:  # pylint: disable=broad-except
        pass

    mcpu = host_mcpu()
    target = tvm.target.Target({"kind": "llvm", "mcpu": mcpu, "num-cores": a.threads})
    shape = (1, 3, 224, 224)
    mod, input_name = load_model(a.model, shape)

    import tempfile
    work_dir = a.work_dir or tempfile.mkdtemp(prefix="tvm_ms_")
    os.makedirs(work_dir, exist_ok=True)

    # extract_tasks only collects the call_tir functions already in the module: legalize and
    # fuse first, exactly as compile_relax does before it applies the database.
    fused = tvm.transform.Sequential([
        relax.transform.LegalizeOps(), relax.transform.AnnotateTIROpPattern(),
        relax.transform.FoldConstant(), relax.transform.FuseOps(),
        relax.transform.FuseTIR()])(mod)
    tasks = ms.relax_integration.extract_tasks(fused, target)
    n_tasks = len(tasks)
    budget = a.trials_per_task * n_tasks
    tune_seconds = 0.0
    measured = 0
    if a.untuned:
        database = ms.database.MemoryDatabase()
    elif a.reuse_db:
        database = ms.database.JSONDatabase(work_dir=work_dir)
        measured = len(database.get_all_tuning_records())
    else:
        tune_contexts, weights = ms.relax_integration.extracted_tasks_to_tune_contexts(
            extracted_tasks=tasks, work_dir=work_dir, space="post-order-apply",
            strategy="evolutionary", num_threads=os.cpu_count(), seed=a.seed)
        builder = in_process_builder()
        runner = ms.runner.LocalRunner(timeout_sec=a.build_timeout)
        t0 = time.perf_counter()
        database = ms.tune.tune_tasks(
            tasks=tune_contexts, task_weights=weights, work_dir=work_dir,
            max_trials_global=budget, max_trials_per_task=a.trials_per_task,
            num_trials_per_iter=a.num_trials_per_iter or min(64, a.trials_per_task),
            builder=builder, runner=runner, database="json", cost_model="xgb",
            task_scheduler="gradient")
        tune_seconds = time.perf_counter() - t0
        measured = len(database.get_all_tuning_records())

    t0 = time.perf_counter()
    ex = ms.relax_integration.compile_relax(database, mod, target, params=None)
    dev = tvm.cpu(0)
    vm = relax.VirtualMachine(ex, dev)
    compile_seconds = time.perf_counter() - t0

    rng = np.random.default_rng(a.seed)
    x = tvm.runtime.tensor(rng.standard_normal(shape).astype(np.float32), dev)
    vm.set_input("main", x)
    run = lambda: vm.invoke_stateful("main")  # noqa: E731

    for r in range(a.bench_rounds):
        if a.round_gate:
            while not os.path.exists(a.round_gate):
                time.sleep(0.05)
            os.remove(a.round_gate)
        times = measure(run, a.warmup, a.min_runs, a.min_seconds)
        print(json.dumps({
            "model": os.path.basename(a.model), "round": r,
            "median_ms": statistics.median(times), "min_ms": times[0], "max_ms": times[-1],
            "p25_ms": percentile(times, 0.25), "p75_ms": percentile(times, 0.75),
            "repeats": len(times),
            "protocol": f"{a.warmup} warm-up, then >= {a.min_runs} runs and >= "
                        f"{a.min_seconds} s; median",
            "threads": a.threads, "mode": "untuned" if a.untuned else "metaschedule",
            "trials_per_task": 0 if a.untuned else a.trials_per_task,
            "trials_budget": 0 if a.untuned else budget, "trials": measured,
            "tasks": n_tasks, "tune_seconds": tune_seconds,
            "compile_seconds": compile_seconds, "target": str(target),
            "work_dir": work_dir, "cpu": cpu_record(), "versions": versions}), file=out, flush=True)
        if a.round_gate:
            open(a.round_gate + ".done", "w").close()


if __name__ == "__main__":
    main()
