"""Writes Tests/Fixtures/qwen-tokenizer/: a small byte-level BPE tokenizer laid out as Qwen2/Qwen2.5/Qwen3 ship
theirs (NFC normalizer; Split on Qwen2's pattern, then ByteLevel without its regex; ByteLevel decoder and
post-processor; <|endoftext|>, <|im_start|>, <|im_end|> as added special tokens), trained by Hugging Face
`tokenizers` on a fixed text, and cases.json: strings and the ids `tokenizers` gives them.

Needs only `tokenizers` (pip install tokenizers). Usage: python tools/make_qwen_tokenizer_fixture.py
"""
import json
from pathlib import Path

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

OUT = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "qwen-tokenizer"
PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
           r"|\s+(?!\S)|\s+")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "The café served crème brûlée and naïve coöperation, 12345 times over.",
    "Qwen tokenizes every digit alone: 2024, 3.14159, 1000000.",
    "日本語のテキストと中文文本, 한국어 텍스트.",
    "def f(x):\n    return x ** 2  # square\n",
    "Ça va? Où est la bibliothèque? Ångström, Øre, façade.",
    "I'm sure they'll say we've done it; don't you think?",
] * 20

CASES = [
    "café",                                  # precomposed é
    "cafe\u0301",                            # e + combining acute: NFC makes it é
    "A\u030angstro\u0308m",                  # Å and ö decomposed
    "<|im_start|>user\ncre\u0300me bru\u0302le\u0301e<|im_end|>\n",
    "2024-12-04: 3.14159 and 1000000",
    "日本語 ｱｲｳ ﬁ ①",                          # NFC keeps compatibility forms (no NFKC)
    "don't I'M we'll",
    "\u1100\u1161\u11a8 한",                   # conjoining jamo compose to 각
    "plain ASCII text, nothing to normalize.",
    "e\u0301<|endoftext|>\u0301",
]


def main() -> None:
    tok = Tokenizer(models.BPE(byte_fallback=False, ignore_merges=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer=trainer)
    OUT.mkdir(parents=True, exist_ok=True)
    tok.save(str(OUT / "tokenizer.json"))
    cases = [{"text": text, "ids": tok.encode(text, add_special_tokens=False).ids} for text in CASES]
    fixture = {"source": f"tools/make_qwen_tokenizer_fixture.py; tokenizers {tokenizers.__version__}", "cases": cases}
    (OUT / "cases.json").write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n")
    print(f"{OUT}: vocabulary {tok.get_vocab_size()}, {len(cases)} cases")


if __name__ == "__main__":
    main()
