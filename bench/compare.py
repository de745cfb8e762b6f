#!/usr/bin/env python3
"""Runs `remask bench` and `bench/pytorch_step.py` one after the other on the same shape and prints the
ratios (remask / PyTorch) of tokens per second and of peak memory.

    swift build -c release --product remask
    python3 bench/compare.py                       # SmolLM2-135M geometry, batch 4 x 256, forward and sft
    python3 bench/compare.py --layers 4 --reps 2   # a quicker look
    python3 bench/compare.py --objectives remask   # ReMask step: remask's objective-remask row vs PyTorch's remask
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# PyTorch benchmark name -> (remask bench --only name, remask row name)
REMASK_SIDE = {"forward": ("forward", "forward"), "sft": ("sft", "sft"), "remask": ("objectives", "objective-remask")}


def run_json(cmd):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout
    return {row["name"]: row for row in json.loads(out)}


def median_rows(runs):
    """Per benchmark, the round with the median tokens per second."""
    out = {}
    for name in runs[0]:
        rows = sorted((r[name] for r in runs), key=lambda row: row["tokens_per_second"])
        out[name] = rows[len(rows) // 2]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--objectives", default="forward,sft")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate remask and PyTorch this many times; report each side's median (machine noise)")
    a = ap.parse_args()

    remask_runs, torch_runs = [], []
    for _ in range(a.rounds):
        only = ",".join(dict.fromkeys(REMASK_SIDE[n][0] for n in a.objectives.split(",")))
        rows = run_json([os.path.join(ROOT, ".build/release/remask"), "bench", "--json", "--only", only,
                         "--layers", str(a.layers), "--batch", str(a.batch), "--length", str(a.seq),
                         "--threads", str(a.threads), "--repetitions", str(a.reps)])
        remask_runs.append({n: rows[REMASK_SIDE[n][1]] for n in a.objectives.split(",")})
        torch_runs.append(run_json([sys.executable, os.path.join(ROOT, "bench/pytorch_step.py"), "--json",
                                    "--objectives", a.objectives, "--layers", str(a.layers), "--batch", str(a.batch),
                                    "--seq", str(a.seq), "--threads", str(a.threads), "--reps", str(a.reps)]))
    remask, torch = median_rows(remask_runs), median_rows(torch_runs)
    for side, runs in (("remask", remask_runs), ("torch", torch_runs)):
        for name in a.objectives.split(","):
            print(f"{side} {name} rounds: " + ", ".join(f"{r[name]['tokens_per_second']:.1f}" for r in runs), file=sys.stderr)
    print(f"{'benchmark':<10} {'remask tok/s':>13} {'torch tok/s':>12} {'ratio':>6} "
          f"{'remask MiB':>11} {'torch MiB':>10} {'mem ratio':>9}")
    for name in a.objectives.split(","):
        r, t = remask[name], torch[name]
        print(f"{name:<10} {r['tokens_per_second']:13.1f} {t['tokens_per_second']:12.1f} "
              f"{r['tokens_per_second'] / t['tokens_per_second']:6.2f} {r['peak_rss_bytes'] / 2**20:11.0f} "
              f"{t['peak_rss_bytes'] / 2**20:10.0f} {r['peak_rss_bytes'] / t['peak_rss_bytes']:9.2f}")


if __name__ == "__main__":
    main()
