"""Quantizes an f32 GGUF with llama.cpp's own llama_model_quantize (llama-cpp-python) and compares every tensor,
type and bytes, with remask's export of the same model at the same file type.

    python3 bench/compare_llama_quantize.py m-f32.gguf m-q4_k_m.gguf q4_k_m

Prints one line: identical, or how many tensors differ and the first few. Exits 1 when they differ.
"""
import ctypes
import os
import sys
import tempfile

import llama_cpp
from gguf import GGUFReader

FILE_TYPES = {"q8_0": 7, "q4_0": 2, "q4_1": 3, "q4_k_m": 15, "q6_k": 18}


def llama_quantize(source, out, dtype):
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FILE_TYPES[dtype]
    params.nthread = os.cpu_count() or 1
    # llama.cpp logs every tensor on standard error: silenced for the call, errors of this script still show.
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            status = llama_cpp.llama_model_quantize(source.encode(), out.encode(), ctypes.byref(params))
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    if status != 0:
        sys.exit(f"llama_model_quantize failed on {source}")


def tensors(path):
    return {t.name: (t.tensor_type.name, t.data.tobytes()) for t in GGUFReader(path).tensors}


def main():
    source, ours, dtype = sys.argv[1:]
    with tempfile.TemporaryDirectory() as folder:
        reference = os.path.join(folder, "reference.gguf")
        llama_quantize(source, reference, dtype)
        theirs = tensors(reference)
    mine = tensors(ours)
    differ = [n for n in sorted(theirs.keys() | mine.keys()) if theirs.get(n) != mine.get(n)]
    if not differ:
        print(f"  llama-quantize writes the same {len(mine)} tensors, byte for byte")
        return
    def describe(n):
        return f"{n} (llama.cpp {theirs[n][0] if n in theirs else 'absent'}, remask {mine[n][0] if n in mine else 'absent'})"
    print(f"  llama-quantize differs on {len(differ)} of {len(theirs)} tensors: " + ", ".join(map(describe, differ[:4])))
    sys.exit(1)


main()
