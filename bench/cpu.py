#!/usr/bin/python3
"""CPU-bound work under ringvm's software CPU against QEMU TCG.

The bench_cpu guest (tests/guests/bench_cpu.c: an integer mix, a 4 MiB
sort and pointer chase, a bytecode interpreter and a sieve, each a fixed
amount of work) under:

  ringvm --accel emu -v        (its "N instructions retired" line at exit
                                gives the guest instruction count)
  qemu -accel tcg -M pc        (-kernel loads the multiboot ELF32)

Each repetition runs both back to back (interleaved, so that a noisy
neighbour hurts both alike); the table shows medians. Per run:

  alu / mem / branch   the interval between the guest's lines on COM1 that
                       end each part, as the host sees them arrive
  total                process start -> exit
  guest MIPS           ringvm's retired instructions / its total wall time
                       (boot and exit are a few thousand instructions)

Every part prints a checksum; the runs must agree with each other and
across VMMs, or the benchmark fails instead of printing a time.

usage: cpu.py [-n REPS] [--timeout SECONDS] [--out FILE]
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

from benchlib import arg_parser, median, ratio, watch, report

ROOT = pathlib.Path(__file__).resolve().parent.parent
RINGVM = pathlib.Path(os.environ.get("RINGVM", ROOT / "ringvm"))
GUEST = ROOT / "tests" / "guests" / "build" / "bench_cpu.elf"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
PASS_STATUS = 0x21
PARTS = ("start", "alu", "mem", "branch", "checksum")


class Run:
    def __init__(self):
        self.marks = {}      # part -> seconds since process start
        self.sums = {}       # part -> checksum text
        self.total = None
        self.icount = None
        self.status = None
        self.error = None


def run_once(argv, timeout):
    """One run; the arrival time of each 'bench_cpu: PART ...' line."""
    res = Run()

    def scan(out, now):
        for m in re.finditer(rb"bench_cpu: (\w+)( [0-9a-f]{8})?\r?\n", out):
            part = m.group(1).decode()
            if part in PARTS and part not in res.marks:
                res.marks[part] = now
                if m.group(2):
                    res.sums[part] = m.group(2).decode().strip()

    w = watch(argv, timeout, scan)
    res.total, res.status = w.total, w.status
    m = re.search(r"emu: vcpu 0: (\d+) instructions retired", w.stderr)
    if m:
        res.icount = int(m.group(1))
    if w.stopped:
        res.error = w.stopped
    elif res.status != PASS_STATUS:
        res.error = (f"exit status {res.status}, not {PASS_STATUS:#x}: "
                     f"{w.stdout[-300:].decode(errors='replace').strip()}")
    elif set(res.marks) != set(PARTS):
        res.error = f"missing lines: {sorted(set(PARTS) - set(res.marks))}"
    return res


def part_times(r):
    """alu, mem, branch: the time from the previous line to this one."""
    return {part: r.marks[part] - r.marks[prev]
            for prev, part in zip(PARTS, PARTS[1:]) if part != "checksum"}



def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "M/s":
        return f"{v / 1e6:.0f} M/s"
    if unit == "G":
        return f"{v / 1e9:.2f} G"
    return str(v)



def main():
    ap = arg_parser(__doc__)
    ap.add_argument("--accel", choices=("kvm", "emu", "both"), default="both")
    ap.add_argument("--qemu-machine", choices=("microvm", "pc"), default=None)
    args = ap.parse_args()

    if args.accel == "kvm":
        print("cpu: skipped (--accel kvm: this benchmark is ringvm emu vs QEMU TCG)")
        return
    if not RINGVM.exists():
        sys.exit(f"cpu: {RINGVM} missing: run make")
    if not GUEST.exists():
        sys.exit(f"cpu: {GUEST} missing: run make guests")
    if not shutil.which(QEMU):
        sys.exit(f"cpu: {QEMU} not found: run tools/deps.sh")

    # -M pc: microvm has no multiboot loader of its own (its -kernel wants
    # a Linux or PVH image); bench_cpu only needs COM1 and port 0xf4.
    cfgs = [
        ("ringvm emu", [str(RINGVM), "run", "--kernel", str(GUEST), "--accel", "emu",
                        "--mem", "256M", "--cpus", "1", "--console", "stdio", "-v",
                        "--timeout", str(args.timeout)]),
        ("qemu tcg pc", [QEMU, "-accel", "tcg", "-M", "pc", "-m", "256M", "-smp", "1",
                         "-display", "none", "-serial", "stdio", "-net", "none", "-nodefaults",
                         "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
                         "-kernel", str(GUEST)]),
    ]
    qv = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = os.getloadavg()
    header = (f"bench_cpu guest: ringvm --accel emu vs QEMU TCG ({qv}), {args.reps} interleaved "
              f"reps, medians; host: {os.cpu_count()} CPUs, load average at start "
              f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(header, file=sys.stderr)
    results = {name: [] for name, _ in cfgs}
    for i in range(args.reps):
        for name, argv in cfgs:
            r = run_once(argv, args.timeout)
            results[name].append(r)
            print(f"  rep {i + 1}/{args.reps} {name}: total {fmt(r.total, 's')}"
                  + (f", {r.icount} instructions" if r.icount else "")
                  + (f"  FAILED: {r.error}" if r.error else ""), file=sys.stderr)

    # The checksums must agree across every successful run of every VMM.
    ok = [r for rs in results.values() for r in rs if not r.error]
    sums = {tuple(sorted(r.sums.items())) for r in ok}
    failed = len(ok) != sum(len(rs) for rs in results.values())
    if len(sums) > 1:
        failed = True

    rows = []
    med = {}
    for name, _ in cfgs:
        good = [r for r in results[name] if not r.error]
        parts = [part_times(r) for r in good]
        med[name] = {p: median([t[p] for t in parts]) for p in ("alu", "mem", "branch")}
        med[name]["total"] = median([r.total for r in good])
        med[name]["icount"] = median([r.icount for r in good])
        med[name]["mips"] = median([r.icount / r.total for r in good if r.icount])
    names = [n for n, _ in cfgs]
    w = 30
    lines = [f"{'metric':{w}} | " + " | ".join(f"{n:>12}" for n in names) + f" | {'ratio':>7}",
             "-" * w + "-+-" + "-+-".join("-" * 12 for _ in names) + "-+-" + "-" * 7]
    for label, key, unit in (("alu (integer mix)", "alu", "s"), ("mem (sort, chase)", "mem", "s"),
                             ("branch (interpreter, sieve)", "branch", "s"),
                             ("total (start to exit)", "total", "s"),
                             ("guest instructions", "icount", "G"),
                             ("guest instructions / s", "mips", "M/s")):
        a, b = med[names[0]][key], med[names[1]][key]
        rows.append(f"{label:{w}} | {fmt(a, unit):>12} | {fmt(b, unit):>12} | "
                    f"{ratio(a, b) if unit == 's' else '':>7}")
    lines += rows
    lines.append("")
    lines.append("ratio = ringvm / qemu wall time, lower is better; checksums "
                 + (f"agree ({dict(next(iter(sums)))['checksum']})" if len(sums) == 1
                    else "DIFFER: " + "; ".join(str(dict(s)) for s in sums) if sums
                    else "n/a"))
    for name in names:
        bad = [r.error for r in results[name] if r.error]
        if bad:
            lines.append(f"{name}: {len(bad)}/{len(results[name])} runs failed: {bad[0]}")
    report(header, "\n".join(lines), args.out)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
