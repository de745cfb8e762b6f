#!/usr/bin/env python3
"""remask's GEMM kernels and training steps beside the best BLAS on the machine and PyTorch, in one run.

GEMM rows: for each of SmolLM2-135M's linear shapes at batch x seq tokens, the three products of a training step
(forward Y = X Wᵀ, dX = dY W, dW = dYᵀ X) timed together:
  remask fp32 / bf16    `remask bench --only gemm [--precision bf16]` (the `linear` op, forward + backward)
  numpy                 numpy's bundled OpenBLAS, its kernels auto-detected (OPENBLAS_CORETYPE removed from its
                        environment, whatever this shell sets), OPENBLAS_NUM_THREADS = threads
  torch fp32 / bf16     torch.matmul on Float32 and on bfloat16 tensors
Step rows: `remask bench --only forward,sft,objectives` against bench/pytorch_step.py, each in fp32 and in bf16
(remask `--precision bf16`; PyTorch under CPU autocast).

    swift build -c release --product remask
    python3 bench/kernels.py                        # SmolLM2-135M geometry, 4 x 256 tokens
    python3 bench/kernels.py --layers 4 --reps 2    # a quicker look
    python3 bench/kernels.py --json results.json    # also write every row
Needs numpy and torch (pip install numpy torch).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REMASK = os.path.join(ROOT, ".build", "release", "remask")

PEER = r"""
import json, sys, time
import numpy as np
a = json.loads(sys.argv[1])
lib = a["lib"]
if lib == "torch":
    import torch
    torch.set_num_threads(a["threads"])
n = a["tokens"]
def median(f, reps):
    f()
    ts = []
    for _ in range(reps):
        s = time.perf_counter(); f(); ts.append(time.perf_counter() - s)
    return sorted(ts)[len(ts) // 2]
rows = []
for name, inf, outf in a["shapes"]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, inf), dtype=np.float32)
    w = rng.standard_normal((outf, inf), dtype=np.float32) * 0.02
    g = rng.standard_normal((n, outf), dtype=np.float32)
    if lib == "torch":
        dt = torch.bfloat16 if a["precision"] == "bf16" else torch.float32
        x, w, g = (torch.from_numpy(t).to(dt) for t in (x, w, g))
        def three():
            x @ w.T; g @ w; g.T @ x
    else:
        def three():
            x @ w.T; g @ w; g.T @ x
    t = median(three, a["reps"])
    rows.append({"name": "gemm-" + name, "gflops": 3 * 2.0 * n * inf * outf / t / 1e9, "seconds_median": t})
print(json.dumps(rows))
"""


def run_json(cmd, env=None, shown=None):
    print("$ " + (shown or " ".join(cmd)), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env).stdout
    return {row["name"]: row for row in json.loads(out)}


def peer_gemm(lib, precision, a, shapes):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)  # numpy's OpenBLAS picks its own kernels
    env["OPENBLAS_NUM_THREADS"] = str(a.threads)
    args = {"lib": lib, "precision": precision, "threads": a.threads, "tokens": a.batch * a.seq, "reps": a.reps,
            "shapes": shapes}
    return run_json([sys.executable, "-c", PEER, json.dumps(args)], env=env, shown=f"(peer GEMM timing: {lib} {precision})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, default in [("hidden", 576), ("layers", 30), ("heads", 9), ("kv-heads", 3), ("ffn", 1536),
                          ("vocab", 49152), ("batch", 4), ("seq", 256), ("threads", 2), ("reps", 3)]:
        ap.add_argument("--" + flag, type=int, default=default)
    ap.add_argument("--skip-steps", action="store_true", help="GEMM rows only")
    ap.add_argument("--json", metavar="FILE", help="write every row here")
    a = ap.parse_args()
    head_dim = a.hidden // a.heads
    shapes = [("qkv", a.hidden, (a.heads + 2 * a.kv_heads) * head_dim), ("o_proj", a.heads * head_dim, a.hidden),
              ("gate_up", a.hidden, 2 * a.ffn), ("down", a.ffn, a.hidden), ("lm_head", a.hidden, a.vocab)]
    geometry = ["--hidden", str(a.hidden), "--layers", str(a.layers), "--heads", str(a.heads), "--kv-heads",
                str(a.kv_heads), "--ffn", str(a.ffn), "--vocab", str(a.vocab), "--batch", str(a.batch),
                "--length", str(a.seq), "--threads", str(a.threads), "--repetitions", str(a.reps), "--json"]
    steps = ["--hidden", str(a.hidden), "--layers", str(a.layers), "--heads", str(a.heads), "--kv-heads", str(a.kv_heads),
             "--ffn", str(a.ffn), "--vocab", str(a.vocab), "--batch", str(a.batch), "--seq", str(a.seq),
             "--threads", str(a.threads), "--reps", str(a.reps), "--json"]
    info = subprocess.run([REMASK, "info"], check=True, stdout=subprocess.PIPE, text=True).stdout
    record = {"info": info}

    g = {"remask fp32": run_json([REMASK, "bench", "--only", "gemm"] + geometry),
         "remask bf16": run_json([REMASK, "bench", "--only", "gemm", "--precision", "bf16"] + geometry),
         "numpy": peer_gemm("numpy", "fp32", a, shapes),
         "torch fp32": peer_gemm("torch", "fp32", a, shapes),
         "torch bf16": peer_gemm("torch", "bf16", a, shapes)}
    record["gemm"] = g
    print(info.strip())
    print(f"\nGEMM GFLOP/s, {a.batch * a.seq} tokens, forward + both backward products "
          f"(numpy: bundled OpenBLAS, kernels auto-detected)")
    cols = list(g)
    print(f"{'shape':<10}" + "".join(f"{c:>13}" for c in cols) + f"{'fp32/numpy':>12}{'bf16/torch':>12}")
    worst = None
    for name, _, _ in shapes:
        row = "gemm-" + name
        vals = [g[c][row]["gflops"] for c in cols]
        ratio, bf = vals[0] / vals[2], vals[1] / vals[4]
        worst = ratio if worst is None else min(worst, ratio)
        print(f"{name:<10}" + "".join(f"{v:>13.1f}" for v in vals) + f"{ratio:>12.2f}{bf:>12.2f}")
    print(f"fp32 GEMM, worst shape: {worst:.2f} x numpy's OpenBLAS (asked: >= 0.90)")

    if not a.skip_steps:
        s = {"remask fp32": run_json([REMASK, "bench", "--only", "forward,sft,objectives"] + geometry),
             "remask bf16": run_json([REMASK, "bench", "--only", "forward,sft,objectives", "--precision", "bf16"] + geometry),
             "torch fp32": run_json([sys.executable, os.path.join(ROOT, "bench", "pytorch_step.py"),
                                     "--objectives", "forward,sft,remask"] + steps),
             "torch bf16": run_json([sys.executable, os.path.join(ROOT, "bench", "pytorch_step.py"),
                                     "--objectives", "forward,sft,remask", "--precision", "bf16"] + steps)}
        record["steps"] = s
        tps = lambda side, row: s[side][row]["tokens_per_second"]
        print(f"\ntraining steps, tokens/s ({a.batch} x {a.seq}, {a.layers} layers)")
        print(f"{'step':<10}{'remask fp32':>13}{'remask bf16':>13}{'torch fp32':>13}{'torch bf16':>13}")
        for label, ours, theirs in [("forward", "forward", "forward"), ("sft", "sft", "sft"),
                                    ("remask", "objective-remask", "remask")]:
            print(f"{label:<10}{tps('remask fp32', ours):>13.1f}{tps('remask bf16', ours):>13.1f}"
                  f"{tps('torch fp32', theirs):>13.1f}{tps('torch bf16', theirs):>13.1f}")
        best = lambda row: max(tps("remask fp32", row), tps("remask bf16", row))
        checks = [("SFT step vs PyTorch fp32", best("sft") / tps("torch fp32", "sft"), 2.0),
                  ("SFT step vs PyTorch bf16 autocast", best("sft") / tps("torch bf16", "sft"), 1.5),
                  ("ReMask step vs PyTorch ReMask fp32", best("objective-remask") / tps("torch fp32", "remask"), 4.0),
                  ("forward vs PyTorch bf16", best("forward") / tps("torch bf16", "forward"), 1.0)]
        print("\nremask's faster precision against PyTorch:")
        for label, ratio, asked in checks:
            print(f"  {label:<38}{ratio:>6.2f}x  (asked >= {asked:g}x){'' if ratio >= asked else '  SHORT'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
