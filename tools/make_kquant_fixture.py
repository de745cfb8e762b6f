"""Writes Tests/Fixtures/quants_ggml.json: rows of 256 values quantized to Q6_K, Q4_K and Q5_0 by ggml's own
reference quantizers (`quantize_row_*_ref` in libggml-base, as llama-quantize calls them without an importance
matrix), which the Swift Quantizer must reproduce byte for byte. gguf-py quantizes none of the K-quants (and its
numpy Q5_0 rounds differently from ggml's C at some ties), so the library comes from llama-cpp-python's build of
llama.cpp.

    pip install llama-cpp-python==0.3.16 numpy     (llama-cpp-python builds from source, ~2 min)
    python3 tools/make_kquant_fixture.py
"""
import ctypes
import json
import pathlib

import llama_cpp
import numpy as np

BLOCK_BYTES = {"q6_K": 210, "q4_K": 144, "q5_0": 22 * 8}  # per 256 values


def rows():
    """Twelve rows of 256: random weights at several scales, a zero row, a huge outlier, negatives only,
    positives only, magnitudes that underflow f16 scales or fall below ggml's 1e-15 "all zero" threshold, a
    zero sub-block among random ones, ties at rounding points, a constant row, values near f16's largest."""
    rng = np.random.default_rng(16)
    i = np.arange(256)
    outlier = rng.normal(0, 1, 256)
    outlier[77] = 1000
    zero_group = rng.normal(0, 1, 256)
    zero_group[:32] = 0
    return np.stack([
        rng.normal(0, 1, 256),
        rng.normal(0, 0.02, 256),
        np.zeros(256),
        outlier,
        -np.abs(rng.normal(0, 1, 256)),
        rng.uniform(0.5, 2, 256),
        rng.normal(0, 1e-7, 256),
        rng.normal(0, 1e-17, 256),
        zero_group,
        (i - 128) / 8,
        np.full(256, -0.25),
        rng.normal(0, 2e4, 256),
    ]).astype(np.float32)


def ggml_quantize(lib, name, x):
    out = ctypes.create_string_buffer(BLOCK_BYTES[name] * (x.size // 256))
    function = getattr(lib, f"quantize_row_{name}_ref")
    function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    function.restype = None
    function(x.ctypes.data, out, x.size)
    return out.raw


lib = ctypes.CDLL(str(pathlib.Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
x = np.ascontiguousarray(rows())
out = {"llama_cpp_python": llama_cpp.__version__, "values_f32le": x.tobytes().hex()}
for name in BLOCK_BYTES:
    out[name.lower()] = ggml_quantize(lib, name, x).hex()
path = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/quants_ggml.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
