#!/usr/bin/env python3
"""Writes the SentencePiece-style tokenizer fixtures in Tests/Fixtures/spm-tokenizer/.

1. Trains a tiny SentencePiece BPE model with byte fallback (Llama 2's trainer settings) on a fixed text.
2. Converts it with transformers (`LlamaTokenizer`) and saves `tokenizer.json` + `tokenizer_config.json`.
3. Writes `tokenizer.gguf`: the same vocabulary as llama.cpp's converter stores it (tokens, scores, token
   types, special ids, add_bos/add_eos/add_space_prefix), with a few `llama.*` keys and no tensors.
4. Writes `cases.json`: the fixture strings with transformers' ids from the tokenizer.json and from the
   GGUF (the script stops when those two disagree) and transformers' decode of those ids; and
   `layout_cases.json`: the same with the tokenizer.json's normalizer, pre-tokenizer and decoder replaced by
   the other layouts SentencePiece-style tokenizer.json files use, with the ids `tokenizers` gives.
5. With `--gemma PATH` (Gemma 3 270M GGUF), writes `gemma3_cases.json`: the same strings (and Gemma's chat
   tags, space and newline runs) with the ids transformers gives from that file, and `gemma3_smollm2_ids.json`:
   the ids of each of the 1510 strings of `tokenize_smollm2.json`, in order. Only ids: the model is not
   committed.

    /tmp/fxv/bin/python tools/make_spm_fixture.py --gemma ~/.cache/remask/models/gemma-3-270m-q4_k_m.gguf

Needs sentencepiece, transformers, tokenizers, gguf (and torch for transformers' GGUF loading).
"""

import argparse
import json
import os
import random
import shutil
import tempfile

import gguf
import sentencepiece as spm
import transformers
from tokenizers import Tokenizer
from transformers import AutoTokenizer, LlamaTokenizer

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "spm-tokenizer")

# Fixture strings: ASCII, space runs, leading/trailing spaces, newlines/tabs, digits, accents, CJK, emoji,
# characters only byte fallback can spell, special tokens inside text, the empty string.
CASES = [
    "Hello world",
    "hello world, this is a test.",
    "  two  spaces\nnew line",
    " leading space",
    "trailing space ",
    "   ",
    " ",
    "a\tb\n\nc\r\nd",
    "\n\nline\n",
    "digits 0123456789 and 3.14159, 1,000,000",
    "café naïve résumé Ærøskøbing",
    "中文字符和日本語のテキスト",
    "emoji 😀 👍🏽 👨‍👩‍👧",
    "∮ ☃ 𝔘 ꙮ \u0001\u007f",
    "▁literal▁marks ▁",
    "x" * 40,
    "The quick brown fox jumps over the lazy dog.",
    "",
]
TINY_SPECIAL_CASES = ["<s>hello</s>", "say <s> twice <s>", "<tool>call</tool>", "a<tool>b", "</s> after", "a<unk>b"]
GEMMA_SPECIAL_CASES = [
    "<start_of_turn>user\nhi<end_of_turn>",
    "<bos>text<eos>",
    "x<pad>y<mask>z<unk>",
    "spaces                                  (34 of them)",
    "<table> and \t\t tabs",
    "a" + " " * 40 + "b",
    " " * 70,
    "\n" * 35 + "x",
    "\t" * 5 + "▁ ▁",
]


def _decoder(strip):
    steps = [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]
    return {"type": "Sequence", "decoders": steps + ([{"type": "Strip", "content": " ", "start": 1, "stop": 0}] if strip else [])}


_SPACES = {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}
# The layouts besides transformers' own (Metaspace "first", no split): Llama 2's legacy normalizers, Metaspace
# "always" with split, Metaspace "never" with its own decoder, and Gemma's Replace + Split(" ").
LAYOUTS = {
    "prepend-replace": {"normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, _SPACES]},
                        "pre_tokenizer": None, "decoder": _decoder(True)},
    "metaspace-always-split": {"normalizer": None, "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581",
                                                                     "prepend_scheme": "always", "split": True},
                               "decoder": _decoder(True)},
    "metaspace-never": {"normalizer": None,
                        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": False},
                        "decoder": {"type": "Sequence", "decoders": [
                            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": False},
                            {"type": "ByteFallback"}, {"type": "Fuse"}]}},
    "replace-split": {"normalizer": _SPACES,
                      "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
                      "decoder": _decoder(False)},
}


def write_layout_cases(texts):
    with open(os.path.join(OUT, "tokenizer.json")) as f:
        base = json.load(f)
    out = {}
    for name, layout in LAYOUTS.items():
        if layout["normalizer"] is not None:
            # As in Llama 2's own file: added tokens are matched in the raw text, not in the normalized one.
            layout = dict(layout, added_tokens=[dict(t, normalized=False) for t in base["added_tokens"]])
        tok = Tokenizer.from_str(json.dumps(dict(base, **layout)))
        ids = [tok.encode(t, add_special_tokens=False).ids for t in texts]
        out[name] = {"layout": layout, "cases": [{"text": t, "ids": x, "decoded": tok.decode(x, skip_special_tokens=False)}
                                                 for t, x in zip(texts, ids)]}
    with open(os.path.join(OUT, "layout_cases.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


def training_text():
    rng = random.Random(17)
    words = ("the model learns from its own mistakes when masked tokens are hidden hello world "
             "this is a test quick brown fox jumps over lazy dog line space new spaces leading trailing "
             "café naïve résumé 中文 日本 data token piece byte fallback 0 1 2 3 4 5 6 7 8 9").split()
    lines = []
    for _ in range(3000):
        n = rng.randint(3, 12)
        lines.append(" ".join(rng.choice(words) for _ in range(n)) + rng.choice([".", ",", "", "  ok", "\tend"]))
    return "\n".join(lines)


def train(workdir):
    corpus = os.path.join(workdir, "corpus.txt")
    with open(corpus, "w") as f:
        f.write(training_text())
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=os.path.join(workdir, "tokenizer"), model_type="bpe", vocab_size=420,
        byte_fallback=True, split_digits=True, allow_whitespace_only_pieces=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", character_coverage=0.9995, user_defined_symbols=["<tool>", "</tool>"],
        num_threads=1, seed_sentencepiece_size=10000, minloglevel=2,
    )
    return os.path.join(workdir, "tokenizer.model")


def write_gguf(model_path, path):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    tokens, scores, types = [], [], []
    for i in range(sp.vocab_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(gguf.TokenType.UNKNOWN)
        elif sp.is_control(i):
            types.append(gguf.TokenType.CONTROL)
        elif sp.is_unused(i):
            types.append(gguf.TokenType.UNUSED)
        elif sp.is_byte(i):
            types.append(gguf.TokenType.BYTE)
        elif tokens[-1] in ("<tool>", "</tool>"):
            types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("spm-fixture")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(8)
    w.add_feed_forward_length(16)
    w.add_head_count(2)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(len(tokens))
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_unk_token_id(sp.unk_id())
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def encode_all(tok, texts):
    return [tok.encode(t, add_special_tokens=False) for t in texts]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemma", help="Gemma 3 270M GGUF, for gemma3_cases.json")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    texts = CASES + TINY_SPECIAL_CASES
    with tempfile.TemporaryDirectory() as workdir:
        model_path = train(workdir)
        slow_dir = os.path.join(workdir, "hf")
        os.makedirs(slow_dir)
        shutil.copy(model_path, os.path.join(slow_dir, "tokenizer.model"))
        from_model = LlamaTokenizer.from_pretrained(slow_dir, legacy=False, add_prefix_space=True, add_bos_token=True)
        from_model.add_tokens(["<tool>", "</tool>"])
        from_model.save_pretrained(OUT)
        for name in os.listdir(OUT):
            if name not in ("tokenizer.json", "tokenizer_config.json", "cases.json", "layout_cases.json", "gemma3_cases.json",
                            "gemma3_smollm2_ids.json"):
                os.remove(os.path.join(OUT, name))
        write_gguf(model_path, os.path.join(OUT, "tokenizer.gguf"))

    from_json = AutoTokenizer.from_pretrained(OUT)
    from_gguf = AutoTokenizer.from_pretrained(OUT, gguf_file="tokenizer.gguf")
    json_ids, gguf_ids = encode_all(from_json, texts), encode_all(from_gguf, texts)
    for text, a, b in zip(texts, json_ids, gguf_ids):
        assert a == b, f"{text!r}: tokenizer.json gives {a}, the GGUF gives {b}"
    cases = [{"text": t, "ids": ids, "decoded": from_json.decode(ids)} for t, ids in zip(texts, json_ids)]
    with_special = from_json.encode("Hello world")
    assert with_special == from_gguf.encode("Hello world")
    write_cases(os.path.join(OUT, "cases.json"), cases, {"add_special_hello_world": with_special})
    write_layout_cases(texts)

    if args.gemma:
        folder, name = os.path.split(os.path.abspath(args.gemma))
        gemma = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        texts = CASES + GEMMA_SPECIAL_CASES
        cases = [{"text": t, "ids": ids, "decoded": gemma.decode(ids)} for t, ids in zip(texts, encode_all(gemma, texts))]
        write_cases(os.path.join(OUT, "gemma3_cases.json"), cases, {"add_special_hello_world": gemma.encode("Hello world")})
        write_smollm2_ids(gemma)


def write_smollm2_ids(tokenizer):
    """Ids for every string of tokenize_smollm2.json, one list per line; `decoded` where decode differs."""
    source = os.path.join(OUT, "..", "tokenize_smollm2.json")
    with open(source) as f:
        texts = [c["text"] for c in json.load(f)["cases"]]
    ids = encode_all(tokenizer, texts)
    decoded = {str(i): tokenizer.decode(x) for i, x in enumerate(ids) if tokenizer.decode(x) != texts[i]}
    with open(os.path.join(OUT, "gemma3_smollm2_ids.json"), "w") as f:
        f.write('{\n  "generator": "tools/make_spm_fixture.py, transformers %s",\n' % transformers.__version__)
        f.write('  "texts": "tokenize_smollm2.json",\n')
        f.write(f'  "decoded": {json.dumps(decoded, ensure_ascii=False)},\n')
        f.write('  "ids": [\n' + ",\n".join("    " + json.dumps(x) for x in ids) + "\n  ]\n}\n")


def write_cases(path, cases, extra):
    with open(path, "w") as f:
        f.write('{\n  "generator": "tools/make_spm_fixture.py, transformers %s",\n' % transformers.__version__)
        for key, value in extra.items():
            f.write(f'  "{key}": {json.dumps(value)},\n')
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n  ]\n}\n")


if __name__ == "__main__":
    main()
