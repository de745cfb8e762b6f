#!/usr/bin/env bash
# Checks CGEMM's NEON kernels without an arm64 machine: cross-compiles scripts/gemm_check.c with the kernels for
# aarch64 and runs it under qemu-user. Installs the cross compiler and qemu through apt (Debian) when missing.
#   bash scripts/check-gemm-arm64.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get install -y gcc-aarch64-linux-gnu qemu-user
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
aarch64-linux-gnu-gcc -O2 -Wall -ISources/CGEMM/include Sources/CGEMM/cgemm.c scripts/gemm_check.c -o "$out/gemm_check" -lm
QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64 "$out/gemm_check"
