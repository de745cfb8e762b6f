#!/usr/bin/env python3
"""Float32 against bf16 training: loss curves of run folders side by side, as a table and one SVG plot.

Each argument is LABEL=FOLDER (a `remask train` output folder, or a study cell's folder), with LABEL ending in
"fp32" or "bf16" and the part before it naming the pair (typically the seed). Prints, per pair, every step's
training loss in both precisions and their difference, the validation losses, and the spread between seeds for
comparison (seed noise); writes the curves to --svg.

    python3 bench/precision_curves.py s0-fp32=runs/a s0-bf16=runs/b s1-fp32=runs/c s1-bf16=runs/d --svg curves.svg
"""
import argparse
import json
import os
import sys

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def read(folder):
    rows = [json.loads(line) for line in open(os.path.join(folder, "metrics.jsonl")) if line.strip()]
    train = {r["step"]: r["loss"] for r in rows if r["split"] == "train"}
    val = {r["step"]: r["loss"] for r in rows if r["split"] == "val"}
    return train, val


def svg(runs, path, title):
    w, h, pad = 640, 360, 50
    points = [(s, l) for _, (train, _) in runs for s, l in train.items()]
    if not points:
        return
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = lambda s: pad + (s - x0) / max(x1 - x0, 1) * (w - 2 * pad)
    sy = lambda l: h - pad - (l - y0) / max(y1 - y0, 1e-9) * (h - 2 * pad)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle">{title}</text>',
           f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>',
           f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>',
           f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">step</text>',
           f'<text x="{pad - 6}" y="{h - pad}" text-anchor="end">{y0:.3f}</text>',
           f'<text x="{pad - 6}" y="{pad + 4}" text-anchor="end">{y1:.3f}</text>',
           f'<text x="{pad}" y="{h - pad + 16}" text-anchor="middle">{x0}</text>',
           f'<text x="{w - pad}" y="{h - pad + 16}" text-anchor="middle">{x1}</text>']
    for i, (label, (train, _)) in enumerate(runs):
        color = COLORS[(i // 2) % len(COLORS)]
        dash = ' stroke-dasharray="5,4"' if label.endswith("bf16") else ""
        pts = " ".join(f"{sx(s):.1f},{sy(l):.1f}" for s, l in sorted(train.items()))
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5"{dash} points="{pts}"/>')
        out.append(f'<text x="{w - pad + 4 - 60}" y="{pad + 14 * i}" fill="{color}">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="LABEL=FOLDER, LABEL ending in fp32 or bf16")
    ap.add_argument("--svg", help="write the training-loss curves here")
    ap.add_argument("--title", default="training loss: fp32 (solid) and bf16 (dashed)")
    a = ap.parse_args()
    runs = []
    for arg in a.runs:
        label, _, folder = arg.partition("=")
        if not folder or not (label.endswith("fp32") or label.endswith("bf16")):
            ap.error(f"expected LABEL=FOLDER with LABEL ending in fp32 or bf16, got {arg!r}")
        runs.append((label, read(folder)))
    pairs = {}
    for label, data in runs:
        pairs.setdefault(label[:-4], {})[label[-4:]] = data
    finals = {}
    for name, p in pairs.items():
        if set(p) != {"fp32", "bf16"}:
            sys.exit(f"{name}: needs both an fp32 and a bf16 run")
        (t32, v32), (t16, v16) = p["fp32"], p["bf16"]
        steps = sorted(set(t32) & set(t16))
        diffs = [abs(t16[s] - t32[s]) for s in steps]
        print(f"{name.rstrip('-_') or 'run'}: {len(steps)} steps, |bf16 - fp32| training loss: max {max(diffs):.4f}, "
              f"mean {sum(diffs) / len(diffs):.4f}")
        if len(steps) <= 20:
            print("  step " + " ".join(f"{s:>7}" for s in steps))
            print("  fp32 " + " ".join(f"{t32[s]:>7.4f}" for s in steps))
            print("  bf16 " + " ".join(f"{t16[s]:>7.4f}" for s in steps))
        for s in sorted(set(v32) & set(v16)):
            rel = (v16[s] - v32[s]) / v32[s]
            print(f"  validation at step {s}: fp32 {v32[s]:.4f}  bf16 {v16[s]:.4f}  ({100 * rel:+.2f}%)")
        last = max(set(v32) & set(v16), default=None)
        if last is not None:
            finals[name] = (v32[last], v16[last])
    if len(finals) >= 2:
        f32 = [v[0] for v in finals.values()]
        print(f"seed noise: final fp32 validation losses span {min(f32):.4f}–{max(f32):.4f} "
              f"({100 * (max(f32) - min(f32)) / min(f32):.2f}%); the largest bf16 − fp32 difference is "
              f"{max(abs(b - a) / a for a, b in finals.values()) * 100:.2f}%")
    if a.svg:
        svg(runs, a.svg, a.title)
        print(f"wrote {a.svg}")


if __name__ == "__main__":
    main()
