#!/usr/bin/env python3
"""Write `Tests/Fixtures/optimizer_reference.json`: reference trajectories for remask's optimizers and
learning-rate schedules, computed in PyTorch (float32, CPU).

Developers run this by hand when the fixture has to change; CI never runs it. It needs torch (and, for a
cross-check of the cosine transcription, transformers if installed):

  python3 tools/make_optimizer_fixture.py [--out Tests/Fixtures/optimizer_reference.json]

What it records (parameter vectors are the tensors below concatenated in order, each row-major, which is
the layout of a remask `ParameterStore` that declares them in that order):

  * Lilith, transcribed from the Methods notes (one function below, `lilith_step`), 20 steps on four
    tensors with seeded random gradients, the learning rate of each step taken from PyTorch's own
    `OneCycleLR`; once with default hyperparameters and once with acceleration 0.5, ema_k 3 and weight
    decay 0.1. The gradients are shaped so that both clamps of the trust ratio fire (g_norm_min: the
    vector's gradient is scaled by 1e-7 at step 4; ratio_min: the matrix `z` starts at zero).
  * `torch.optim.AdamW` on the same tensors and gradients, weight decay only on tensors of rank >= 2 (as
    remask's AdamW), with the same OneCycle learning rates.
  * OneCycleLR learning rates for several configurations, from PyTorch's scheduler.
  * Cosine-with-warmup learning rates from a transcription of transformers'
    `get_cosine_with_min_lr_schedule_with_warmup` (checked against transformers when it is installed).

remask keeps hyperparameters in Float32, so every hyperparameter here is first rounded to float32: the
comparison then measures the update rules, not the rounding of 0.999 to a Float. Floats are written with
`repr` of the float32 value, which round-trips exactly.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import struct
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
STEPS = 20
SEED = 1234
TENSORS = [("w", [7, 5]), ("b", [5]), ("s", [1]), ("z", [2, 3])]


def f32(x: float) -> float:
    """The float32 value nearest to x, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def floats(t: torch.Tensor) -> list[float]:
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def flat(tensors: list[torch.Tensor]) -> list[float]:
    return [x for t in tensors for x in floats(t)]


def initial_tensors(gen: torch.Generator) -> list[torch.Tensor]:
    out = []
    for name, shape in TENSORS:
        t = torch.randn(shape, generator=gen, dtype=torch.float32)
        if name == "z":
            t.zero_()  # ||p|| = 0: the trust ratio clamps at ratio_min
        out.append(t)
    return out


def gradient_sequence(gen: torch.Generator) -> list[list[torch.Tensor]]:
    seq = []
    for step in range(1, STEPS + 1):
        gs = [torch.randn(shape, generator=gen, dtype=torch.float32) for _, shape in TENSORS]
        if step == 4:
            gs[1].mul_(1e-7)  # ||g|| below g_norm_min
        seq.append(gs)
    return seq


def one_cycle_lrs(max_lr: float, total: int, **kwargs) -> list[float]:
    """The learning rate of each optimizer step, from PyTorch's OneCycleLR on a dummy SGD."""
    dummy = torch.nn.Parameter(torch.zeros(1))
    sgd = torch.optim.SGD([dummy], lr=max_lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(sgd, max_lr=max_lr, total_steps=total, cycle_momentum=False,
                                                anneal_strategy="cos", **kwargs)
    lrs = []
    for _ in range(total):
        lrs.append(sched.get_last_lr()[0])
        sgd.step()
        sched.step()
    return lrs


LILITH_DEFAULTS = dict(eps=1e-8, beta1_m=0.9, beta2_m=0.99, beta_v=0.999, weight_decay=0.01, g_norm_min=1e-4,
                       ratio_min=1e-4, acceleration=1.0, ema_k=0, ema_beta=0.99)

clamps_hit = {"g_norm_min": 0, "ratio_min": 0}


def lilith_step(p: torch.Tensor, g: torch.Tensor, state: dict, lr: float, h: dict) -> None:
    """One Lilith step on one tensor, line by line as in the Methods notes (float32 tensors)."""
    if not state:
        state.update(step=0, m1=torch.zeros_like(p), m2=torch.zeros_like(p), v=torch.zeros_like(p))
        if h["ema_k"] > 0:
            state["ema"] = p.clone()  # as upstream Lilith: the average starts at the parameter
    state["step"] += 1
    t = state["step"]
    if p.numel() > 1:
        g_norm = g.norm()
        p_norm = p.norm()
        if g_norm < h["g_norm_min"]:
            clamps_hit["g_norm_min"] += 1
        ratio = p_norm / g_norm.clamp(min=h["g_norm_min"])
        if ratio < h["ratio_min"]:
            clamps_hit["ratio_min"] += 1
        g = g * ratio.clamp(min=h["ratio_min"])
    m1_prev = state["m1"]
    m1 = h["beta1_m"] * (state["m1"] + state["m2"]) + (1 - h["beta1_m"]) * g
    m2 = h["beta2_m"] * state["m2"] + (1 - h["beta2_m"]) * (m1 - m1_prev)
    u = m1 + h["acceleration"] * m2
    v = h["beta_v"] * state["v"] + (1 - h["beta_v"]) * u * u
    u = u / torch.sqrt(v / (1 - h["beta_v"] ** t) + h["eps"])
    u = u + h["weight_decay"] * p
    p.sub_(lr * u)
    state.update(m1=m1, m2=m2, v=v)
    if h["ema_k"] > 0:
        state["ema"] = h["ema_beta"] * state["ema"] + (1 - h["ema_beta"]) * p
        if t % h["ema_k"] == 0:
            p.copy_(state["ema"])


def run_lilith(init, grads, lrs, overrides: dict) -> dict:
    h = {k: (v if k == "ema_k" else f32(v)) for k, v in {**LILITH_DEFAULTS, **overrides}.items()}
    params = [t.clone() for t in init]
    states = [{} for _ in params]
    trajectory = []
    for step in range(STEPS):
        for p, g, s in zip(params, grads[step], states):
            lilith_step(p, g.clone(), s, lrs[step], h)
        trajectory.append(flat(params))
    return {"hyperparameters": h, "lr": lrs, "params": trajectory}


def run_adamw(init, grads, lrs, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1) -> dict:
    betas = (f32(betas[0]), f32(betas[1]))
    eps, weight_decay = f32(eps), f32(weight_decay)
    params = [torch.nn.Parameter(t.clone()) for t in init]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lrs[0], betas=betas, eps=eps, foreach=False)
    trajectory = []
    for step in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = lrs[step]
        for p, g in zip(params, grads[step]):
            p.grad = g.clone()
        opt.step()
        trajectory.append(flat(params))
    return {"hyperparameters": {"beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay},
            "lr": lrs, "params": trajectory}


def cosine_lr(step: int, max_lr: float, warmup: int, total: int, min_lr: float) -> float:
    """transformers' cosine-with-min-lr schedule (num_cycles 0.5), transcribed."""
    if step < warmup:
        return max_lr * step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    factor = 0.5 * (1 + math.cos(math.pi * progress))
    return max_lr * max(0.0, factor * (1 - min_lr / max_lr) + min_lr / max_lr)


def cosine_from_transformers(max_lr: float, warmup: int, total: int, min_lr: float) -> list[float] | None:
    try:
        from transformers.optimization import get_cosine_with_min_lr_schedule_with_warmup
    except ImportError:
        return None
    dummy = torch.nn.Parameter(torch.zeros(1))
    sgd = torch.optim.SGD([dummy], lr=max_lr)
    sched = get_cosine_with_min_lr_schedule_with_warmup(sgd, warmup, total, min_lr=min_lr)
    out = []
    for _ in range(total):
        out.append(sched.get_last_lr()[0])
        sgd.step()
        sched.step()
    return out


def dumps(value, indent: str = "") -> str:
    """JSON with objects indented and each list of numbers (one parameter vector, one lr sequence) on a line."""
    if isinstance(value, dict):
        inner = indent + " "
        items = [f"{inner}{json.dumps(k)}: {dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and not all(isinstance(x, (int, float)) for x in value):
        inner = indent + " "
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, separators=(", ", ": "))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / "Tests/Fixtures/optimizer_reference.json"))
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    gen = torch.Generator().manual_seed(SEED)
    init = initial_tensors(gen)
    grads = gradient_sequence(gen)
    max_lr = f32(1e-2)
    lrs = one_cycle_lrs(max_lr, STEPS)

    lilith = {"default": run_lilith(init, grads, lrs, {}),
              "branches": run_lilith(init, grads, lrs, {"acceleration": 0.5, "ema_k": 3, "weight_decay": 0.1})}
    # Both runs clamp the trust ratio both ways (g_norm_min at step 4, ratio_min at step 1).
    assert clamps_hit["g_norm_min"] >= 2 and clamps_hit["ratio_min"] >= 2, clamps_hit

    one_cycle = []
    for max_lr_c, total, kwargs in [(max_lr, STEPS, {}),
                                    (f32(3e-4), 7, {"pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0}),
                                    (f32(1e-4), 53, {"pct_start": 0.1}),
                                    (f32(2e-3), 10, {"pct_start": 0.05})]:
        one_cycle.append({"max_lr": max_lr_c, "total_steps": total,
                          "pct_start": kwargs.get("pct_start", 0.3), "div_factor": kwargs.get("div_factor", 25.0),
                          "final_div_factor": kwargs.get("final_div_factor", 1e4),
                          "lr": one_cycle_lrs(max_lr_c, total, **kwargs)})

    cosine = []
    for max_lr_c, warmup, total, min_lr in [(f32(1e-3), 3, 20, 0.0), (f32(2e-4), 0, 10, f32(1e-5)),
                                            (f32(5e-5), 4, 4, 0.0), (f32(1e-5), 1, 100, f32(1e-6))]:
        lr = [cosine_lr(s, max_lr_c, warmup, total, min_lr) for s in range(total)]
        reference = cosine_from_transformers(max_lr_c, warmup, total, min_lr)
        if reference is not None:
            assert max(abs(a - b) for a, b in zip(lr, reference)) < 1e-15, (lr, reference)
        cosine.append({"max_lr": max_lr_c, "warmup_steps": warmup, "total_steps": total, "min_lr": min_lr, "lr": lr})

    fixture = {
        "generator": "tools/make_optimizer_fixture.py",
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "steps": STEPS,
        "tensors": [{"name": n, "shape": s} for n, s in TENSORS],
        "initial": flat(init),
        "grads": [flat(gs) for gs in grads],
        "lilith": lilith,
        "adamw": run_adamw(init, grads, lrs),
        "one_cycle": one_cycle,
        "cosine": cosine,
    }
    text = dumps(fixture)
    Path(args.out).write_text(text + "\n")
    print(f"wrote {args.out} ({len(text)} bytes); trust-ratio clamps hit: {clamps_hit}", file=sys.stderr)


if __name__ == "__main__":
    main()
