"""Hypervolume of each strategy's search, after all its candidates and at equal wall time.

    python3 summarize.py OUT STRATEGY... -- SEED...

Reads OUT/<strategy>-seed<seed>/results.json. The hypervolume is that of the feasible
(accuracy, latency) points against the reference point (accuracy 0, latency = the
latency constraint), as results.json's summary computes it. "At equal wall time" counts
only the trials committed within T seconds of the search's start (its first trial's commit
time less that trial's evaluation time), T the wall time of the shortest search.
"""
import json
import statistics
import sys
from datetime import datetime, timezone


def hypervolume(points, bound):
    """Area dominated by (latency, accuracy) points, latency below `bound`, accuracy above 0."""
    volume, best = 0.0, 0.0
    points = sorted(p for p in points if p[0] <= bound)
    for i, (latency, accuracy) in enumerate(points):
        best = max(best, accuracy)
        upto = points[i + 1][0] if i + 1 < len(points) else bound
        volume += (upto - latency) * best
    return volume


def load(path):
    results = json.load(open(path))
    bound = next(c["max"] for c in results["constraints"] if c["metric"].startswith("latency:"))
    metric = next(c["metric"] for c in results["constraints"] if c["metric"].startswith("latency:"))
    trials = []
    for t in results["trials"]:
        done = datetime.strptime(t["finished"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        point = None
        if t["feasible"] and not t.get("superseded", False):
            point = (t["result"]["latency"][metric.split(":", 1)[1]]["median_ms"], t["result"]["accuracy"])
        trials.append((done.timestamp(), t["seconds"], point))
    start = min(done - seconds for done, seconds, _ in trials)
    trials = [(done - start, point) for done, _, point in trials]
    return bound, trials, results["summary"]["hypervolume"]


def main():
    out = sys.argv[1]
    split = sys.argv.index("--")
    strategies, seeds = sys.argv[2:split], sys.argv[split + 1:]
    runs = {(s, seed): load(f"{out}/{s}-seed{seed}/results.json") for s in strategies for seed in seeds}
    equal = min(max(t for t, _ in trials) for _, trials, _ in runs.values())
    print(f"equal wall time: {equal:.0f} s (the shortest search)")
    print("| strategy | hypervolume after all, per seed | mean | at equal wall time, per seed | mean | ratio to random |")
    print("| --- | --- | --- | --- | --- | --- |")
    means = {}
    rows = []
    for s in strategies:
        full, timed, walls = [], [], []
        for seed in seeds:
            bound, trials, reported = runs[(s, seed)]
            points = [p for _, p in trials if p]
            full.append(hypervolume(points, bound))
            assert abs(full[-1] - reported) <= 1e-9 * max(1.0, abs(reported)), (s, seed, full[-1], reported)
            timed.append(hypervolume([p for t, p in trials if p and t <= equal], bound))
            walls.append(max(t for t, _ in trials))
        means[s] = statistics.mean(timed)
        rows.append((s, full, timed, walls))
    for s, full, timed, walls in rows:
        ratio = means[s] / means["random"] if "random" in means and means["random"] > 0 else float("nan")
        print(f"| {s} | {' / '.join(f'{v:.4f}' for v in full)} | {statistics.mean(full):.4f} "
              f"| {' / '.join(f'{v:.4f}' for v in timed)} | {means[s]:.4f} | {ratio:.2f} |")
    print()
    for s, _, _, walls in rows:
        print(f"{s}: wall time per seed {' / '.join(f'{w:.0f}' for w in walls)} s")


if __name__ == "__main__":
    main()
