"""Writes Tests/Fixtures/quants_gguf_py.json: blocks quantized by gguf-py (the reference ggml quantizers in
numpy, PyPI `gguf`), which the Swift Quantizer must reproduce byte for byte.

    pip install gguf==0.17.1 numpy
    python3 tools/make_quant_fixture.py
"""
import json
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants


def values():
    """Ten blocks of 32: smooth values, a zero block, a constant block, a negative extreme, tiny and large
    magnitudes, and ties at the rounding points."""
    i = np.arange(32, dtype=np.float32)
    blocks = [
        np.sin(i * 0.37) * 3,
        np.zeros(32),
        np.full(32, 0.25),
        np.linspace(-7, 2, 32),
        np.linspace(-1e-6, 3e-6, 32),
        np.cos(i * 1.3) * 60000,
        (i - 16) / 2,
        np.where(i % 2 == 0, 1.0, -1.0) * (i + 1),
        np.tanh(i - 10) * 0.01,
        np.arange(32) * 0.5 - 4.25,
    ]
    return np.concatenate(blocks).astype(np.float32)


x = values()
out = {"values": [float(v) for v in x]}
for t in (T.Q8_0, T.Q4_0, T.Q4_1):
    out[t.name.lower()] = quants.quantize(x.reshape(1, -1), t).tobytes().hex()
path = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/quants_gguf_py.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
