#!/usr/bin/env python3
"""remask against llama.cpp on the same GGUF file: prompt processing and greedy decoding at batch 1.

    python3 bench/inference.py [--model FILE] [--threads 2] [--runs 5] [--prompt 128] [--new 128]

llama.cpp runs through llama-cpp-python (`pip install llama-cpp-python==0.3.16`, built from source for this CPU).
Both sides get the same random prompt ids, the same thread count and the same number of new tokens; runs
alternate between the two so that a change in machine load hits both, and the medians are reported.
"""
import argparse, json, os, random, statistics, subprocess, sys, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
default_model = os.path.join(os.environ.get("REMASK_CACHE", os.path.expanduser("~/.cache/remask")),
                             "models/SmolLM2-135M-Instruct.Q4_1.gguf")

def llama_cpp_run(llm, prompt, new):
    """Seconds for the prompt and for `new` greedy tokens after it."""
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(prompt)
    t1 = time.perf_counter()
    for _ in range(new):
        token = llm.sample(temp=0.0)
        llm.eval([token])
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1

def remask_run(binary, model, threads, prompt_len, new, weights):
    out = subprocess.run([binary, "bench", "--only", "generate", "--model", model, "--weights", weights,
                          "--threads", str(threads), "--generate-batches", "1", "--prompt-length", str(prompt_len),
                          "--new-tokens", str(new), "--warmup", "1", "--repetitions", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    rows = {r["name"]: r for r in json.loads(out)}
    return rows["prefill-b1"]["seconds_median"], rows["generate-b1"]["seconds_median"], rows["generate-b1"]["peak_rss_bytes"]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=default_model)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--new", type=int, default=128)
    ap.add_argument("--weights", default="stored", help="remask --weights (stored or float32)")
    ap.add_argument("--remask", default=os.path.join(root, ".build/release/remask"))
    args = ap.parse_args()
    try:
        from llama_cpp import Llama, __version__ as llama_version
    except ImportError:
        sys.exit("bench/inference.py: llama-cpp-python is missing: pip install llama-cpp-python==0.3.16")
    llm = Llama(model_path=args.model, n_threads=args.threads, n_threads_batch=args.threads, n_ctx=args.prompt + args.new + 8,
                n_batch=512, verbose=False)
    prompt = [random.Random(0).randrange(1000, llm.n_vocab()) for _ in range(args.prompt)]
    llama_cpp_run(llm, prompt, 8)  # warm-up
    lp, ld, rp, rd, rss = [], [], [], [], []
    for run in range(args.runs):
        p, d = llama_cpp_run(llm, prompt, args.new)
        lp.append(p); ld.append(d)
        p, d, peak = remask_run(args.remask, args.model, args.threads, args.prompt, args.new, args.weights)
        rp.append(p); rd.append(d); rss.append(peak)
        print(f"run {run + 1}/{args.runs}: llama.cpp {args.prompt / lp[-1]:.0f} / {args.new / ld[-1]:.1f}, "
              f"remask {args.prompt / rp[-1]:.0f} / {args.new / rd[-1]:.1f} tokens/s (prompt / decode)", file=sys.stderr)
    med = statistics.median
    rows = [("prompt processing", args.prompt / med(lp), args.prompt / med(rp)),
            ("decode, batch 1", args.new / med(ld), args.new / med(rd))]
    print(f"{os.path.basename(args.model)}, {args.threads} threads, prompt {args.prompt} tokens, {args.new} new tokens, "
          f"median of {args.runs} runs; llama-cpp-python {llama_version}; remask --weights {args.weights}")
    print("| | llama.cpp tokens/s | remask tokens/s | remask / llama.cpp |\n|---|---|---|---|")
    for name, l, r in rows:
        print(f"| {name} | {l:.1f} | {r:.1f} | {r / l:.2f}× |")
    size = os.path.getsize(args.model)
    print(f"remask peak RSS {med(rss) / 2**20:.0f} MiB (GGUF file {size / 2**20:.0f} MiB)")

if __name__ == "__main__":
    main()
