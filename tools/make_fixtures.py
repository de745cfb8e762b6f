#!/usr/bin/env python3
"""Write remask's golden test fixtures with the reference implementation (transformers + torch + gguf).

Developers run this by hand when a fixture has to change; CI never runs it (CI has no torch and no model
file). The Swift tests only read the files it writes under `Tests/Fixtures/`:

  smollm2-tokenizer/          the SmolLM2 tokenizer as `tokenizer.save_pretrained` writes it
  tokenize_smollm2.json       ~1300 strings and their token ids
  logprobs_smollm2.json       per-token log-probabilities, top-10 next tokens and a 64-token greedy run
  tiny-llama/                 tiny random Llama (safetensors + config.json) and its logprobs.json
  tiny-stablelm/              tiny random StableLM (qkv bias, partial rotary)
  tiny-stablelm-qknorm/       tiny random StableLM (per-head q/k LayerNorm, no qkv bias)
  README.md                   what each file is and how it was made

Usage:

  python3 tools/make_fixtures.py [--gguf PATH] [--out Tests/Fixtures]
  python3 tools/make_fixtures.py --check-export DIR     # compare a safetensors export against the fixture

Everything is float32 on the CPU, in eval mode, with fixed seeds and deterministic algorithms, so a rerun
with the same library versions writes byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import inspect
import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path

DEFAULT_GGUF = "~/.cache/remask/models/SmolLM2-135M-Instruct.Q4_1.gguf"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "Tests" / "Fixtures"   # shown as Tests/Fixtures; independent of the working directory
SEED = 20240607          # one seed for everything random in this script
TOKENIZE_SEED = SEED     # the generated tokenizer strings
N_TOKENIZE_MIN = 1100    # the tokenizer fixture must have at least this many cases
GREEDY_TOKENS = 64

# Folders and files this script owns under --out (and may delete before rewriting).
TOKENIZER_DIR = "smollm2-tokenizer"
TOKENIZE_FILE = "tokenize_smollm2.json"
LOGPROBS_FILE = "logprobs_smollm2.json"
TINY_DIRS = ("tiny-llama", "tiny-stablelm", "tiny-stablelm-qknorm", "tiny-qwen2", "tiny-qwen3", "tiny-llama31", "tiny-gemma3",
             "tiny-phi3", "tiny-llama-spm")
# Tiny models that carry a tokenizer: the folder it is copied from (tools/make_spm_fixture.py writes it).
TINY_TOKENIZERS = {"tiny-llama-spm": "spm-tokenizer"}

# The imports below are slow; they happen once, in main(), after argparse has had its say.
torch = None
transformers = None


def import_libraries(threads: int) -> None:
    """Import torch/transformers, keep them quiet, and make torch deterministic and single-threaded."""
    global torch, transformers
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # the GGUF dequantization progress bar
    import torch as _torch
    import transformers as _transformers

    torch, transformers = _torch, _transformers
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)


def library_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "gguf", "tokenizers", "safetensors", "numpy"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# ----------------------------------------------------------------------------------------------------------
# JSON output
# ----------------------------------------------------------------------------------------------------------

def r6(x) -> float:
    """A float rounded to 6 decimals (no negative zero, so reruns diff cleanly)."""
    v = round(float(x), 6)
    return 0.0 if v == 0 else v


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def write_json(path: Path, obj: dict) -> None:
    """A top-level object with one key per line; lists of objects/lists get one element per line.

    Compact, but a changed case shows up as a one-line diff.
    """
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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------------------
# SmolLM2 from the GGUF file
# ----------------------------------------------------------------------------------------------------------

def gguf_metadata(gguf_path: Path) -> dict:
    """The scalar tokenizer/model keys of the GGUF header that matter to the fixtures."""
    import gguf

    reader = gguf.GGUFReader(str(gguf_path))
    wanted = (
        "general.architecture", "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.add_bos_token",
        "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_space_prefix", "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
        "tokenizer.chat_template", "llama.rope.freq_base", "llama.context_length",
    )
    meta = {}
    for key in wanted:
        field = reader.fields.get(key)
        if field is not None:
            value = field.contents()
            meta[key] = value.item() if hasattr(value, "item") else value
    return meta


def patch_pretokenizer(tokenizer, meta: dict) -> str | None:
    """Give the tokenizer SmolLM2's real pre-tokenizer; returns a note on what was changed, or None.

    transformers builds a GGUF "gpt2" tokenizer with a plain ByteLevel (GPT-2 regex) pre-tokenizer and has no
    entry for `tokenizer.ggml.pre = "smollm"`. SmolLM2's own tokenizer.json (and llama.cpp's "smollm"
    pre-tokenizer: `\\p{N}` isolated, then the GPT-2 pattern) first splits every digit off on its own. The
    vocabulary has no multi-digit tokens, so the two only differ where whitespace runs into a number character
    (any \\p{N}, "½" and "Ⅻ" included): "  42" is [256 'ĠĠ', 36, 34] with digits split first but
    [216 'Ġ', 216 'Ġ', 36, 34] without. (llama.cpp's pattern was checked in its source; the hub tokenizer.json,
    as far as we know, has the same Sequence[Digits, ByteLevel] but was not at hand when this was written.)
    """
    from tokenizers import pre_tokenizers

    backend = tokenizer.backend_tokenizer
    current = json.loads(backend.to_str())["pre_tokenizer"]
    if meta.get("tokenizer.ggml.pre") != "smollm" or current.get("type") != "ByteLevel":
        return None
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    return ("tokenizer.ggml.pre is 'smollm' but transformers built a plain ByteLevel pre-tokenizer; replaced it "
            "with Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)] as "
            "in SmolLM2's tokenizer.json and llama.cpp (digits split off before the GPT-2 pattern)")


def load_smollm2(gguf_path: Path, want_model: bool = True):
    """(tokenizer, unpatched_tokenizer, model or None, metadata, patch note) from the GGUF file."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    meta = gguf_metadata(gguf_path)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    unpatched = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    note = patch_pretokenizer(tokenizer, meta)
    model = None
    if want_model:
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        model.eval()
        for p in model.parameters():  # the quantizer path must have left plain float32 tensors
            assert p.dtype == torch.float32, p.dtype
    return tokenizer, unpatched, model, meta, note


# ----------------------------------------------------------------------------------------------------------
# 1. tokenizer folder
# ----------------------------------------------------------------------------------------------------------

def write_tokenizer_folder(tokenizer, out: Path) -> list[str]:
    folder = out / TOKENIZER_DIR
    if folder.exists():
        shutil.rmtree(folder)
    tokenizer.save_pretrained(str(folder))
    return sorted(p.name for p in folder.iterdir())


# ----------------------------------------------------------------------------------------------------------
# 2. tokenizer cases
# ----------------------------------------------------------------------------------------------------------

PROSE = [
    "The quick brown fox jumps over the lazy dog.",
    "It was the best of times, it was the worst of times.",
    "Machine learning models are trained on large amounts of data.",
    "She sells seashells by the seashore.",
    "A journey of a thousand miles begins with a single step.",
    "Please remember to submit your report before Friday afternoon.",
    "The mitochondria is the powerhouse of the cell.",
    "Photosynthesis converts light energy into chemical energy.",
    "In 1969, astronauts landed on the Moon for the first time.",
    "Can you explain how a transformer network processes a sentence?",
    "Tokenization splits text into smaller units called tokens.",
    "Water boils at one hundred degrees Celsius at sea level.",
    "The committee postponed its decision until further notice.",
    "Gradient descent updates the weights in the direction of steepest descent.",
    "My favourite colour is blue, but my sister prefers green.",
    "Supercalifragilisticexpialidocious is a very long word.",
    "Antidisestablishmentarianism rarely comes up in conversation.",
    "The library opens at nine and closes at five on weekdays.",
    "Once upon a time, in a land far, far away, there lived a dragon.",
    "He said, \"I don't know what you mean.\"",
    "Rain is expected tomorrow; bring an umbrella!",
    "Why do cats always land on their feet?",
    "Fine-tuning adapts a pretrained model to a downstream task.",
    "The stock market closed higher after a volatile session.",
    "Reading books improves vocabulary and concentration.",
    "Our team won the championship for the third year in a row.",
    "The recipe calls for two cups of flour and a pinch of salt.",
    "Light travels faster than sound.",
    "Hello, world!",
    "Good morning, how are you doing today?",
    "The DNA double helix was described by Watson and Crick.",
    "Neural networks approximate functions with layers of weights.",
    "Don't count your chickens before they hatch.",
    "The train to Boston departs from platform seven.",
    "Attention is all you need.",
    "This sentence has trailing punctuation...",
    "URLs like https://example.com/path?query=1&x=y#frag appear in text.",
    "Email me at first.last+tag@example.org if anything breaks.",
    "camelCase, snake_case, kebab-case and SCREAMING_SNAKE_CASE.",
    "Mr. and Mrs. Smith arrived at 10 a.m. on Jan. 5th.",
]

CODE = [
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n\tif i % 2 == 0:\n\t\tprint(i)\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
    "import numpy as np\nx = np.zeros((3, 4), dtype=np.float32)\nprint(x.shape)\n",
    "    # indented comment\n    pass\n",
    "func greet(_ name: String) -> String {\n    return \"Hello, \\(name)!\"\n}\n",
    "struct Tensor {\n\tvar shape: [Int]\n\tvar storage: [Float]\n}\n",
    "let xs = [1, 2, 3].map { $0 * 2 }.filter { $0 > 2 }\n",
    "guard let value = optional else { fatalError(\"nil\") }",
    "{\"name\": \"remask\", \"version\": 1, \"tags\": [\"llm\", \"cpu\"]}",
    "{\n  \"a\": 1,\n  \"b\": [true, false, null],\n  \"c\": {\"d\": -2.5e-3}\n}\n",
    "#include <stdio.h>\nint main(void) {\n    printf(\"%d\\n\", 42);\n    return 0;\n}\n",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "if [ -f \"$HOME/.bashrc\" ]; then\n  source \"$HOME/.bashrc\"\nfi\n",
    "x = [i**2 for i in range(100) if i % 3 == 0]",
    "const f = (a, b) => { return a !== b && a >= 0; };",
    "<div class=\"box\"><p>Hello &amp; welcome</p></div>",
    "    \n\n    return None\n",
    "lambda x: x[::-1]  # reverse",
    "assert torch.allclose(a, b, atol=1e-5), f\"max diff {(a - b).abs().max()}\"",
    "switch op {\ncase .add: return lhs + rhs\ncase .mul: return lhs * rhs\n}",
    "@inlinable public func softmax(_ x: [Float]) -> [Float] { x }",
    "matrix[i][j] += alpha * a[i][k] * b[k][j];",
    "print('tabs\\tand\\nnewlines')",
    "\t\tdeeply\t\tindented\ttabs\n",
]

NUMBERS_FIXED = [
    "123456789", "3.14159", "-42", "1,000,000", "2024-01-05", "12/31/1999", "05.06.2023", "10:45:30",
    "0", "00", "007", "1e10", "6.022e23", "-0.0001", "+1 (555) 123-4567", "0xDEADBEEF", "0b1011", "1_000_000",
    "99.99%", "$1,234.56", "€12,50", "£3", "¥1000", "50°C", "3/4", "1/2 cup", "v1.2.3", "IPv4 192.168.0.1",
    "2^10 = 1024", "√2 ≈ 1.41421356", "π ≈ 3.14159265358979", "12345678901234567890", "1.", ".5", "-.5",
    "Q3 2023", "A4", "x2", "2x", "COVID-19", "route 66", "the 1990s", "4th of July", "21st century",
    "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "１２３４５", "²³¹", "½ ¼ ¾", "Ⅻ Ⅳ", "①②③",
]

WHITESPACE_PIECES = [" ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r", " \n", "\n ", "\u00a0",
                     "\u3000", "\u2009", "\f", "\v"]

MULTISCRIPT = {
    "zh": ["你好，世界！", "机器学习是人工智能的一个分支。", "今天天气很好。", "我喜欢读书和写字。", "北京是中国的首都。"],
    "ja": ["こんにちは、世界！", "東京は日本の首都です。", "カタカナとひらがな", "今日はいい天気ですね。", "ラーメンを食べたい。"],
    "ko": ["안녕하세요, 세계!", "한국어는 재미있어요.", "서울은 대한민국의 수도입니다.", "감사합니다"],
    "ar": ["مرحبا بالعالم", "اللغة العربية جميلة.", "القاهرة عاصمة مصر.", "شكرا جزيلا"],
    "he": ["שלום עולם", "ירושלים היא עיר עתיקה.", "תודה רבה"],
    "ru": ["Привет, мир!", "Москва — столица России.", "Машинное обучение интересно.", "Спасибо большое"],
    "el": ["Γειά σου Κόσμε!", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.", "αβγδεζηθ ΑΒΓΔΕΖΗΘ"],
    "hi": ["नमस्ते दुनिया", "भारत एक विशाल देश है।", "धन्यवाद"],
    "th": ["สวัสดีชาวโลก", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ", "ขอบคุณครับ"],
}

ACCENTED = ["café", "naïve", "résumé", "Ångström", "façade", "Straße", "Łódź", "İstanbul", "São Paulo", "Zürich",
            "Crème brûlée", "piñata", "jalapeño", "Dvořák", "Škoda", "Ærøskøbing", "coöperate", "Ñandú", "Þór",
            "Đà Nẵng", "Tiếng Việt", "Kraków", "Göteborg", "Reykjavík", "ÉCOLE", "Œuvre", "ﬁnance", "e\u0301",
            "A\u030a", "n\u0303o"]

EMOJI = ["😀", "😂", "👍", "👍🏽", "❤️", "🔥", "🚀", "🇺🇸", "🇯🇵", "🇫🇷", "🏳️‍🌈", "👨‍👩‍👧‍👦", "👩‍💻", "🧑🏿‍🚀",
         "1️⃣", "#️⃣", "☺", "✔️", "🤖", "🦀", "🐍", "🍕", "🎉", "💯", "🙏", "👀", "🤷‍♂️", "🫠", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "©️", "™"]

PUNCT_CHARS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…—–«»“”‘’¿¡·•§¶†‡※"
PUNCT_FIXED = ["...", "!!!", "???", "?!", "!?", "---", "===", "```", "~~~", "***", "(((", ")))", "[[]]", "{{}}",
               "<<>>", "->", "=>", "::", "//", "/* */", "<!-- -->", "&&", "||", "!=", "==", "<=", ">=", "@@",
               "##", "$$", "%%", "^^", "__init__", "\"\"", "''", "``", "…", "—", "„“", "«»", "¡¿", "。、", "！？"]

CONTRACTION_TEMPLATES = [
    "it{c} fine", "they{c} here", "we{c} done", "I{c} go", "you{c} see", "she{c} left", "don{c}", "John{c} car",
    "{c}", "x{c}y", "can{c} stop", "We{c} have", "HE{c}", "rock 'n' roll", "'tis the season", "O'Brien",
    "the '90s", "'quoted'", "it''s", "y'all'd've",
]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "’s", "’t",
                "’re", "'Re", "'lL"]

SPECIAL_CASES = [
    "<|im_start|>user\nhi<|im_end|>\n",
    "<|im_start|>assistant\n",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n",
    "<|endoftext|>", "Hello<|endoftext|>World", "end of document.<|endoftext|>", "<|endoftext|><|endoftext|>",
    " <|endoftext|> ", "\n<|endoftext|>\n", "<|im_end|>", "<|im_start|>", "<|im_start|><|im_end|>",
    "text<|im_start|>more", "<|im_start", "im_start|>", "<|im_start |>", "< |im_start|>", "<|IM_START|>",
    "<|endoftext", "<|endoftext|", "<|>", "<||>", "<|unknown|>", "<filename>main.py<file_sep>",
    "<repo_name>remask<file_sep>", "<gh_stars>100", "<jupyter_code>print(1)", "<issue_start>bug<issue_comment>",
    "x <|im_end|>y", "  <|im_start|>  ", "<|im_start|>user\n\n\n<|im_end|>",
]


def random_text_from(rng: random.Random, pieces: list[str], n: int, sep: str = " ") -> str:
    return sep.join(rng.choice(pieces) for _ in range(n))


def random_scalar(rng: random.Random) -> str:
    """One random Unicode scalar value (never a surrogate), drawn from ranges that stress a tokenizer."""
    ranges = [
        (0x20, 0x7E), (0x20, 0x7E), (0x00, 0x1F), (0x7F, 0x9F), (0xA0, 0xFF), (0x100, 0x24F), (0x300, 0x36F),
        (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F),
        (0x1100, 0x11FF), (0x2000, 0x206F), (0x2190, 0x23FF), (0x3040, 0x30FF), (0x4E00, 0x9FFF),
        (0xAC00, 0xD7A3), (0xE000, 0xF8FF), (0xFE00, 0xFE0F), (0xFF00, 0xFFEF), (0xFFF0, 0xFFFF),
        (0x1F300, 0x1FAFF), (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0xE0000, 0xE007F), (0x10FFF0, 0x10FFFF),
    ]
    lo, hi = rng.choice(ranges)
    return chr(rng.randint(lo, hi))


def make_tokenize_texts() -> list[tuple[str, str]]:
    """(category, text) pairs, deterministic for a given TOKENIZE_SEED; duplicates removed (first kept)."""
    rng = random.Random(TOKENIZE_SEED)
    cases: list[tuple[str, str]] = []

    def add(category: str, text: str) -> None:
        cases.append((category, text))

    # Edge cases and single characters.
    add("empty", "")
    for c in (chr(i) for i in range(0x20, 0x7F)):
        add("single", c)
    for c in (chr(i) for i in list(range(0x00, 0x20)) + [0x7F, 0x80, 0x85, 0x9F]):  # controls, some without a token
        add("single", c)
    for c in ["é", "ß", "中", "あ", "한", "ا", "א", "я", "Ω", "क", "ก", "€", "😀",
              "\u200d", "\ufeff", "\u00ad", "\ufffd", "\U0010ffff", "\u0301", "\u2028"]:
        add("single", c)

    # English prose, with case changes and joined sentences.
    for s in PROSE:
        add("prose", s)
    for _ in range(110):
        s = " ".join(rng.sample(PROSE, rng.randint(1, 3)))
        style = rng.randrange(5)
        if style == 1:
            s = s.upper()
        elif style == 2:
            s = s.lower()
        elif style == 3:
            s = s.title()
        add("prose", s)

    # Code: the snippets, re-indented with tabs or 2/4/8 spaces, and random multi-snippet files.
    for s in CODE:
        add("code", s)
    for _ in range(100):
        s = rng.choice(CODE)
        indent = rng.choice(["\t", "  ", "    ", "        ", " \t"])
        s = "\n".join(indent * rng.randint(0, 3) + line.lstrip(" \t") for line in s.split("\n"))
        if rng.random() < 0.3:
            s += "\n" + rng.choice(CODE)
        if rng.random() < 0.2:
            s = s.replace("\n", "\r\n")
        add("code", s)

    # Numbers: fixed list, then random integers, decimals, signed values, thousands separators, dates, times.
    for s in NUMBERS_FIXED:
        add("numbers", s)
    for _ in range(120):
        kind = rng.randrange(8)
        if kind == 0:
            s = str(rng.randint(0, 10 ** rng.randint(1, 15)))
        elif kind == 1:
            s = f"{rng.uniform(-1000, 1000):.{rng.randint(1, 8)}f}"
        elif kind == 2:
            s = f"{rng.randint(0, 10**9):,}"
        elif kind == 3:
            s = f"{rng.randint(1900, 2099)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif kind == 4:
            s = f"{rng.randint(0, 23)}:{rng.randint(0, 59):02d}"
        elif kind == 5:
            s = f"{rng.choice(['He paid', 'Total:', 'about', 'x ='])} {rng.choice(['', ' ', '  ', '$', '-'])}" \
                f"{rng.randint(0, 99999)}{rng.choice(['', '.', '.5', ' dollars', '%', 'km', ' apples'])}"
        elif kind == 6:
            s = f"{rng.uniform(1e-9, 1e9):.{rng.randint(1, 6)}e}"
        else:
            s = rng.choice(["", " ", "  ", "\n", "\t"]).join(str(rng.randint(0, 999)) for _ in range(rng.randint(2, 6)))
        add("numbers", s)

    # Whitespace runs between words, leading and trailing.
    words = "the cat sat on a mat 42 x = ( ) ; hello world 3 7 def return".split()
    for w in WHITESPACE_PIECES:
        add("whitespace", w)
        add("whitespace", "a" + w + "b")
        add("whitespace", w + "1")
    for _ in range(100):
        parts = []
        for _ in range(rng.randint(1, 6)):
            parts.append(rng.choice(WHITESPACE_PIECES) * rng.randint(1, 3))
            parts.append(rng.choice(words))
        if rng.random() < 0.5:
            parts.append(rng.choice(WHITESPACE_PIECES) * rng.randint(1, 4))
        add("whitespace", "".join(parts))

    # Several scripts, alone and mixed with English and digits.
    for lang in MULTISCRIPT:
        for s in MULTISCRIPT[lang]:
            add(f"unicode-{lang}", s)
    langs = list(MULTISCRIPT)
    for _ in range(110):
        lang = rng.choice(langs)
        s = rng.choice(MULTISCRIPT[lang])
        mix = rng.randrange(4)
        if mix == 1:
            s = f"{rng.choice(PROSE)} {s}"
        elif mix == 2:
            s = f"{s} {rng.randint(0, 2024)} {rng.choice(MULTISCRIPT[rng.choice(langs)])}"
        elif mix == 3:
            s = s + rng.choice(["", " ", "\n", "!"]) + rng.choice(EMOJI)
        add(f"unicode-{lang}", s)

    # Accented Latin, precomposed and combining.
    for s in ACCENTED:
        add("accented", s)
    for _ in range(40):
        add("accented", random_text_from(rng, ACCENTED, rng.randint(2, 5), rng.choice([" ", ", ", "-", ""])))

    # Emoji: single, repeated, ZWJ sequences, flags, in sentences.
    for s in EMOJI:
        add("emoji", s)
    for _ in range(60):
        n = rng.randint(1, 5)
        seq = random_text_from(rng, EMOJI, n, rng.choice(["", "", " ", "\u200d"]))
        if rng.random() < 0.5:
            seq = f"{rng.choice(PROSE)} {seq}"
        add("emoji", seq)

    # Punctuation runs.
    for s in PUNCT_FIXED:
        add("punctuation", s)
    for _ in range(70):
        run = "".join(rng.choice(PUNCT_CHARS) for _ in range(rng.randint(1, 12)))
        if rng.random() < 0.4:
            run = f"{rng.choice(words)}{run}{rng.choice(['', ' ', ' ' + rng.choice(words)])}"
        add("punctuation", run)

    # Contractions, in every case variant the GPT-2 pattern cares about.
    for t in CONTRACTION_TEMPLATES:
        add("contractions", t.format(c=rng.choice(CONTRACTIONS)))
    for c in CONTRACTIONS:
        add("contractions", f"It{c} what we{c} do")
        add("contractions", f"WE{c.upper()} DONE{c}")
    for _ in range(40):
        t = rng.choice(CONTRACTION_TEMPLATES)
        s = t.format(c=rng.choice(CONTRACTIONS))
        add("contractions", s.upper() if rng.random() < 0.3 else s)

    # Special tokens inside text.
    for s in SPECIAL_CASES:
        add("special", s)
    specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<filename>", "<file_sep>"]
    for _ in range(40):
        parts = [rng.choice(PROSE + CODE[:5] + ["", " ", "\n", "user\n", "assistant\n"]) for _ in range(3)]
        s = rng.choice(specials).join(parts)
        add("special", s)

    # Random "garbage" made of valid UTF-8 (any scalar except surrogates), short and long.
    for _ in range(150):
        add("random-utf8", "".join(random_scalar(rng) for _ in range(rng.randint(1, 40))))
    # Random printable ASCII soup.
    for _ in range(60):
        add("random-ascii", "".join(chr(rng.randint(0x20, 0x7E)) for _ in range(rng.randint(1, 60))))
    # Characters whose UTF-8 bytes have no token (see bytes_without_token): the byte is dropped, silently.
    for s in ["a\x04b", "x\x16\x1dy", "\x13\x14", "end\x06", "\U00050000", "\U00090000", "a\U0004ffffb",
              "\U000bfffd z", "Hi \U00054321 there"]:
        add("missing-bytes", s)

    # Longer mixed documents.
    pools = [PROSE, CODE, NUMBERS_FIXED, EMOJI, ACCENTED, PUNCT_FIXED] + list(MULTISCRIPT.values())
    for _ in range(40):
        pieces = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(4, 12))]
        add("document", "".join(p + rng.choice(WHITESPACE_PIECES) for p in pieces))

    seen: dict[str, None] = {}
    unique = []
    for category, text in cases:
        if text not in seen:
            seen[text] = None
            unique.append((category, text))
    return unique


def bytes_without_token(tokenizer) -> list[int]:
    """Bytes whose byte-level symbol is not in the vocabulary. There is no byte fallback and no unknown token,
    so the tokenizer drops such a byte without a trace (and decode cannot give the text back)."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = tokenizer.get_vocab()
    return [b for b, symbol in sorted(bytes_to_unicode().items()) if symbol not in vocab]


def write_tokenize_fixture(tokenizer, unpatched, meta: dict, note: str | None, out: Path, versions: dict,
                           gguf_name: str) -> dict:
    texts = make_tokenize_texts()
    missing = bytes_without_token(tokenizer)
    assert len(texts) >= N_TOKENIZE_MIN, f"only {len(texts)} tokenizer cases"
    cases, differ_unpatched, decode_differs, with_special = [], [], 0, 0
    special_ids = {i for i, t in tokenizer.added_tokens_decoder.items() if t.special}
    for category, text in texts:
        ids = tokenizer.encode(text, add_special_tokens=False)
        # The GGUF says add_bos_token = false, so adding special tokens must change nothing.
        assert tokenizer.encode(text, add_special_tokens=True) == ids, text
        assert all(isinstance(i, int) for i in ids)
        case = {"category": category, "text": text, "ids": ids}
        decoded = tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if decoded != text:
            case["decoded"] = decoded
            decode_differs += 1
        with_special += any(i in special_ids for i in ids)
        raw = unpatched.encode(text, add_special_tokens=False)
        if raw != ids:
            differ_unpatched.append({"text": text, "ids": ids, "transformers_gguf_ids": raw})
        cases.append(case)

    source = (
        f"tools/make_fixtures.py; transformers {versions['transformers']} AutoTokenizer.from_pretrained(dir, "
        f"gguf_file='{gguf_name}'); ids = tokenizer.encode(text, add_special_tokens=False), identical to "
        f"add_special_tokens=True because the GGUF has add_bos_token={meta.get('tokenizer.ggml.add_bos_token')} "
        f"(no BOS/EOS is added); special tokens written in the text (e.g. <|im_start|>, <|endoftext|>) are "
        f"matched and become their ids; 'decoded' = tokenizer.decode(ids, skip_special_tokens=False, "
        f"clean_up_tokenization_spaces=False), present only where it differs from text. "
        + (f"Pre-tokenizer: {note}." if note else "Pre-tokenizer as transformers built it.")
    )
    fixture = {
        "source": source,
        "tokenizer": {
            "gguf_file": gguf_name,
            "tokenizer.ggml.model": meta.get("tokenizer.ggml.model"),
            "tokenizer.ggml.pre": meta.get("tokenizer.ggml.pre"),
            "add_bos_token": meta.get("tokenizer.ggml.add_bos_token"),
            "bos_token_id": meta.get("tokenizer.ggml.bos_token_id"),
            "eos_token_id": meta.get("tokenizer.ggml.eos_token_id"),
            "unknown_token_id": meta.get("tokenizer.ggml.unknown_token_id"),
            "padding_token_id": meta.get("tokenizer.ggml.padding_token_id"),
            "vocab_size": len(tokenizer),
            "bytes_without_token": missing,
            "versions": versions,
            "seed": TOKENIZE_SEED,
        },
        # Where transformers' own GGUF conversion (no digit split) gives other ids; for information only.
        "unpatched_transformers_differences": differ_unpatched[:20],
        "unpatched_transformers_difference_count": len(differ_unpatched),
        "cases": cases,
    }
    write_json(out / TOKENIZE_FILE, fixture)

    # The saved tokenizer.json must reproduce every case on its own (this is what the Swift side loads).
    from transformers import AutoTokenizer

    reloaded = AutoTokenizer.from_pretrained(str(out / TOKENIZER_DIR))
    mismatches = [c["text"] for c in cases if reloaded.encode(c["text"], add_special_tokens=False) != c["ids"]]
    assert not mismatches, f"saved tokenizer.json disagrees on {len(mismatches)} cases, e.g. {mismatches[:3]!r}"
    return {"cases": len(cases), "decode_differs": decode_differs, "with_special_ids": with_special,
            "unpatched_differs": len(differ_unpatched), "bytes_without_token": missing,
            "tokens": sum(len(c["ids"]) for c in cases)}


# ----------------------------------------------------------------------------------------------------------
# 3. SmolLM2 log-probabilities and greedy continuation
# ----------------------------------------------------------------------------------------------------------

def logits_for(model, ids: list[int]):
    """[len(ids), vocab] float32 logits for one sequence, full recompute, no cache."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids], dtype=torch.long), use_cache=False)
    return out.logits[0].float()


def token_logprobs(logits, ids: list[int]) -> list[float | None]:
    """[None, log p(ids[1] | ids[:1]), ...] from log_softmax over the vocabulary."""
    lp = torch.log_softmax(logits.double(), dim=-1)
    return [None] + [lp[i - 1, ids[i]].item() for i in range(1, len(ids))]


def smollm2_prompts(tokenizer) -> list[tuple[str, str]]:
    chat = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}], tokenize=False, add_generation_prompt=True)
    return [
        ("english", "The quick brown fox jumps over the lazy dog because it was in a hurry to get home."),
        ("chat", chat),
        ("code", "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n"),
        ("gsm8k", "Question: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips "
                  "in May. How many clips did Natalia sell altogether in April and May?\nAnswer:"),
        ("numbers", "In 2023, the company shipped 1,250,000 units at $19.99 each, up 12.5% from 2022."),
        ("unicode", "Café au lait costs 3,50 € in Paris — 東京ではコーヒーが高い. Привет! 😀"),
    ]


def greedy_continuation(model, prompt_ids: list[int], n: int) -> tuple[list[int], list[float]]:
    """Exact argmax continuation: a full forward pass per step (no KV cache), no stopping at EOS.

    Returns the new ids and, per step, the gap between the best and second-best logit, so a test can tell a
    real mismatch from a near tie.
    """
    ids = list(prompt_ids)
    new, gaps = [], []
    for _ in range(n):
        last = logits_for(model, ids)[-1]
        top2 = torch.topk(last, 2)
        nxt = int(top2.indices[0])
        assert last[nxt] == last.max()
        new.append(nxt)
        gaps.append(float(top2.values[0] - top2.values[1]))
        ids.append(nxt)
    return new, gaps


def write_logprobs_fixture(model, tokenizer, meta: dict, out: Path, versions: dict, gguf_path: Path) -> dict:
    cases = []
    for name, text in smollm2_prompts(tokenizer):
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert 10 <= len(ids) <= 60, f"prompt {name!r} has {len(ids)} tokens"
        logits = logits_for(model, ids)
        lps = token_logprobs(logits, ids)
        last_lp = torch.log_softmax(logits[-1].double(), dim=-1)
        top = torch.topk(last_lp, 10)
        cases.append({
            "name": name,
            "text": text,
            "ids": ids,
            "logprobs": [None if v is None else r6(v) for v in lps],
            "top_next": [[int(i), r6(v)] for i, v in zip(top.indices.tolist(), top.values.tolist())],
            "max_abs_logit": r6(logits.abs().max()),
            "logits_last_first8": [r6(v) for v in logits[-1, :8].tolist()],
        })

    # Greedy run from the chat prompt; cross-checked against generate() (which uses the KV cache).
    chat = next(c for c in cases if c["name"] == "chat")
    continuation, gaps = greedy_continuation(model, chat["ids"], GREEDY_TOKENS)
    with torch.no_grad():
        generated = model.generate(torch.tensor([chat["ids"]]), do_sample=False, max_new_tokens=GREEDY_TOKENS,
                                   min_new_tokens=GREEDY_TOKENS, num_beams=1,
                                   pad_token_id=meta.get("tokenizer.ggml.padding_token_id"),
                                   )[0, len(chat["ids"]):].tolist()
    # min_new_tokens masks the EOS id at every step here, so generate() never picks EOS where our plain argmax
    # does; compare up to the first EOS of our run (where the two must agree token for token).
    eos = meta.get("tokenizer.ggml.eos_token_id")
    first_eos = continuation.index(eos) if eos in continuation else len(continuation)
    agrees = generated[:first_eos] == continuation[:first_eos]
    greedy = {
        "prompt": chat["text"],
        "prompt_ids": chat["ids"],
        "continuation_ids": continuation,
        "continuation_text": tokenizer.decode(continuation, skip_special_tokens=False),
        "min_top2_logit_gap": r6(min(gaps)),
        "top2_logit_gaps": [r6(g) for g in gaps],
        "method": "argmax of a full forward pass per step (no KV cache), no stopping at EOS",
        "generate_agrees_before_first_eos": agrees,
        "first_eos_index": first_eos if first_eos < len(continuation) else None,
    }

    fixture = {
        "source": (f"tools/make_fixtures.py; transformers {versions['transformers']} "
                   f"AutoModelForCausalLM.from_pretrained(dir, gguf_file='{gguf_path.name}', dtype=float32) "
                   "(Q4_1 dequantized to float32), eval mode, CPU; logprobs[i] = log_softmax(logits[i-1])[ids[i]] "
                   "computed in float64 from float32 logits, logprobs[0] = null; top_next = the 10 most likely "
                   "next tokens after the last id; ids from the fixture tokenizer, add_special_tokens=False"),
        "model": {"gguf_file": gguf_path.name, "sha256": sha256(gguf_path),
                  "architecture": meta.get("general.architecture"), "rope_theta": meta.get("llama.rope.freq_base"),
                  "versions": versions},
        "chat_template": meta.get("tokenizer.chat_template"),
        "greedy": greedy,
        "cases": cases,
    }
    write_json(out / LOGPROBS_FILE, fixture)
    return {"prompts": [(c["name"], len(c["ids"])) for c in cases], "greedy_text": greedy["continuation_text"],
            "generate_agrees": agrees, "min_gap": min(gaps), "first_eos": first_eos}


# ----------------------------------------------------------------------------------------------------------
# 4. tiny random models
# ----------------------------------------------------------------------------------------------------------

TINY_COMMON = dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False,
                   initializer_range=0.2)


def tiny_configs() -> dict:
    from transformers import Gemma3TextConfig, LlamaConfig, Phi3Config, Qwen2Config, Qwen3Config, StableLmConfig

    rope = {"rope_type": "default", "rope_theta": 10000.0}
    return {
        "tiny-llama": LlamaConfig(**TINY_COMMON, rms_norm_eps=1e-5, rope_parameters=dict(rope)),
        "tiny-stablelm": StableLmConfig(**TINY_COMMON, layer_norm_eps=1e-5, use_qkv_bias=True, qk_layernorm=False,
                                        rope_parameters=dict(rope, partial_rotary_factor=0.25)),
        "tiny-stablelm-qknorm": StableLmConfig(**TINY_COMMON, layer_norm_eps=1e-5, use_qkv_bias=False,
                                               qk_layernorm=True,
                                               rope_parameters=dict(rope, partial_rotary_factor=0.25)),
        "tiny-qwen2": Qwen2Config(**TINY_COMMON, rms_norm_eps=1e-6, use_sliding_window=False,
                                  rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        # head_dim 16 with 4 heads of a 32-wide model: q is 64 wide, as Qwen3's heads are wider than hidden / heads.
        "tiny-qwen3": Qwen3Config(**TINY_COMMON, head_dim=16, rms_norm_eps=1e-6, attention_bias=False,
                                  use_sliding_window=False,
                                  rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        # Llama 3.1's rope scaling with an original context of 16, so that the 4 frequencies of an 8-wide head
        # fall in every band: kept (none here), blended (wavelength 6.3) and divided by the factor (the rest).
        "tiny-llama31": LlamaConfig(**TINY_COMMON, rms_norm_eps=1e-5,
                                    rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                     "original_max_position_embeddings": 16}),
        # Gemma 3: 6 layers so that llama.cpp's fixed pattern (every 6th layer global) and transformers' agree;
        # a window of 8 tokens, so the 17- and 40-token sequences reach past it; head_dim 16 (wider than
        # hidden / heads) with query_pre_attn_scalar 16; tied embeddings scaled by sqrt(hidden); GeGLU (tanh).
        "tiny-gemma3": Gemma3TextConfig(**dict(TINY_COMMON, num_hidden_layers=6, tie_word_embeddings=True),
                                        head_dim=16, query_pre_attn_scalar=16, rms_norm_eps=1e-6, sliding_window=8,
                                        layer_types=["sliding_attention"] * 5 + ["full_attention"],
                                        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                                                         "full_attention": {"rope_type": "default", "rope_theta": 1000000.0}}),
        # Phi-3: q/k/v in one qkv_proj and gate/up in one gate_up_proj; partial rotary (Phi-4-mini's 0.75) and a
        # sliding window of 12 (Phi-3-mini-4k's is 2047), so the 17- and 40-token sequences reach past it.
        "tiny-phi3": Phi3Config(**TINY_COMMON, rms_norm_eps=1e-5, sliding_window=12, pad_token_id=0,
                                rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.75}),
        # A Llama 2-style model with the tiny SentencePiece tokenizer (byte fallback, 420 tokens).
        "tiny-llama-spm": LlamaConfig(**dict(TINY_COMMON, vocab_size=420), rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2,
                                      pad_token_id=None, rope_parameters=dict(rope)),
    }


def randomize_norms_and_biases(model, generator) -> list[str]:
    """Norm weights ~ N(1, 0.1), norm and linear biases ~ N(0, 0.1): a loading bug in any of them shows.

    Gemma's norms scale by (1 + weight), so theirs are drawn ~ N(0, 0.1)."""
    changed = []
    unit = 0.0 if model.config.model_type.startswith("gemma") else 1.0
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith(".weight"):
                p.copy_(unit + 0.1 * torch.randn(p.shape, generator=generator))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))
            else:
                continue
            changed.append(name)
    return changed


def add_legacy_config_keys(config_path: Path) -> None:
    """Also spell rope_theta / partial_rotary_factor at the top level, as published checkpoints do.

    transformers 5 folds them into `rope_parameters` when it saves; hub config.json files (SmolLM2, StableLM 2)
    carry them at the top level. Keeping both lets a loader be tested on either spelling.
    """
    config = json.loads(config_path.read_text())
    rope = config.get("rope_parameters") or {}
    if "rope_theta" in rope:
        config.setdefault("rope_theta", rope["rope_theta"])
    if "partial_rotary_factor" in rope:
        config.setdefault("partial_rotary_factor", rope["partial_rotary_factor"])
    if "full_attention" in rope:  # Gemma 3: one rope base for the global layers, one for the sliding ones
        config.setdefault("rope_theta", rope["full_attention"]["rope_theta"])
        config.setdefault("rope_local_base_freq", rope["sliding_attention"]["rope_theta"])
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def write_tiny_model(name: str, config, index: int, out: Path, versions: dict) -> dict:
    from transformers import AutoModelForCausalLM

    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    torch.manual_seed(SEED + index)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.eval()
    generator = torch.Generator().manual_seed(SEED + 100 + index)
    changed = randomize_norms_and_biases(model, generator)

    # transformers 4 needs safe_serialization=True; transformers 5 always writes safetensors and has no such flag.
    save_params = inspect.signature(model.save_pretrained).parameters
    save_kwargs = {"safe_serialization": True} if "safe_serialization" in save_params else {}
    model.save_pretrained(str(folder), **save_kwargs)
    add_legacy_config_keys(folder / "config.json")
    if name in TINY_TOKENIZERS:
        for file in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(out / TINY_TOKENIZERS[name] / file, folder / file)

    # Reload what was written, so the fixture describes the files, not the in-memory model.
    reloaded = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    reloaded.eval()
    rng = random.Random(SEED + 200 + index)
    sequences, logit_std = [], []
    for length in (5, 17, 40):
        ids = [rng.randrange(config.vocab_size) for _ in range(length)]
        logits = logits_for(reloaded, ids)
        reference = logits_for(model, ids)
        assert torch.equal(logits, reference), f"{name}: reloaded model differs"
        logit_std.append(float(logits.std(dim=-1).mean()))
        sequences.append({
            "ids": ids,
            "logprobs": [None if v is None else r6(v) for v in token_logprobs(logits, ids)],
            "logits": [[r6(v) for v in row] for row in logits[:3].tolist()],
        })
    fixture = {
        "source": (f"tools/make_fixtures.py; transformers {versions['transformers']} "
                   f"{type(model).__name__} from config.json, random init (initializer_range 0.2, seed "
                   f"{SEED + index}), norm weights ~ N(1, 0.1) and biases ~ N(0, 0.1) (seed {SEED + 100 + index}); "
                   "float32, CPU; logprobs[i] = log_softmax(logits[i-1])[ids[i]], logprobs[0] = null; "
                   "logits = raw logits at positions 0, 1, 2"),
        "versions": versions,
        "randomized": changed,
        "sequences": sequences,
    }
    write_json(folder / "logprobs.json", fixture)
    return {"files": sorted(p.name for p in folder.iterdir()), "mean_logit_std": sum(logit_std) / len(logit_std),
            "params": sum(p.numel() for p in model.parameters())}


# ----------------------------------------------------------------------------------------------------------
# 5. README
# ----------------------------------------------------------------------------------------------------------

def write_readme(out: Path, versions: dict, gguf_path: Path, gguf_sha: str, tok_summary: dict, note: str | None,
                 meta: dict) -> None:
    v = versions
    sizes = []
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "README.md":
            sizes.append(f"| `{p.relative_to(out)}` | {p.stat().st_size:,} |")
    text = f"""# Test fixtures

Golden values written by the reference implementation (PyTorch + transformers) for the Swift tests to compare
against. They are generated by **`tools/make_fixtures.py`**, which developers run by hand when a fixture has to
change; **CI never runs it** (CI has neither torch nor the model file) and only reads these files.

## Regenerate

```bash
python3 tools/make_fixtures.py --gguf ~/.cache/remask/models/{gguf_path.name} --out Tests/Fixtures
```

Generated with Python {v['python']}, torch {v['torch']}, transformers {v['transformers']}, gguf {v['gguf']},
tokenizers {v['tokenizers']}, safetensors {v['safetensors']}; from `{gguf_path.name}`
(sha256 `{gguf_sha}`). Everything runs in float32 on the CPU, in eval mode, with fixed seeds, so a rerun with
the same versions writes the same bytes. Floats are rounded to 6 decimals.

To check a safetensors export of SmolLM2 (e.g. from `remask export`) against `logprobs_smollm2.json`:

```bash
python3 tools/make_fixtures.py --check-export /path/to/exported-folder   # prints the max abs difference
```

## Files

| file | what it is |
|---|---|
| `smollm2-tokenizer/` | the SmolLM2 tokenizer as `tokenizer.save_pretrained` writes it (`tokenizer.json`, `tokenizer_config.json`, `chat_template.jinja`; transformers 5 writes no `special_tokens_map.json`). Built from the GGUF metadata. |
| `tokenize_smollm2.json` | {tok_summary['cases']} strings (prose, code, numbers, whitespace runs, nine scripts, accented Latin, emoji with ZWJ and flags, punctuation, contractions, chat tags and other special tokens, random valid UTF-8, long mixed documents) with `ids = tokenizer.encode(text, add_special_tokens=False)`; `decoded` only where `decode(ids)` is not the text. One case per line. |
| `logprobs_smollm2.json` | six prompts (English, chat template, code, GSM8K-style problem, numbers, unicode): ids, per-token log-probabilities (`logprobs[0]` is null), the 10 most likely next tokens, the largest absolute logit and the first 8 raw logits at the last position; plus `greedy`: 64 argmax tokens after the chat prompt (full recompute per step, no stop at EOS) with the top-1/top-2 logit gap of each step. |
| `tiny-llama/` | a random Llama (vocab 96, hidden 32, FFN 64, 2 layers, 4 heads, 2 KV heads, RMSNorm, untied), `model.safetensors` + `config.json` + `generation_config.json`, and `logprobs.json`: three random id sequences (lengths 5, 17, 40) with per-token log-probabilities and the full logits of positions 0-2. |
| `tiny-stablelm/` | the same for StableLM: LayerNorm with bias, q/k/v biases, partial rotary factor 0.25 (2 of 8 head dims rotated). |
| `tiny-stablelm-qknorm/` | StableLM with per-head q/k LayerNorm (`q_layernorm.norms.<h>.weight`, no bias) and no q/k/v biases. |
| `tiny-qwen2/` | the same for Qwen2: RMSNorm, q/k/v biases, rope theta 10⁶ (`--only tiny-qwen2` rewrites this folder alone). |
| `tiny-qwen3/` | Qwen3: no biases, q/k RMSNorm per head with one shared weight, head_dim 16 (wider than hidden / heads). |
| `tiny-llama-spm/` | a Llama 2-style model (vocab 420) with the tiny SentencePiece tokenizer of `spm-tokenizer/` (its tokenizer.json and tokenizer_config.json). |
| `tiny-phi3/` | Phi-3: fused `qkv_proj` and `gate_up_proj`, partial rotary factor 0.75, a 12-token sliding window, untied. |
| `tiny-gemma3/` | Gemma 3 text: 6 layers (5 with an 8-token sliding window and rope base 10⁴, the 6th global with 10⁶), GeGLU (tanh), four norms per block scaling by (1 + weight) (drawn ~ N(0, 0.1)), shared q/k RMSNorm, head_dim 16, embeddings tied and scaled by √hidden. |
| `tiny-llama31/` | Llama with Llama 3.1's rope scaling (factor 8, low/high frequency factors 1 and 4, original context 16, so the frequencies fall in the blended and the divided bands). |

The tiny models use initializer range 0.2 so their outputs are far from uniform, and their norm weights are
drawn from N(1, 0.1) and all biases from N(0, 0.1), so a norm or bias that fails to load changes the logits.
transformers 5 writes `rope_theta` and `partial_rotary_factor` inside `rope_parameters`; the script also
copies them to the top level of `config.json`, where published checkpoints keep them.

## Things to know

- The GGUF says `tokenizer.ggml.add_bos_token = {meta.get('tokenizer.ggml.add_bos_token')}`: nothing is added around the
  text, and `add_special_tokens=True` gives the same ids. BOS is id {meta.get('tokenizer.ggml.bos_token_id')} (`<|im_start|>`), EOS and
  padding id {meta.get('tokenizer.ggml.eos_token_id')} (`<|im_end|>`), unknown id {meta.get('tokenizer.ggml.unknown_token_id')} (`<|endoftext|>`).
  Special tokens written in the text are matched as such.
- Pre-tokenizer: {note or 'as transformers built it'}. {tok_summary['unpatched_differs']} of the cases tokenize
  differently with transformers' unpatched GGUF tokenizer; `tokenize_smollm2.json` lists some under
  `unpatched_transformers_differences`.
- The vocabulary has no token for the bytes {', '.join(f'0x{b:02X}' for b in tok_summary['bytes_without_token'])}
  (among them the control characters U+0004, U+0006, U+0013, U+0014, U+0016, U+001D and the UTF-8 lead bytes
  0xF1/0xF2 of U+40000-U+BFFFF). With no byte fallback and no unknown token, the reference tokenizer drops such
  a byte silently: `"a\\x04b"` is `[a, b]`, and only the continuation bytes of U+50000 remain. Those cases carry
  a `decoded` that differs from the text (category `missing-bytes`, and some `random-utf8`/`single`).
- `greedy` does not stop at EOS: the model ends its answer with `<|im_end|>` (id 2) and keeps going. Our
  argmax loop recomputes the whole sequence at each step; `model.generate` (KV cache) agrees with it up to the
  first EOS (after that `min_new_tokens` makes generate mask EOS, so it is not a plain argmax any more).
- transformers undoes llama.cpp's Q/K row permutation when it loads the GGUF (HF layout, rotate-half rotary).
- The chat template (from the GGUF) adds a default system prompt when the first message is not a system message.

## Sizes (bytes)

| file | size |
|---|---|
""" + "\n".join(sizes) + "\n"
    (out / "README.md").write_text(text, encoding="utf-8")


# ----------------------------------------------------------------------------------------------------------
# --check-export
# ----------------------------------------------------------------------------------------------------------

def check_export(export_dir: Path, fixture_path: Path, tolerance: float) -> int:
    """Compare a safetensors HF folder's log-probabilities with logprobs_smollm2.json; 0 when within tolerance."""
    from transformers import AutoModelForCausalLM

    fixture = json.loads(fixture_path.read_text())
    model = AutoModelForCausalLM.from_pretrained(str(export_dir), dtype=torch.float32)
    model.eval()
    worst = 0.0
    for case in fixture["cases"]:
        ids = case["ids"]
        logits = logits_for(model, ids)
        lps = token_logprobs(logits, ids)
        diff = max(abs(a - b) for a, b in zip(lps[1:], case["logprobs"][1:]))
        top = torch.topk(torch.log_softmax(logits[-1].double(), -1), 10)
        top_ids_match = top.indices.tolist() == [t[0] for t in case["top_next"]]
        print(f"  {case['name']:<8} {len(ids):3d} tokens  max |dlogprob| = {diff:.3e}  "
              f"top-10 next ids {'match' if top_ids_match else 'DIFFER'}")
        worst = max(worst, diff)
    # Teacher-forced greedy check: the export's argmax at every step of the recorded greedy run.
    greedy = fixture["greedy"]
    seq = greedy["prompt_ids"] + greedy["continuation_ids"]
    logits = logits_for(model, seq)
    start = len(greedy["prompt_ids"]) - 1
    argmax = logits[start:start + len(greedy["continuation_ids"])].argmax(-1).tolist()
    agree = sum(a == b for a, b in zip(argmax, greedy["continuation_ids"]))
    print(f"  greedy   {agree}/{len(argmax)} argmax tokens agree (teacher-forced)")
    print(f"max abs logprob difference: {worst:.3e} (tolerance {tolerance:g})")
    return 0 if worst <= tolerance else 1


# ----------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gguf", default=DEFAULT_GGUF, help=f"SmolLM2 GGUF file (default {DEFAULT_GGUF})")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="fixture folder (default: the repo's Tests/Fixtures)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--check-export", metavar="DIR",
                        help="compare the safetensors HF folder DIR with logprobs_smollm2.json and exit")
    parser.add_argument("--only", choices=TINY_DIRS,
                        help="write only this tiny model's folder (the SmolLM2 fixtures and README stay as they are)")
    parser.add_argument("--tolerance", type=float, default=1e-3,
                        help="--check-export fails above this max abs logprob difference (default 1e-3)")
    args = parser.parse_args()

    import_libraries(args.threads)
    out = Path(args.out)
    if args.check_export:
        return check_export(Path(args.check_export), out / LOGPROBS_FILE, args.tolerance)
    if args.only:
        index = list(tiny_configs()).index(args.only)
        info = write_tiny_model(args.only, tiny_configs()[args.only], index, out, library_versions())
        print(f"{args.only}/: {info['params']} params, mean logit std {info['mean_logit_std']:.2f}")
        return 0

    gguf_path = Path(os.path.expanduser(args.gguf)).resolve()
    if not gguf_path.is_file():
        sys.exit(f"no GGUF file at {gguf_path}")
    out.mkdir(parents=True, exist_ok=True)
    versions = library_versions()
    started = time.time()

    tokenizer, unpatched, model, meta, note = load_smollm2(gguf_path)
    print(f"loaded {gguf_path.name} ({time.time() - started:.0f} s); add_bos_token="
          f"{meta.get('tokenizer.ggml.add_bos_token')}, pre={meta.get('tokenizer.ggml.pre')!r}")
    if note:
        print(f"note: {note}")

    files = write_tokenizer_folder(tokenizer, out)
    print(f"{TOKENIZER_DIR}/: {', '.join(files)}")
    tok = write_tokenize_fixture(tokenizer, unpatched, meta, note, out, versions, gguf_path.name)
    print(f"{TOKENIZE_FILE}: {tok['cases']} cases, {tok['tokens']} tokens, {tok['with_special_ids']} with special "
          f"ids, {tok['decode_differs']} where decode != text, {tok['unpatched_differs']} differ from unpatched "
          f"transformers")
    lp = write_logprobs_fixture(model, tokenizer, meta, out, versions, gguf_path)
    print(f"{LOGPROBS_FILE}: prompts {lp['prompts']}; greedy min top-2 gap {lp['min_gap']:.4f}, "
          f"first EOS at step {lp['first_eos']}, generate() agrees before it: {lp['generate_agrees']}")
    print(f"  greedy continuation: {lp['greedy_text']!r}")
    del model

    for index, (name, config) in enumerate(tiny_configs().items()):
        info = write_tiny_model(name, config, index, out, versions)
        print(f"{name}/: {info['params']} params, mean logit std {info['mean_logit_std']:.2f}, "
              f"files {', '.join(info['files'])}")

    write_readme(out, versions, gguf_path, sha256(gguf_path), tok, note, meta)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"README.md written; {out}: {total / 1e6:.2f} MB in all ({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
