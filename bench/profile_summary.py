#!/usr/bin/env python3
"""profile_summary.py — the kernels of an `OUT --profile FILE.json` trace, slowest first.

    OUT --bench 10 --profile trace.json && .venv/bin/python bench/profile_summary.py trace.json

For each kernel function: its median time per run, all its calls together (runs after the first;
the warm-up run packs weights), its share of the run, its calls per run (repeated layers share one
function) and the ONNX nodes of its first call. Open the same file in ui.perfetto.dev or
chrome://tracing for the timeline.
"""
import argparse
import json
import statistics
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("--top", type=int, default=25, help="kernels to list (default 25)")
    a = ap.parse_args()
    events = json.load(open(a.trace))["traceEvents"]
    runs = sorted((e for e in events if e.get("cat") == "run"), key=lambda e: e["ts"])
    timed = runs[1:] or runs
    per_kernel = defaultdict(list)
    names, calls = {}, defaultdict(int)
    for r in timed:
        inside = defaultdict(float)
        count = defaultdict(int)
        for e in events:
            if e.get("cat") == "kernel" and r["ts"] <= e["ts"] <= r["ts"] + r["dur"]:
                key = e["args"]["kernel"]
                inside[key] += e["dur"]
                count[key] += 1
                names.setdefault(key, e["name"])
        for key, dur in inside.items():
            per_kernel[key].append(dur)
            calls[key] = count[key]
    run_us = statistics.median(r["dur"] for r in timed)
    rows = sorted(((statistics.median(v), k) for k, v in per_kernel.items()), reverse=True)
    total = sum(t for t, _ in rows)
    print(f"{len(timed)} run(s), median {run_us / 1000:.3f} ms; kernels {total / 1000:.3f} ms "
          f"({len(rows)} kernels; the rest is between kernels)")
    print(f"{'ms':>9} {'share':>6} {'calls':>5}  kernel: ONNX nodes (of its first call)")
    for t, k in rows[:a.top]:
        print(f"{t / 1000:9.3f} {100 * t / run_us:5.1f}% {calls[k]:5d}  {k}: {names[k][:100]}")


if __name__ == "__main__":
    main()
