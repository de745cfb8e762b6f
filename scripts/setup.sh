#!/usr/bin/env bash
# Installs what remask needs on a fresh Debian/Ubuntu machine: OpenBLAS (GEMM), pkg-config, and Open MPI's
# runtime and launcher (openmpi-bin: `mpirun` for data-parallel training; remask loads libmpi only under mpirun,
# so a machine without it still runs everything else). `--tests` adds what the test suite uses besides:
# iproute2 (`ip netns`, for the two-host MPI test).
# Safe to run again: it installs only what is missing.
set -euo pipefail
need=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
if [ "${1:-}" = "--tests" ]; then
    command -v ip >/dev/null 2>&1 || need+=(iproute2)
fi
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "setup: Swift 6 is required (swift not found on PATH)" >&2; exit 1; }
