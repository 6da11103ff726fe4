#!/usr/bin/python3
"""ringvm against QEMU, side by side in one run.

Each repetition runs ringvm and QEMU back to back (interleaved, so that a
noisy neighbour hurts both alike) and the table shows medians:

  start to first output  process start -> the hello guest's first serial line
  hello total            process start -> exit
  pio exit round trip    per OUT of the bench_pio guest (100000 OUTs to port
                         0x80): (its wall time - hello's wall time) / 100000;
                         for ringvm also the guest's own boot-timer reading
  peak RSS               the VMM process's peak resident set (getrusage
                         ru_maxrss) running hello with 256 MiB of guest RAM,
                         of which the guest touches well under 1 MiB

usage: bench.py [-n REPS] [--accel kvm|emu|both] [--qemu-machine microvm|pc]
                [--out FILE]
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

from benchlib import arg_parser, median, ratio, watch

ROOT = pathlib.Path(__file__).resolve().parent.parent
RINGVM = pathlib.Path(os.environ.get("RINGVM", ROOT / "ringvm"))
GUESTS = ROOT / "tests" / "guests" / "build"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
N_OUTS = 100000
PASS_STATUS = 0x21
TIMEOUT = 120


class Run:
    def __init__(self, first_output, total, maxrss_kib, status, stdout):
        self.first_output = first_output
        self.total = total
        self.maxrss_kib = maxrss_kib
        self.status = status
        self.stdout = stdout


def run_once(argv, marker):
    """Start argv, time the first appearance of marker on its stdout and its
    exit; returns a Run. The child's peak RSS comes from wait4()."""
    first = []

    def scan(out, now):
        if not first and marker in out:
            first.append(now)

    w = watch(argv, TIMEOUT, scan)
    return Run(first[0] if first else None, w.total, w.maxrss_kib, w.status, w.stdout)


def ringvm_argv(guest, accel):
    return [str(RINGVM), "run", "--kernel", str(GUESTS / f"{guest}.elf"), "--accel", accel,
            "--mem", "256M", "--console", "stdio", "-q", "--timeout", str(TIMEOUT)]


def qemu_argv(guest, accel, machine):
    return [QEMU, "-M", machine, "-accel", accel, "-m", "256M", "-display", "none",
            "-serial", "stdio", "-net", "none", "-nodefaults", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
            "-kernel", str(GUESTS / f"{guest}.elf")]


def checked(run, who, guest):
    if run.status != PASS_STATUS:
        sys.exit(f"bench: {who} running {guest} exited with {run.status}, not {PASS_STATUS:#x}:\n"
                 f"{run.stdout[-500:].decode(errors='replace')}")
    return run



def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "ms":
        return f"{v * 1e3:.1f} ms"
    if unit == "us":
        return f"{v * 1e6:.3g} us"
    if unit == "MiB":
        return f"{v / 1024:.1f} MiB"
    return str(v)




def bench_pair(reps, ringvm_accel, qemu_accel, machine):
    """Interleaved repetitions; returns rows (metric, ringvm, qemu, unit)."""
    res = {k: [] for k in ("r_first", "r_hello", "r_pio", "r_pio_guest", "r_rss",
                           "q_first", "q_hello", "q_pio", "q_rss")}
    for i in range(reps):
        r = checked(run_once(ringvm_argv("hello", ringvm_accel), b"hello from"), "ringvm", "hello")
        q = checked(run_once(qemu_argv("hello", qemu_accel, machine), b"hello from"), "qemu", "hello")
        rp = checked(run_once(ringvm_argv("bench_pio", ringvm_accel), b"bench_pio"), "ringvm", "bench_pio")
        qp = checked(run_once(qemu_argv("bench_pio", qemu_accel, machine), b"bench_pio"), "qemu", "bench_pio")
        res["r_first"].append(r.first_output)
        res["q_first"].append(q.first_output)
        res["r_hello"].append(r.total)
        res["q_hello"].append(q.total)
        res["r_rss"].append(r.maxrss_kib)
        res["q_rss"].append(q.maxrss_kib)
        res["r_pio"].append(max(rp.total - r.total, 0) / N_OUTS)
        res["q_pio"].append(max(qp.total - q.total, 0) / N_OUTS)
        m = re.search(rb"(\d+) outs in (\d+) us", rp.stdout)
        if m:
            res["r_pio_guest"].append(int(m.group(2)) / 1e6 / int(m.group(1)))
        print(f"  rep {i + 1}/{reps}: ringvm hello {r.total * 1e3:.0f} ms, qemu hello "
              f"{q.total * 1e3:.0f} ms, ringvm pio {rp.total:.2f} s, qemu pio {qp.total:.2f} s",
              file=sys.stderr)
    med = {k: median(v) for k, v in res.items()}
    return [
        ("start to first output", med["r_first"], med["q_first"], "ms"),
        ("hello total (start to exit)", med["r_hello"], med["q_hello"], "ms"),
        ("pio exit round trip (wall)", med["r_pio"], med["q_pio"], "us"),
        ("pio exit round trip (in guest)", med["r_pio_guest"], None, "us"),
        ("peak RSS, 256M guest (<1M touched)", med["r_rss"], med["q_rss"], "MiB"),
    ]


def table(title, rows):
    lines = [title, f"{'metric':34} | {'ringvm':>12} | {'qemu':>12} | {'ratio':>7}",
             "-" * 34 + "-+-" + "-" * 12 + "-+-" + "-" * 12 + "-+-" + "-" * 7]
    for name, r, q, unit in rows:
        lines.append(f"{name:34} | {fmt(r, unit):>12} | {fmt(q, unit):>12} | {ratio(r, q):>7}")
    return "\n".join(lines)


def emu_available():
    r = subprocess.run(ringvm_argv("hello", "emu"), capture_output=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    return r.returncode == PASS_STATUS, r.stderr.decode(errors="replace").strip()


def kvm_available():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


def main():
    ap = arg_parser(__doc__, timeout=False, out_help="also write the tables to this file")
    ap.add_argument("--accel", choices=("kvm", "emu", "both"), default="both",
                    help="kvm: ringvm kvm vs qemu kvm; emu: ringvm emu vs qemu tcg")
    ap.add_argument("--qemu-machine", default="microvm", choices=("microvm", "pc"))
    args = ap.parse_args()

    if not RINGVM.exists():
        sys.exit(f"bench: {RINGVM} missing: run make")
    for g in ("hello", "bench_pio"):
        if not (GUESTS / f"{g}.elf").exists():
            sys.exit(f"bench: {GUESTS / g}.elf missing: run make guests")
    if not shutil.which(QEMU):
        sys.exit(f"bench: {QEMU} not found: run tools/deps.sh")

    tables = []
    cpu = "vmx/svm" if re.search(r"\b(vmx|svm)\b", open("/proc/cpuinfo").read()) else "no vmx/svm"
    header = (f"ringvm vs QEMU ({subprocess.run([QEMU, '--version'], capture_output=True, text=True).stdout.splitlines()[0]}), "
              f"-M {args.qemu_machine}, {args.reps} interleaved reps, medians; host: {cpu}, "
              f"{os.cpu_count()} CPUs; ratio = ringvm / qemu, lower is better")
    print(header, file=sys.stderr)
    if args.accel in ("kvm", "both"):
        if kvm_available():
            print("kvm: ringvm --accel kvm vs qemu -accel kvm", file=sys.stderr)
            tables.append(table("ringvm --accel kvm vs qemu -accel kvm",
                                bench_pair(args.reps, "kvm", "kvm", args.qemu_machine)))
        else:
            tables.append("kvm: skipped (/dev/kvm does not open)")
    if args.accel in ("emu", "both"):
        ok, why = emu_available()
        if ok:
            print("emu: ringvm --accel emu vs qemu -accel tcg", file=sys.stderr)
            tables.append(table("ringvm --accel emu vs qemu -accel tcg",
                                bench_pair(args.reps, "emu", "tcg", args.qemu_machine)))
        else:
            tables.append(f"emu: skipped (ringvm --accel emu does not run the hello guest: "
                          f"{why.splitlines()[-1] if why else 'no message'})")
    text = header + "\n\n" + "\n\n".join(tables) + "\n"
    print(text)
    if args.out:
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
