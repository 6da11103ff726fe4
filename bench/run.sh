#!/bin/sh
# ringvm's benchmarks, side by side with QEMU (Debian's qemu-system-x86):
# boot latency, PIO exit round trip and VMM memory, under KVM (against
# QEMU -accel kvm) and, once ringvm has its software CPU, under emu
# (against QEMU -accel tcg). Never part of `make test`.
#
# usage: bench/run.sh [-n REPS] [--accel kvm|emu|both] [--qemu-machine microvm|pc]
# Results are printed and kept in bench/out/.
set -eu
cd "$(dirname "$0")/.."
[ -x ./ringvm ] || make -s ringvm
make -s -C tests/guests >/dev/null
mkdir -p bench/out
exec /usr/bin/python3 bench/bench.py --out "bench/out/$(date -u +%Y%m%dT%H%M%SZ).txt" "$@"
