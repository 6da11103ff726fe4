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
stamp=$(date -u +%Y%m%dT%H%M%SZ)
/usr/bin/python3 bench/bench.py --out "bench/out/$stamp.txt" "$@"
# CPU-bound guest, ringvm emu vs QEMU TCG (bench/cpu.py; skips itself under --accel kvm).
/usr/bin/python3 bench/cpu.py --out "bench/out/$stamp-cpu.txt" "$@"
# The default Linux guest (build/guest): boot to RINGVM-GUEST-READY and an
# in-guest sha256sum, ringvm emu (bzImage and PVH) vs QEMU TCG microvm and pc
# (bench/boot.py; skips itself under --accel kvm).
tools/mkguest.sh build/guest
exec /usr/bin/python3 bench/boot.py --out "bench/out/$stamp-boot.txt" "$@"
