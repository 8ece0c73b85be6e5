"""The spread of latency medians over repeated invocations, per model, thread count and
protocol, from run.sh's runs.jsonl: prints a Markdown table.

    python summarize.py runs.jsonl
"""
import collections
import json
import statistics
import sys


def main():
    medians = collections.defaultdict(list)
    within = collections.defaultdict(list)
    attempts = collections.defaultdict(int)
    for line in open(sys.argv[1]):
        r = json.loads(line)
        key = (r["model"], r["threads"], r["protocol"])
        medians[key].append(r["bench"]["median_ms"])
        within[key].append(r["bench"].get("spread", float("nan")))
        attempts[key] += r["bench"].get("attempts", 1) > 1
    print("| model | threads | protocol | invocations | min ms | median ms | max ms "
          "| spread of medians | rounds' spread (median) | remeasured |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(medians, key=lambda k: (k[0], k[1], ["before", "after", "ort"].index(k[2]))):
        m = medians[key]
        mid = statistics.median(m)
        inner = statistics.median(within[key])
        print(f"| {key[0]} | {key[1]} | {key[2]} | {len(m)} | {min(m):.4f} | {mid:.4f} | "
              f"{max(m):.4f} | {100 * (max(m) - min(m)) / mid:.1f}% | "
              f"{'-' if inner != inner else f'{100 * inner:.1f}%'} | {attempts[key]} |")


if __name__ == "__main__":
    main()
