"""Writes Tests/Fixtures/npm_contrastive_tiny.json: NPM's span selection and in-batch contrastive loss computed by
an independent PyTorch reference on a tiny random BERT (transformers' BertModel), with the loss and the gradient
of every parameter, for NPMContrastiveReferenceTests.

The spec it follows (Min et al. 2022, as in ../shared/notes/methods.md):
- a phrase is a span of whole words (starts on a word start; the next token starts a word or is [SEP]) of at most
  10 tokens, not made only of function words (here the token ids FUNCTION_WORDS); a span may be masked only if its phrase also occurs (as whole words) in another block of the batch;
- each masked span is replaced by the mask token twice; the encoder reads the masked blocks and the unmasked
  blocks as one batch; queries are the two mask positions' outputs;
- score(q, c) = q.c / sqrt(d) against every token ([CLS]/[SEP] included) of the unmasked *other* blocks;
  positives: the first (start query) or last (end query) token of every occurrence of the phrase in another
  block; L = -logsumexp(positives) + logsumexp(all); loss = mean L over start queries + mean L over end queries.
Which spans to mask is drawn here with Python's own generator (the fixture fixes them; the Swift sampler is
tested for the same rules separately). Computed in float64.

Run: python3 tools/make_npm_fixture.py  (needs torch and transformers)
"""
import json, math, random
import torch
from transformers import BertConfig, BertModel

PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
CONTINUATION = set(range(25, 32))  # "##" pieces
FUNCTION_WORDS = {9, 13}  # tokens that make no phrase alone (like "the" or ".")
CONTENT = [
    [5, 6, 25, 7, 8, 9, 10, 26, 11],
    [12, 6, 25, 7, 13, 9, 10, 26, 14],
    [5, 15, 8, 9, 16, 6, 25, 7, 17, 18],
    [19, 20, 11, 21, 13, 9, 10, 26, 22],
]
MAX_LEN = 10

blocks = [[CLS] + c + [SEP] for c in CONTENT]
starts_word = [[t not in CONTINUATION for t in b] for b in blocks]


def whole_words(b, start, length):
    end = start + length
    content_end = len(blocks[b]) - 1
    return (length >= 1 and start >= 1 and end <= content_end and starts_word[b][start] and (end == content_end or starts_word[b][end])
            and any(t not in FUNCTION_WORDS for t in blocks[b][start:end]))


occurrences = {}
for b in range(len(blocks)):
    for s in range(1, len(blocks[b]) - 1):
        for n in range(1, MAX_LEN + 1):
            if whole_words(b, s, n):
                occurrences.setdefault(tuple(blocks[b][s:s + n]), []).append((b, s))

eligible = []
for b in range(len(blocks)):
    spans = []
    for s in range(1, len(blocks[b]) - 1):
        for n in range(1, MAX_LEN + 1):
            if whole_words(b, s, n) and any(ob != b for ob, _ in occurrences[tuple(blocks[b][s:s + n])]):
                spans.append([s, n])
    eligible.append(spans)

rng = random.Random(1234)
chosen = []
for b, spans in enumerate(eligible):
    budget = max(2, round(0.35 * (len(blocks[b]) - 2)))
    order = spans[:]
    rng.shuffle(order)
    taken, masked, blocked = [], 0, set()
    for s, n in order:
        if masked + n > budget or any(p in blocked for p in range(s, s + n)):
            continue
        taken.append([s, n]); masked += n
        blocked.update(range(s - 1, s + n + 1))
    chosen.append(sorted(taken))

# Masked rows, queries and positives.
cand_base = [0]
for b in blocks:
    cand_base.append(cand_base[-1] + len(b))
masked_rows, places = [], []
for b, spans in enumerate(chosen):
    row, cursor, pl = [], 0, []
    for s, n in spans:
        row += blocks[b][cursor:s]
        pl.append((len(row), s, n))
        row += [MASK, MASK]
        cursor = s + n
    row += blocks[b][cursor:]
    masked_rows.append(row); places.append(pl)
length = max(max(map(len, masked_rows)), max(map(len, blocks)))
starts, ends = [], []
for b, pl in enumerate(places):
    for pos, s, n in pl:
        others = [(ob, os) for ob, os in occurrences[tuple(blocks[b][s:s + n])] if ob != b]
        starts.append((b * length + pos, b, [cand_base[ob] + os for ob, os in others]))
        ends.append((b * length + pos + 1, b, [cand_base[ob] + os + n - 1 for ob, os in others]))
queries = starts + ends
B = len(blocks)
rows = masked_rows + blocks
ids = [r + [PAD] * (length - len(r)) for r in rows]
lengths = [len(r) for r in rows]
candidate_rows = [(B + b) * length + p for b in range(B) for p in range(len(blocks[b]))]
candidate_block = [b for b in range(B) for _ in blocks[b]]

torch.manual_seed(0)
config = BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
                    max_position_embeddings=32, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, attn_implementation="eager")
model = BertModel(config, add_pooling_layer=False).double()
with torch.no_grad():  # larger-than-default weights so the scores spread
    for name, p in model.named_parameters():
        if "LayerNorm" in name:
            p.copy_(1 + 0.1 * torch.randn_like(p) if name.endswith("weight") else 0.1 * torch.randn_like(p))
        else:
            p.copy_(0.3 * torch.randn_like(p))
model.eval()
input_ids = torch.tensor(ids)
attention = torch.tensor([[1] * n + [0] * (length - n) for n in lengths])
hidden = model(input_ids=input_ids, attention_mask=attention).last_hidden_state.reshape(-1, config.hidden_size)
q = hidden[[r for r, _, _ in queries]]
c = hidden[candidate_rows]
scores = q @ c.T / math.sqrt(config.hidden_size)
losses = []
for i, (_, b, pos) in enumerate(queries):
    allowed = torch.tensor([cb != b for cb in candidate_block])
    lse_all = torch.logsumexp(scores[i][allowed], 0)
    lse_pos = torch.logsumexp(scores[i][pos], 0)
    losses.append(lse_all - lse_pos)
ns = len(starts)
loss_start = torch.stack(losses[:ns]).mean()
loss_end = torch.stack(losses[ns:]).mean()
loss = loss_start + loss_end
loss.backward()

fixture = {
    "generator": "tools/make_npm_fixture.py",
    "config": {"vocab_size": 32, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
               "intermediate_size": 16, "max_position_embeddings": 32, "type_vocab_size": 2, "layer_norm_eps": 1e-12},
    "mask_id": MASK, "pad_id": PAD, "max_span_length": MAX_LEN, "function_words": sorted(FUNCTION_WORDS),
    "blocks": blocks, "starts_word": starts_word,
    "eligible": eligible, "spans": chosen,
    "length": length, "ids": ids, "lengths": lengths,
    "query_rows": [r for r, _, _ in queries], "query_block": [b for _, b, _ in queries],
    "positives": [p for _, _, p in queries], "start_queries": ns,
    "candidate_rows": candidate_rows, "candidate_block": candidate_block,
    "loss": loss.item(), "loss_start": loss_start.item(), "loss_end": loss_end.item(),
    "weights": {n: p.detach().flatten().tolist() for n, p in model.named_parameters()},
    "gradients": {n: p.grad.flatten().tolist() for n, p in model.named_parameters()},
}
with open("Tests/Fixtures/npm_contrastive_tiny.json", "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(f"loss {loss.item():.6f} (start {loss_start.item():.6f}, end {loss_end.item():.6f}); "
      f"{len(queries)} queries, spans {chosen}")
