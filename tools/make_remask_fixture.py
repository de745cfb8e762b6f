#!/usr/bin/env python3
"""Write `Tests/Fixtures/remask_loss_tiny_llama.json`: the ReMask loss and its gradient on the tiny Llama.

An independent PyTorch computation of the training objectives (ReMask with every divergence, with and without a
detached full pass; SFT; Masked Thought) on the committed `Tests/Fixtures/tiny-llama/` model, for remask's
Swift tests to compare against. Developers run this by hand when the fixture has to change; CI never runs it.

Inputs (drawn from a fixed torch seed and written into the fixture, so the Swift test reads the same ids):

  tokens          [3][16] ids in [3, 95) (95 is kept for the mask id, so it never occurs naturally)
  prompt_length   [3] = 5, 4, 7; positions < prompt_length[r] are prompt, the others response
  masked_tokens   tokens with round(0.4 * response length) response positions replaced, never a prompt position;
                  rows 0 and 2 use the "[mask]" id 95, row 1 random ids in [3, 95) (each != the original id)
  labels          [3][16] next-token targets aligned with the logits (no further shift): labels[r][i] =
                  tokens[r][i+1] when prompt_length[r] <= i+1 < 16, else -100; then 2 of row 0's label positions
                  are dropped (set to -100) to mimic label masking

Definitions (float64; "logits" = LlamaForCausalLM logits, eval mode, eager attention, no attention mask, causal,
positions 0..15 in each row, no KV cache):

  logits_masked = model(masked_tokens), logits_full = model(tokens)         both [3, 16, 96]
  S             = positions (r, i) with labels[r][i] != -100, over all rows; n = |S|
  p_x, logp_x   = softmax / log_softmax over the vocabulary of logits_x at a position
  CE_x          = mean over S of -logp_x[label]                                (x = masked, full)
  KL(P||Q)      = sum_v P_v (log P_v - log Q_v)
  D kl-forward  = mean over S of KL(p_masked || p_full)
  D kl-reverse  = mean over S of KL(p_full || p_masked)
  D kl-sym      = 0.5 * (kl-forward + kl-reverse)
  D mse         = F.mse_loss(p_masked[S], p_full[S]) = mean over n * 96 of (p_masked - p_full)^2
  remask loss   = 0.5 * (CE_masked + CE_full) + w * D,  w = 0.1; extra cases: kl-sym with w = 0.7, and mse
                  with w = 100 (with and without detach: at w = 0.1 the mse term moves the gradient by only ~2e-5)
  detach        = inside D only, the full pass is a fixed teacher (p_full.detach() / logp_full.detach());
                  CE_full still has its gradient
  sft loss      = CE_full;  masked-thought loss = CE_masked

For every case the fixture holds loss, ce_masked, ce_full, d and d/dparam of the loss for every parameter (HF
names as in model.safetensors; flat, row-major). The whole computation also runs in float32 and must agree with
float64 to ~1e-5 (relative to the largest value of each case); the fixture stores the float64 results. The float64
model computes rotary cos/sin, RMSNorm and the attention softmax in float64 too (transformers does those three in
float32 whatever the model's dtype), and central finite differences check its gradients (detach included).

Usage:

  python3 tools/make_remask_fixture.py [--model Tests/Fixtures/tiny-llama] [--out Tests/Fixtures]

Single-threaded, deterministic algorithms, fixed seed: a rerun with the same library versions writes the same bytes.
Floats are rounded to 8 significant digits.
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import json
import os
import platform
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "Tests" / "Fixtures" / "tiny-llama"
DEFAULT_OUT = REPO / "Tests" / "Fixtures"
FIXTURE_FILE = "remask_loss_tiny_llama.json"

SEED = 20240615
BATCH, SEQ_LEN = 3, 16
PROMPT_LENGTHS = (5, 4, 7)
TOKEN_LOW, TOKEN_HIGH = 3, 95          # tokens and random replacements in [3, 95)
MASK_ID = 95                           # the "[mask]" replacement id (last id of the 96-token vocabulary)
MASK_RATE = 0.4
REPLACEMENT = ("mask", "random", "mask")   # per row
LABEL_DROP_ROW, LABEL_DROP_COUNT = 0, 2
IGNORE_INDEX = -100
WEIGHT = 0.1
MSE_STRONG_WEIGHT = 100.0
TOLERANCE = 1e-5                       # float32 vs float64, relative to the largest |value| of the quantity

# (objective, divergence, weight, detach) in fixture order.
CASES = [("remask", div, WEIGHT, det) for div in ("kl-sym", "kl-forward", "kl-reverse", "mse")
         for det in (False, True)]
CASES += [("remask", "kl-sym", 0.7, False)]
# With w = 0.1 the mse term moves the gradient by only ~2e-5 (the probabilities of a 96-token vocabulary differ
# little in squared error), below a 1e-5-ish test tolerance's resolving power; w = 100 makes it ~2e-2, as large as
# the KL terms' at w = 0.1, so a wrong or missing mse term (or detach) cannot pass.
CASES += [("remask", "mse", MSE_STRONG_WEIGHT, det) for det in (False, True)]
CASES += [("sft", None, None, None), ("masked-thought", None, None, None)]

torch = None
F = None


def import_libraries() -> None:
    global torch, F
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import torch as _torch
    import torch.nn.functional as _F
    import transformers

    torch, F = _torch, _F
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)


def library_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "safetensors", "numpy"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# ----------------------------------------------------------------------------------------------------------
# JSON output
# ----------------------------------------------------------------------------------------------------------

def g8(x) -> float:
    """A float rounded to 8 significant digits (no negative zero, so reruns diff cleanly)."""
    v = float(f"{float(x):.8g}")
    return 0.0 if v == 0 else v


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def write_json(path: Path, obj: dict) -> None:
    """A top-level object with one key per line; lists of objects/lists get one element per line."""
    lines = ["{"]
    items = list(obj.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
            lines.append(f"{dumps(key)}:[")
            lines += [dumps(v) + ("," if j + 1 < len(value) else "") for j, v in enumerate(value)]
            lines.append("]" + comma)
        else:
            lines.append(f"{dumps(key)}:{dumps(value)}{comma}")
    lines.append("}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------------------

def make_inputs() -> dict:
    """tokens, prompt_length, masked_tokens, labels (+ where and how they were masked), from SEED."""
    g = torch.Generator().manual_seed(SEED)
    tokens = torch.randint(TOKEN_LOW, TOKEN_HIGH, (BATCH, SEQ_LEN), generator=g)
    masked = tokens.clone()
    labels = torch.full((BATCH, SEQ_LEN), IGNORE_INDEX, dtype=torch.long)
    mask_positions, dropped = [], []
    for r, plen in enumerate(PROMPT_LENGTHS):
        response = list(range(plen, SEQ_LEN))
        k = int(MASK_RATE * len(response) + 0.5)
        chosen = sorted(response[j] for j in torch.randperm(len(response), generator=g)[:k].tolist())
        for pos in chosen:
            if REPLACEMENT[r] == "mask":
                masked[r, pos] = MASK_ID
            else:
                while True:
                    new = int(torch.randint(TOKEN_LOW, TOKEN_HIGH, (1,), generator=g))
                    if new != int(tokens[r, pos]):
                        break
                masked[r, pos] = new
        mask_positions.append(chosen)
        for i in range(SEQ_LEN - 1):
            if i + 1 >= plen:
                labels[r, i] = tokens[r, i + 1]
    valid = [i for i in range(SEQ_LEN) if labels[LABEL_DROP_ROW, i] != IGNORE_INDEX]
    drop = sorted(valid[j] for j in torch.randperm(len(valid), generator=g)[:LABEL_DROP_COUNT].tolist())
    labels[LABEL_DROP_ROW, drop] = IGNORE_INDEX
    dropped = [drop if r == LABEL_DROP_ROW else [] for r in range(BATCH)]

    # The invariants the fixture promises.
    for r, plen in enumerate(PROMPT_LENGTHS):
        assert torch.equal(masked[r, :plen], tokens[r, :plen]), "a prompt position was masked"
        changed = [i for i in range(SEQ_LEN) if masked[r, i] != tokens[r, i]]
        assert changed == mask_positions[r], (changed, mask_positions[r])
    assert int(tokens.max()) < MASK_ID and int(tokens.min()) >= TOKEN_LOW
    return {"tokens": tokens, "masked_tokens": masked, "labels": labels, "mask_positions": mask_positions,
            "dropped_labels": dropped}


# ----------------------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------------------

def load_model(folder: Path):
    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    assert not model.config.tie_word_embeddings
    return model


def rope_float64(config):
    """A rotary forward that computes inv_freq, angles, cos and sin in float64 (then casts to x's dtype)."""
    rope = config.rope_parameters
    assert rope.get("rope_type", "default") == "default", rope
    base = float(rope["rope_theta"])
    dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads

    def forward(self, x, position_ids):
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
        freqs = position_ids[..., None].to(torch.float64) * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)

    return forward


def rms_norm_float64(self, hidden_states):
    """LlamaRMSNorm without its float32 round trip: the same formula in the input's dtype."""
    variance = hidden_states.pow(2).mean(-1, keepdim=True)
    return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))


_FLOAT64_SOFTMAX = "_remask_float64_softmax"


def install_float64_attention() -> None:
    """Make eager attention keep float64 in the softmax for modules flagged with _FLOAT64_SOFTMAX.

    transformers' eager_attention_forward takes the softmax in float32 whatever the dtype; LlamaAttention looks the
    module-level function up at call time (for "eager" the AttentionInterface returns that default), so the
    replacement goes there. Unflagged modules (the float32 model) run the original function unchanged.
    """
    from transformers.models.llama import modeling_llama

    original = modeling_llama.eager_attention_forward
    if getattr(original, _FLOAT64_SOFTMAX, False):
        return

    def forward(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
        if not getattr(module, _FLOAT64_SOFTMAX, False):
            return original(module, query, key, value, attention_mask, scaling, dropout=dropout, **kwargs)
        assert query.dtype == torch.float64 and not module.training
        key_states = modeling_llama.repeat_kv(key, module.num_key_value_groups)
        value_states = modeling_llama.repeat_kv(value, module.num_key_value_groups)
        attn_weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling
        if attention_mask is not None:
            attn_weights = attn_weights + attention_mask
        attn_weights = torch.softmax(attn_weights, dim=-1)
        attn_output = torch.matmul(attn_weights, value_states).transpose(1, 2).contiguous()
        return attn_output, attn_weights

    setattr(forward, _FLOAT64_SOFTMAX, True)
    modeling_llama.eager_attention_forward = forward


def float64_copy(model, exact: bool = True):
    """model.double(); with exact, also rotary cos/sin, RMSNorm and the attention softmax in float64.

    transformers computes those three in float32 even in a float64 model (rounding errors of ~1e-7 relative that
    leave finite differences useless below eps ~ 1e-4); `exact=False` keeps them, to show how much that matters.
    """
    from transformers.models.llama import modeling_llama

    m = copy.deepcopy(model).double()
    m.eval()
    if exact:
        install_float64_attention()
        rotary = m.model.rotary_emb
        rotary.forward = types.MethodType(rope_float64(m.config), rotary)
        for module in m.modules():
            if isinstance(module, modeling_llama.LlamaRMSNorm):
                module.forward = types.MethodType(rms_norm_float64, module)
            elif isinstance(module, modeling_llama.LlamaAttention):
                setattr(module, _FLOAT64_SOFTMAX, True)
    return m


def parameter_names(model, folder: Path) -> list[str]:
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        file_names = sorted(f.keys())
    names = sorted(name for name, _ in model.named_parameters())
    assert names == file_names, (names, file_names)
    return names


# ----------------------------------------------------------------------------------------------------------
# The objectives
# ----------------------------------------------------------------------------------------------------------

def objective_terms(model, inputs: dict, objective: str, divergence: str | None, weight: float | None,
                    detach: bool | None, frozen_teacher=None) -> tuple:
    """(loss, ce_masked, ce_full, d or None, logp_full) as tensors of one case.

    frozen_teacher: log p_full over S to use inside D instead of this model's (the finite-difference check of the
    detach cases holds the teacher at the unperturbed parameters).
    """
    labels = inputs["labels"]
    logits_m = model(input_ids=inputs["masked_tokens"], use_cache=False).logits
    logits_f = model(input_ids=inputs["tokens"], use_cache=False).logits
    sel = labels != IGNORE_INDEX
    y = labels[sel]
    lm, lf = logits_m[sel], logits_f[sel]                       # [n, V], S in row-major order
    logp_m, logp_f = torch.log_softmax(lm, -1), torch.log_softmax(lf, -1)
    ce_m = -logp_m.gather(1, y[:, None]).mean()
    ce_f = -logp_f.gather(1, y[:, None]).mean()
    # Cross-check with torch's own reductions.
    V = logits_m.shape[-1]
    for ce, logits in ((ce_m, logits_m), (ce_f, logits_f)):
        ref = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=IGNORE_INDEX)
        assert torch.allclose(ce, ref, rtol=1e-6, atol=0), (ce, ref)

    d = None
    if objective == "remask":
        if frozen_teacher is not None:
            teacher = frozen_teacher
        else:
            teacher = logp_f.detach() if detach else logp_f
        fwd = (logp_m.exp() * (logp_m - teacher)).sum(-1).mean()
        rev = (teacher.exp() * (teacher - logp_m)).sum(-1).mean()
        n = lm.shape[0]
        fwd_ref = F.kl_div(teacher, logp_m, reduction="sum", log_target=True) / n   # KL(p_masked || p_full)
        rev_ref = F.kl_div(logp_m, teacher, reduction="sum", log_target=True) / n   # KL(p_full || p_masked)
        assert torch.allclose(fwd, fwd_ref, rtol=1e-5) and torch.allclose(rev, rev_ref, rtol=1e-5)
        if divergence == "kl-forward":
            d = fwd
        elif divergence == "kl-reverse":
            d = rev
        elif divergence == "kl-sym":
            d = 0.5 * (fwd + rev)
        elif divergence == "mse":
            d = F.mse_loss(logp_m.exp(), teacher.exp())
        else:
            raise ValueError(divergence)
        loss = 0.5 * (ce_m + ce_f) + weight * d
    elif objective == "sft":
        loss = ce_f
    elif objective == "masked-thought":
        loss = ce_m
    else:
        raise ValueError(objective)
    return loss, ce_m, ce_f, d, logp_f


def compute(model, inputs: dict, case: tuple, names: list[str]) -> dict:
    """loss, ce_masked, ce_full, d (float) and the gradient (name -> float64 tensor) of one case."""
    params = dict(model.named_parameters())
    model.zero_grad(set_to_none=True)
    loss, ce_m, ce_f, d, _ = objective_terms(model, inputs, *case)
    grads = torch.autograd.grad(loss, [params[k] for k in names], allow_unused=True)
    grads = {k: (torch.zeros_like(params[k]) if g is None else g).detach().double() for k, g in zip(names, grads)}
    return {"loss": loss.item(), "ce_masked": ce_m.item(), "ce_full": ce_f.item(),
            "d": None if d is None else d.item(), "grad": grads}


def finite_difference_check(model64, inputs: dict, case: tuple, grads: dict, names: list[str],
                            per_tensor: int = 2, eps: float = 1e-6) -> float:
    """Largest |central difference - autograd| over a few elements of every tensor (float64).

    For detach cases the teacher (log p_full inside D) stays at the unperturbed parameters, which is exactly what
    detach means; CE_full still sees the perturbation.
    """
    params = dict(model64.named_parameters())
    frozen = None
    with torch.no_grad():
        if case[0] == "remask" and case[3]:
            frozen = objective_terms(model64, inputs, *case)[4]
        g = torch.Generator().manual_seed(SEED + 1)
        worst = 0.0
        for k in names:
            p = params[k]
            flat = p.view(-1)
            # The element with the largest gradient, plus random ones.
            picks = [int(grads[k].abs().reshape(-1).argmax())]
            picks += torch.randint(0, flat.numel(), (per_tensor - 1,), generator=g).tolist()
            for j in picks:
                old = float(flat[j])
                flat[j] = old + eps
                up = objective_terms(model64, inputs, *case, frozen_teacher=frozen)[0].item()
                flat[j] = old - eps
                down = objective_terms(model64, inputs, *case, frozen_teacher=frozen)[0].item()
                flat[j] = old
                worst = max(worst, abs((up - down) / (2 * eps) - float(grads[k].reshape(-1)[j])))
    return worst


def per_position(model, inputs: dict) -> dict:
    """Per-position values over S (row-major), a debugging aid: CE of both passes, both KLs, sum of squares."""
    with torch.no_grad():
        labels = inputs["labels"]
        sel = labels != IGNORE_INDEX
        logp_m = torch.log_softmax(model(input_ids=inputs["masked_tokens"], use_cache=False).logits[sel], -1)
        logp_f = torch.log_softmax(model(input_ids=inputs["tokens"], use_cache=False).logits[sel], -1)
        y = labels[sel][:, None]
        pm, pf = logp_m.exp(), logp_f.exp()
        return {
            "index": sel.nonzero().tolist(),
            "ce_masked": [g8(v) for v in (-logp_m.gather(1, y)[:, 0]).tolist()],
            "ce_full": [g8(v) for v in (-logp_f.gather(1, y)[:, 0]).tolist()],
            "kl_forward": [g8(v) for v in (pm * (logp_m - logp_f)).sum(-1).tolist()],
            "kl_reverse": [g8(v) for v in (pf * (logp_f - logp_m)).sum(-1).tolist()],
            "squared_error_sum": [g8(v) for v in ((pm - pf) ** 2).sum(-1).tolist()],
        }


def deviation(a: dict, b: dict) -> dict:
    """How far result a (float32) is from b (float64): scalars relative, gradients relative to max |grad|."""
    out = {}
    for key in ("loss", "ce_masked", "ce_full", "d"):
        if b[key] is not None:
            out[key] = abs(a[key] - b[key]) / max(abs(b[key]), 1e-300)
    abs_diff = max(float((a["grad"][k] - b["grad"][k]).abs().max()) for k in b["grad"])
    scale = max(float(g.abs().max()) for g in b["grad"].values())
    out["grad_abs"] = abs_diff
    out["grad_max"] = scale
    out["grad"] = abs_diff / scale
    # Worst tensor, relative to that tensor's own largest |value|.
    out["grad_tensor"] = max(float((a["grad"][k] - b["grad"][k]).abs().max()) / max(float(g.abs().max()), 1e-30)
                             for k, g in b["grad"].items() if float(g.abs().max()) > 0)
    return out


def case_name(objective, divergence, weight, detach) -> str:
    """e.g. remask-kl-sym-w0.1, remask-mse-w100-detach, sft, masked-thought."""
    if objective != "remask":
        return objective
    name = f"remask-{divergence}-w{weight:g}"
    return name + ("-detach" if detach else "")


# ----------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="tiny Llama folder (default: the fixture's)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="fixture folder (default: the repo's Tests/Fixtures)")
    args = parser.parse_args()

    import_libraries()
    folder, out = Path(args.model), Path(args.out)
    model32 = load_model(folder)
    model64 = float64_copy(model32)
    model64_hf = float64_copy(model32, exact=False)
    names = parameter_names(model32, folder)
    shapes = {k: list(p.shape) for k, p in model32.named_parameters()}
    n_params = sum(p.numel() for p in model32.parameters())
    inputs = make_inputs()
    n_labels = int((inputs["labels"] != IGNORE_INDEX).sum())
    print(f"{folder}: {n_params} parameters in {len(names)} tensors; batch {BATCH}x{SEQ_LEN}, "
          f"prompt lengths {list(PROMPT_LENGTHS)}, {n_labels} label positions, masked positions "
          f"{inputs['mask_positions']} ({', '.join(REPLACEMENT)}), dropped labels {inputs['dropped_labels']}")

    cases, worst, worst_hf, worst_fd = [], {}, 0.0, 0.0
    print(f"{'case':30} {'loss':>12} {'ce_masked':>11} {'ce_full':>11} {'d':>12} {'|grad|max':>10}  "
          f"f32 vs f64: loss, grad (rel. to max), worst tensor")
    for objective, divergence, weight, detach in CASES:
        name = case_name(objective, divergence, weight, detach)
        case = (objective, divergence, weight, detach)
        r64 = compute(model64, inputs, case, names)
        r32 = compute(model32, inputs, case, names)
        rhf = compute(model64_hf, inputs, case, names)
        fd = finite_difference_check(model64, inputs, case, r64["grad"], names)
        worst_fd = max(worst_fd, fd)
        assert fd < 1e-7, f"{name}: finite differences disagree with autograd by {fd:.2e}"
        dev = deviation(r32, r64)
        worst_hf = max(worst_hf, deviation(rhf, r64)["grad"], deviation(rhf, r64)["loss"])
        for key, value in dev.items():
            worst[key] = max(worst.get(key, 0.0), value)
        d_text = "-" if r64["d"] is None else f"{r64['d']:.6e}"
        print(f"{name:30} {r64['loss']:12.8f} {r64['ce_masked']:11.7f} {r64['ce_full']:11.7f} {d_text:>12} "
              f"{dev['grad_max']:10.3e}  {dev['loss']:.1e}, {dev['grad']:.1e} (abs {dev['grad_abs']:.1e}), "
              f"{dev['grad_tensor']:.1e}; finite diff. {fd:.1e}")
        bad = {k: v for k, v in dev.items() if k not in ("grad_abs", "grad_max", "grad_tensor") and v > TOLERANCE}
        assert not bad, f"{name}: float32 and float64 disagree: {bad}"
        cases.append({
            "name": name, "objective": objective, "divergence": divergence, "weight": weight, "detach": detach,
            "loss": g8(r64["loss"]), "ce_masked": g8(r64["ce_masked"]), "ce_full": g8(r64["ce_full"]),
            "d": None if r64["d"] is None else g8(r64["d"]),
            "grad": {k: [g8(v) for v in r64["grad"][k].reshape(-1).tolist()] for k in names},
        })

    # The cases must be consistent with each other.
    by = {c["name"]: c for c in cases}
    for c in cases:
        assert c["ce_masked"] == cases[0]["ce_masked"] and c["ce_full"] == cases[0]["ce_full"]
    assert by["sft"]["loss"] == by["sft"]["ce_full"] and by["masked-thought"]["loss"] == by["masked-thought"]["ce_masked"]

    definitions = [
        "Logits come from Tests/Fixtures/tiny-llama (LlamaForCausalLM, eval, eager attention, causal, "
        "no attention mask, positions 0..15 per row, no KV cache). logits_masked = model(masked_tokens), "
        "logits_full = model(tokens), both [3,16,96].",
        "labels[r][i] is the target of logits[r][i] (already shifted): tokens[r][i+1] when prompt_length[r] <= i+1 "
        "< 16, else -100; dropped_labels lists positions set to -100 on top of that (label masking).",
        "masked_tokens: tokens with the response positions mask_positions[r] (all >= prompt_length[r]) replaced: "
        f"replacement[r] = 'mask' uses id {MASK_ID}, 'random' a random id in [{TOKEN_LOW},{TOKEN_HIGH}) != the original.",
        "S = positions (r,i) with labels[r][i] != -100 over all rows (row-major); n = |S| = n_label_positions.",
        "CE_x = mean over S of -log_softmax(logits_x)[label] (x = masked, full).",
        "KL(P||Q) = sum_v P_v (log P_v - log Q_v), P and Q softmax distributions at one position.",
        "kl-forward: D = mean over S of KL(p_masked||p_full); kl-reverse: D = mean over S of KL(p_full||p_masked); "
        "kl-sym: D = 0.5*(kl-forward + kl-reverse); mse: D = F.mse_loss(p_masked[S], p_full[S]) = mean over n*96 "
        "of (p_masked - p_full)^2.",
        "remask: loss = 0.5*(CE_masked + CE_full) + weight*D. detach = true: inside D only, p_full/log p_full are "
        "detached (a fixed teacher); CE_full keeps its gradient. detach = false: gradient through both passes.",
        "cases: remask with weight 0.1 for kl-sym, kl-forward, kl-reverse, mse, each with detach false and true; "
        "remask kl-sym weight 0.7 (detach false); remask mse weight 100 with detach false and true (at weight 0.1 "
        "the mse term changes the gradient by only ~2e-5); sft; masked-thought.",
        "sft: loss = CE_full. masked-thought: loss = CE_masked. Both have divergence, weight, detach and d = null "
        "(ce_masked and ce_full are still reported).",
        "grad[name]: d loss / d parameter, flat row-major, parameter names and shapes as in model.safetensors "
        "(see parameters).",
        "Values computed in float64 (model.double(), with rotary cos/sin, RMSNorm and the attention softmax patched to "
        "stay float64; gradients checked by central finite differences); the float32 computation agrees to "
        f"within {TOLERANCE:g} relative (gradients relative to the case's largest |grad|). Floats have 8 significant digits.",
        "per_position: values at each position of S (index = [row, position]) for the remask inputs: ce_masked, "
        "ce_full, kl_forward = KL(p_masked||p_full), kl_reverse = KL(p_full||p_masked), squared_error_sum = "
        "sum_v (p_masked - p_full)^2 (mse D = sum of it / (n*96)). Computed with gradient through both passes; "
        "the values do not depend on detach.",
    ]
    fixture = {
        "source": (f"tools/make_remask_fixture.py; transformers LlamaForCausalLM from {folder.name}/ (float64); "
                   f"inputs from torch.Generator seed {SEED}"),
        "versions": library_versions(),
        "definitions": definitions,
        "model": folder.name,
        "vocab_size": int(model32.config.vocab_size),
        "mask_id": MASK_ID,
        "ignore_index": IGNORE_INDEX,
        "tokens": inputs["tokens"].tolist(),
        "prompt_length": list(PROMPT_LENGTHS),
        "masked_tokens": inputs["masked_tokens"].tolist(),
        "labels": inputs["labels"].tolist(),
        "mask_positions": inputs["mask_positions"],
        "replacement": list(REPLACEMENT),
        "dropped_labels": inputs["dropped_labels"],
        "n_label_positions": n_labels,
        "parameters": [{"name": k, "shape": shapes[k]} for k in names],
        "per_position": per_position(model64, inputs),
        "cases": cases,
    }
    path = out / FIXTURE_FILE
    write_json(path, fixture)
    print(f"float32 vs float64, worst over cases: loss {worst['loss']:.2e}, ce_masked {worst['ce_masked']:.2e}, "
          f"ce_full {worst['ce_full']:.2e}, d {worst['d']:.2e} (relative); grad {worst['grad']:.2e} relative to "
          f"max |grad| (abs {worst['grad_abs']:.2e}), worst single tensor {worst['grad_tensor']:.2e} relative to its "
          f"own max")
    print(f"central finite differences (float64, eps 1e-6, {2 * len(names)} elements per case) vs autograd: "
          f"max abs {worst_fd:.2e}")
    print(f"transformers' own model.double() (float32 rotary, RMSNorm, softmax inside) vs exact float64: "
          f"{worst_hf:.2e} (loss/grad, relative)")
    print(f"{path}: {len(cases)} cases, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
