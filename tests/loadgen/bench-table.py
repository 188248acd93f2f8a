"""Prints the performance table from the JSON reports bench-table.sh wrote.

Usage: bench-table.py OUT_DIR ROW...

Each row's figures are taken from its runs (OUT_DIR/ROW-N.json): for each server the
best run (highest throughput, lowest latency, CPU or memory), then the ratio
Confab / bare and whether the target is met. Lost and duplicated deliveries are
summed over every run.
"""

import glob
import json
import os
import sys


def outcome(report, target):
    for t in report["targets"]:
        if t["target"] == target:
            (result,) = t["outcome"].values()
            return result
    return None


def fig(path):
    """A getter for a dotted path in an outcome."""

    def get(o):
        for key in path.split("."):
            if o is None:
                return None
            o = o.get(key)
        return o

    return get


# row: [(figure name, getter, better ("max" or "min"), target ratio, how it compares)]
ROWS = {
    "idle": [
        ("server memory per idle stream (KiB)", fig("rss_per_stream_kib"), "min", 0.75, "<="),
    ],
    "storm": [
        ("server CPU per stream opened (ms)", fig("open_cpu_ms_per_stream"), "min", 2.0, "<="),
    ],
    "dms": [
        ("durable messages/s", fig("durable_per_sec"), "max", 1.0, ">="),
        ("server CPU per message (µs)", fig("cpu.server_us_per_delivery"), "min", 1.5, "<="),
    ],
    "fanout100": [
        ("p99 send→receive (ms)", fig("delivery.latency.p99_ms"), "min", 1.5, "<="),
    ],
    "fanout20": [
        ("p50 send→receive (ms)", fig("delivery.latency.p50_ms"), "min", 1.2, "<="),
        ("p99 send→receive (ms)", fig("delivery.latency.p99_ms"), "min", 1.5, "<="),
        ("server CPU per delivery (µs)", fig("cpu.server_us_per_delivery"), "min", 1.2, "<="),
    ],
    "fanout10k": [
        ("p99 send→receive (ms)", fig("delivery.latency.p99_ms"), "min", 1.5, "<="),
    ],
    "ramp": [
        ("last rate with p99 ≤ 1 s (msg/s)", fig("last_good_rate"), "max", 0.8, ">="),
    ],
}

TITLES = {
    "idle": "idle, 19,000 streams (vs bare)",
    "storm": "reconnect storm: 19,000 streams at once (vs bare)",
    "dms": "dms, 500 pairs, 30 s (vs bare --pg)",
    "fanout100": "fanout, 1,000 members @ 100 msg/s (vs bare --pg)",
    "fanout20": "fanout, 1,000 members @ 20 msg/s (vs bare --pg)",
    "fanout10k": "fanout, 10,000 members @ 10 msg/s (vs bare --pg)",
    "ramp": "ramp, 1,000 members (vs bare --pg)",
}


def best(values, better):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return max(values) if better == "max" else min(values)


def losses(o):
    d = (o or {}).get("delivery") or {}
    if "lost" in d:
        return d.get("lost", 0), d.get("duplicates", 0)
    steps = (o or {}).get("steps") or []
    return (
        sum(s["delivery"]["lost"] for s in steps),
        sum(s["delivery"]["duplicates"] for s in steps),
    )


def num(v):
    if v is None:
        return "–"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def main():
    out, rows = sys.argv[1], sys.argv[2:]
    print("| scenario | figure | bare | Confab | Confab ÷ bare | target | met | lost / dup (Confab, all runs) |")
    print("|---|---|---:|---:|---:|---|---|---|")
    for row in rows:
        files = sorted(glob.glob(os.path.join(out, f"{row}-*.json")))
        reports = [json.load(open(f)) for f in files]
        lost = dup = 0
        for r in reports:
            lo, du = losses(outcome(r, "confab"))
            lost += lo
            dup += du
        for i, (name, get, better, target, cmp) in enumerate(ROWS[row]):
            bare = best([get(outcome(r, "bare") or {}) for r in reports], better)
            confab = best([get(outcome(r, "confab") or {}) for r in reports], better)
            ratio = confab / bare if bare and confab is not None else None
            met = "–"
            if ratio is not None:
                met = "yes" if (ratio <= target if cmp == "<=" else ratio >= target) else "**no**"
            title = f"{TITLES[row]}, best of {len(reports)}" if i == 0 else ""
            print(
                f"| {title} | {name} | {num(bare)} | {num(confab)} | "
                f"{num(ratio)} | {cmp} {target} × bare | {met} | "
                f"{f'{lost} / {dup}' if i == 0 else ''} |"
            )


if __name__ == "__main__":
    main()
