#!/usr/bin/env python3
"""PyTorch CPU reference benchmark to set beside `remask bench`.

Builds a Llama-style decoder (SmolLM2-135M geometry by default) in plain PyTorch with random weights and
times, after warm-up, the median of:
  forward  no-grad forward, logits for batch x seq tokens
  sft      forward + cross-entropy + backward + AdamW step + zero_grad
  remask   like sft, but the ReMask loss: two separate forward passes (masked and full tokens), mean of the
           two cross-entropies plus 0.1 x symmetric KL between their next-token distributions
Tokens per second always count batch x seq (not doubled for remask). Peak memory is the process's resident
high-water mark (VmHWM) during each benchmark, reset beforehand through /proc/self/clear_refs.

    python3 bench/pytorch_step.py --layers 2 --vocab 1000 --reps 2
    python3 bench/pytorch_step.py --objectives forward,sft,remask --json
    python3 bench/pytorch_step.py --precision bf16   # under torch.autocast("cpu", dtype=torch.bfloat16)

--precision bf16 runs every step (forward included) under CPU autocast to bfloat16: PyTorch's mixed precision, with
Float32 weights and optimizer state, as `remask train --precision bf16`.
"""
import argparse
import contextlib
import gc
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE = -100


def log(msg):
    print(f"· {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- model

class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):  # HF convention: the two halves of head_dim are the (real, imaginary) pairs
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = a.heads, a.kv_heads, a.hidden // a.heads
        self.input_layernorm = RMSNorm(a.hidden)
        self.q_proj = nn.Linear(a.hidden, a.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(a.hidden, a.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(a.hidden, a.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(a.heads * self.head_dim, a.hidden, bias=False)
        self.post_attention_layernorm = RMSNorm(a.hidden)
        self.gate_proj = nn.Linear(a.hidden, a.ffn, bias=False)
        self.up_proj = nn.Linear(a.hidden, a.ffn, bias=False)
        self.down_proj = nn.Linear(a.ffn, a.hidden, bias=False)

    def attention(self, x, cos, sin):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        group = self.heads // self.kv_heads  # grouped-query attention: each KV head serves `group` query heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(y.transpose(1, 2).reshape(b, s, -1))

    def forward(self, x, cos, sin):
        x = x + self.attention(self.input_layernorm(x), cos, sin)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed_tokens = nn.Embedding(a.vocab, a.hidden)
        self.layers = nn.ModuleList(Block(a) for _ in range(a.layers))
        self.norm = RMSNorm(a.hidden)
        self.head_dim, self.rope_base = a.hidden // a.heads, 100000.0
        for m in self.modules():  # random init: normal(0, 0.02) for every matrix, norms stay 1
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def rope(self, seq):
        inv_freq = 1.0 / self.rope_base ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim)
        freqs = torch.outer(torch.arange(seq, dtype=torch.float32), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()  # [seq, head_dim], broadcast over batch and heads

    def forward(self, tokens):
        cos, sin = self.rope(tokens.shape[1])
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            x = layer(x, cos, sin)
        return F.linear(self.norm(x), self.embed_tokens.weight)  # tied output embedding


# ----------------------------------------------------------------------------------------- objectives

def ce(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE)


def remask_inputs(tokens, vocab, prompt_len, gen):
    """Masked copy: 40% of each row's response tokens (after the first quarter) replaced by random ids."""
    masked = tokens.clone()
    b, s = tokens.shape
    n_resp = s - prompt_len
    n_mask = round(0.4 * n_resp)
    for r in range(b):
        pos = prompt_len + torch.randperm(n_resp, generator=gen)[:n_mask]
        masked[r, pos] = torch.randint(0, vocab, (n_mask,), generator=gen)
    return masked


def remask_loss(model, tokens, masked, labels, kl_weight=0.1):
    """0.5 (CE_masked + CE_full) + kl_weight * 0.5 (KL(p_m||p_f) + KL(p_f||p_m)) over label-carrying positions."""
    logits_m = model(masked)  # two separate passes; gradients flow through both
    logits_f = model(tokens)
    loss_ce = 0.5 * (ce(logits_m, labels) + ce(logits_f, labels))
    keep = labels != IGNORE
    lp_m = F.log_softmax(logits_m[keep], dim=-1)  # full-vocabulary distributions
    lp_f = F.log_softmax(logits_f[keep], dim=-1)
    kl_mf = (lp_m.exp() * (lp_m - lp_f)).sum(-1).mean()
    kl_fm = (lp_f.exp() * (lp_f - lp_m)).sum(-1).mean()
    return loss_ce + kl_weight * 0.5 * (kl_mf + kl_fm)


# ----------------------------------------------------------------------------------------- measuring

def reset_peak():
    try:  # "5" resets the VmHWM high-water mark to the current RSS (Linux)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux; lifetime max


def median_seconds(warmup, reps, body):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(max(1, reps)):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]  # same pick as the Swift side (upper median for even counts)


def run_benchmark(name, a):
    """Builds a fresh model (like `remask bench`) and times one objective; returns the result row."""
    log(f"{name}: building model")
    gc.collect()
    reset_peak()
    torch.manual_seed(a.seed)
    model = Llama(a)
    gen = torch.Generator().manual_seed(a.seed + 1)
    tokens = torch.randint(0, a.vocab, (a.batch, a.seq), generator=gen)
    labels = torch.full_like(tokens, IGNORE)
    labels[:, :-1] = tokens[:, 1:]  # next-token targets; the last position of a row has none

    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.precision == "bf16" else contextlib.nullcontext
    if name == "forward":
        model.eval()

        def step():
            with torch.no_grad(), autocast():
                model(tokens)
        detail = "no-grad forward"
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
        prompt_len = a.seq // 4
        if name == "remask":
            labels[:, :prompt_len - 1] = IGNORE  # labels only where the target is a response token

        def step():
            with autocast():
                if name == "sft":
                    loss = ce(model(tokens), labels)
                else:
                    loss = remask_loss(model, tokens, remask_inputs(tokens, a.vocab, prompt_len, gen), labels)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        detail = ("forward + backward + AdamW" if name == "sft"
                  else "2 forwards (40% response masked / full) + CE + sym. KL + backward + AdamW")

    log(f"{name}: timing ({a.warmup} warm-up, {a.reps} reps)")
    t = median_seconds(a.warmup, a.reps, step)
    n = a.batch * a.seq
    return {"name": name, "tokens_per_second": n / t, "seconds_median": t, "peak_rss_bytes": peak_rss(),
            "batch": a.batch, "seq": a.seq, "precision": a.precision, "threads": torch.get_num_threads(), "torch_version": torch.__version__,
            "detail": f"{a.batch}×{a.seq} tokens, {detail}" + (", bf16 autocast" if a.precision == "bf16" else "")}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hidden", type=int, default=576)
    p.add_argument("--layers", type=int, default=30)
    p.add_argument("--heads", type=int, default=9)
    p.add_argument("--kv-heads", type=int, default=3)
    p.add_argument("--ffn", type=int, default=1536)
    p.add_argument("--vocab", type=int, default=49152)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--objectives", default="forward,sft", help="comma list of forward, sft, remask")
    p.add_argument("--json", action="store_true", help="print one JSON array instead of a table")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32", help="bf16: steps under CPU autocast")
    a = p.parse_args()

    names = [n for n in a.objectives.split(",") if n]
    if bad := [n for n in names if n not in ("forward", "sft", "remask")]:
        p.error(f"unknown objective(s) {', '.join(bad)}; choose from forward, sft, remask")
    if a.hidden % a.heads or a.heads % a.kv_heads or (a.hidden // a.heads) % 2:
        p.error("hidden must split into heads of even size, and heads must be a multiple of kv-heads")
    if a.seq < 4 or a.batch < 1 or a.warmup < 0 or a.reps < 1 or a.threads < 1:
        p.error("need seq >= 4, batch >= 1, warmup >= 0, reps >= 1, threads >= 1")

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    results = [run_benchmark(n, a) for n in names]

    if a.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"torch {torch.__version__}, {a.precision}, threads {a.threads}, batch {a.batch} × {a.seq}, hidden {a.hidden}, "
              f"layers {a.layers}, heads {a.heads}/{a.kv_heads}, ffn {a.ffn}, vocab {a.vocab}")
        print(f"{'name':<10}{'tokens/s':>12}{'median s':>12}{'peak RSS MiB':>15}")
        for r in results:
            print(f"{r['name']:<10}{r['tokens_per_second']:>12.1f}{r['seconds_median']:>12.4f}"
                  f"{r['peak_rss_bytes'] / 2**20:>15.1f}")


if __name__ == "__main__":
    main()
