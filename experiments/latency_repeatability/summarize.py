"""The spread of latency medians over repeated invocations, per model, thread count and
protocol, from run.sh's runs.jsonl: prints a Markdown table.

    python summarize.py runs.jsonl
"""
import collections
import json
import statistics
import sys


def spread(values):
    if not values:
        return "-"
    return f"{100 * (max(values) - min(values)) / statistics.median(values):.1f}%"


def main():
    medians = collections.defaultdict(list)
    within = collections.defaultdict(list)
    attempts = collections.defaultdict(int)
    ratios = collections.defaultdict(list)
    for line in open(sys.argv[1]):
        r = json.loads(line)
        key = (r["model"], r["threads"], r["protocol"])
        medians[key].append(r["bench"]["median_ms"])
        within[key].append(r["bench"].get("spread", float("nan")))
        attempts[key] += r["bench"].get("attempts", 1) > 1
        if r["bench"].get("calibration_ms", 0) > 0:
            measured = r["bench"].get("measured_median_ms", r["bench"]["median_ms"])
            ratios[key].append(measured / r["bench"]["calibration_ms"])
    print("| model | threads | protocol | invocations | min ms | median ms | max ms "
          "| spread of medians | rounds' spread (median) | remeasured "
          "| spread of ratios to the calibration |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(medians, key=lambda k: (k[0], k[1], ["before", "after", "ort"].index(k[2]))):
        m = medians[key]
        mid = statistics.median(m)
        inner = statistics.median(within[key])
        print(f"| {key[0]} | {key[1]} | {key[2]} | {len(m)} | {min(m):.4f} | {mid:.4f} | "
              f"{max(m):.4f} | {100 * (max(m) - min(m)) / mid:.1f}% | "
              f"{'-' if inner != inner else f'{100 * inner:.1f}%'} | {attempts[key]} | "
              f"{spread(ratios[key])} |")


if __name__ == "__main__":
    main()
