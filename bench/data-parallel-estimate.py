#!/usr/bin/env python3
"""The estimates of docs/distributed.md: data-parallel step time on 8 and 64 hosts at 10 and 100 Gb/s.

    python3 bench/data-parallel-estimate.py TOKENS_PER_SECOND

TOKENS_PER_SECOND: one host's training throughput for SmolLM2-135M (bash bench/data-parallel.sh measures it).
Ring all-reduce (Open MPI's algorithm for large buffers): each rank sends and receives 2(N-1)/N of the Float32
gradients; the compute of the recipe's global batch (256 x 256 tokens) is split over the N hosts.
"""
import sys

r135 = float(sys.argv[1])
params = {"SmolLM2-135M": 134.5e6, "1.7B (SmolLM2-1.7B)": 1.711e9}
tokens_per_step = 256 * 256
latency = 50e-6   # seconds per message over TCP
for name, p in params.items():
    rate = r135 * 134.5e6 / p          # compute per token grows with the parameters
    size = 4 * p                       # Float32 gradients
    for n in (8, 64):
        compute = tokens_per_step / (n * rate)
        for gbps in (10, 100):
            bandwidth = gbps / 8 * 1e9 * 0.9
            allreduce = 2 * (n - 1) / n * size / bandwidth + 2 * (n - 1) * latency
            big = compute / 16         # 32-core hosts
            print(f"| {name} | {n} | {gbps} Gb/s | {size / 1e9:.2f} GB | {allreduce:.2f} s | {compute:.1f} s | "
                  f"{100 * allreduce / (allreduce + compute):.1f}% | {big:.2f} s | {100 * allreduce / (allreduce + big):.0f}% |")
