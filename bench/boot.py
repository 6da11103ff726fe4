#!/usr/bin/python3
"""A real Linux guest under ringvm's software CPU against QEMU TCG.

The default guest (build/guest: Debian's cloud kernel, busybox initramfs;
tools/mkguest.sh) with the same kernel command line, 256 MiB and one vCPU,
under:

  ringvm --accel emu                 bzImage (build/guest/vmlinuz)
  ringvm --accel emu, PVH            ELF vmlinux entered through its PVH note
  qemu -accel tcg -M microvm         bzImage
  qemu -accel tcg -M microvm, PVH    the same vmlinux (QEMU loads PVH ELFs too)
  qemu -accel tcg -M pc              bzImage, through SeaBIOS

and rows that each take one paravirtual feature away from "ringvm emu"
(RINGVM_NO_KVMCLOCK, RINGVM_NO_PVEOI), plus "ringvm emu 2 vCPUs" with and
without PV unhalt (RINGVM_NO_PVUNHALT; Linux only uses it, for its
paravirtual spinlocks, with more than one CPU), to show what each buys.

Each repetition runs every configuration once, back to back (interleaved,
so a noisy neighbour hurts all alike); the table shows medians. One run
boots with ringvm.cmd=..., which writes 64 MiB of zeros to the initramfs
(dd, cheap: the kernel's memset) and then times `sha256sum` of it, then
powers off. Measured per run:

  to READY           process start -> the RINGVM-GUEST-READY line on the console
  sha256 (host)      the start and end markers around sha256sum, as the host
                     sees them on the console (does not trust the guest's clock)
  sha256 (guest)     the same interval by the guest's /proc/uptime (10 ms)
  total              process start -> exit (boot, dd, sha256sum, poweroff)

The digest is checked (SHA-256 of 64 MiB of zeros); a wrong one or a run
that does not finish is reported in the table, not averaged. A run whose
kernel gives up before the timed work (HOPELESS: QEMU's microvm under TCG
sometimes cannot calibrate the TSC on a busy host and then hangs) is
stopped at once and started again, at most RETRIES times; the table says so.

usage: boot.py [-n REPS] [--timeout SECONDS] [--mib N] [--out FILE]
               [--accel kvm|emu|both] [--qemu-machine microvm|pc]
(--accel and --qemu-machine as for bench/run.sh: this benchmark is emu vs
TCG only, and --qemu-machine restricts the QEMU rows to that machine.)
"""
import hashlib
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
GUEST = ROOT / "build" / "guest"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
READY = b"RINGVM-GUEST-READY"
MEM = "256M"

# Console lines after which a boot will not get anywhere: the run is stopped
# and counted as failed, instead of waiting for the timeout. (QEMU's microvm
# has no HPET or PM timer; under TCG on a busy host the kernel sometimes
# fails to calibrate the TSC against the PIT and then hangs.)
HOPELESS = (b"Kernel panic", b"could not calculate TSC khz")
# Such a run is started again (at most this many times; the table counts
# them): it fails before any of the timed work, so a retry biases nothing.
RETRIES = 2

# The quotes inside the markers keep the kernel's echo of its own command
# line ("Command line: ...") from matching.
CMD = ("dd if=/dev/zero of=/tmp/z bs=1M count={mib} 2>/dev/null; "
       "read t0 x < /proc/uptime; echo BENCH-SHA-ST''ART; sha256sum /tmp/z; "
       "echo BENCH-SHA-E''ND; read t1 x < /proc/uptime; echo BENCH-SHA-GU''EST $t0 $t1")


class Config:
    def __init__(self, name, argv, env=None):
        self.name = name
        self.argv = argv
        self.env = env


def configs(args, append):
    vmlinuz, vmlinux, initrd = GUEST / "vmlinuz", GUEST / "vmlinux", GUEST / "initramfs.cpio.gz"

    def ringvm(kernel, *extra, cpus=1):
        return [str(RINGVM), "run", "--kernel", str(kernel), "--initrd", str(initrd),
                "--append", append, "--accel", "emu", "--mem", MEM, "--cpus", str(cpus),
                "--console", "stdio", "-q", "--timeout", str(args.timeout), *extra]

    def qemu(machine, kernel):
        return [QEMU, "-accel", "tcg", "-M", machine, "-m", MEM, "-smp", "1", "-nographic",
                "-no-reboot", "-kernel", str(kernel), "-initrd", str(initrd), "-append", append]

    # "ringvm emu" takes the bzImage the way a user gives it: ringvm unpacks
    # it on the host and enters through PVH. The rows after it show what
    # that fast path and each paravirtual feature buy.
    def without(var):
        return dict(os.environ, **{var: "1"})

    out = [Config("ringvm emu", ringvm(vmlinuz)), Config("ringvm emu PVH", ringvm(vmlinux)),
           Config("ringvm emu bzImage entry", ringvm(vmlinuz, "--boot-protocol", "linux")),
           Config("ringvm emu no kvmclock", ringvm(vmlinuz), env=without("RINGVM_NO_KVMCLOCK")),
           Config("ringvm emu no PV EOI", ringvm(vmlinuz), env=without("RINGVM_NO_PVEOI")),
           Config("ringvm emu 2 vCPUs", ringvm(vmlinuz, cpus=2)),
           Config("ringvm emu 2 vCPUs no PV unhalt", ringvm(vmlinuz, cpus=2),
                  env=without("RINGVM_NO_PVUNHALT"))]
    if args.qemu_machine in (None, "microvm"):
        out += [Config("qemu tcg microvm", qemu("microvm", vmlinuz)),
                Config("qemu tcg microvm PVH", qemu("microvm", vmlinux))]
    if args.qemu_machine in (None, "pc"):
        out += [Config("qemu tcg pc", qemu("pc", vmlinuz))]
    return out


class Result:
    def __init__(self):
        self.ready = self.sha_host = self.sha_guest = self.total = None
        self.status = None
        self.error = None


def run_once(argv, timeout, digest, env=None):
    """One boot; the times of the markers as they reach the host."""
    res = Result()
    marks = {}

    def scan(out, now):
        for m in (READY, b"BENCH-SHA-START", b"BENCH-SHA-END"):
            if m not in marks and m in out:
                marks[m] = now
        hopeless = next((h for h in HOPELESS if h in out), None)
        if hopeless:
            # Give it a moment to print the rest of the message, then stop.
            time.sleep(2)
            return f"stopped at {hopeless.decode()!r}"
        return None

    w = watch(argv, timeout, scan, env)
    res.status, res.total = w.status, w.total
    errtext = w.stderr.strip()
    text = w.stdout.decode(errors="replace").replace("\r", "")

    res.ready = marks.get(READY)
    if b"BENCH-SHA-START" in marks and b"BENCH-SHA-END" in marks:
        res.sha_host = marks[b"BENCH-SHA-END"] - marks[b"BENCH-SHA-START"]
    m = re.search(r"BENCH-SHA-GUEST ([\d.]+) ([\d.]+)", text)
    if m:
        res.sha_guest = float(m.group(2)) - float(m.group(1))
    # Kernel messages may interleave on the console: look for the line itself.
    m = re.search(r"^([0-9a-f]{64})  /tmp/z$", text, re.M)
    if w.stopped:
        res.error = w.stopped
    elif res.ready is None:
        res.error = "no " + READY.decode()
    elif not m:
        res.error = "no sha256sum output"
    elif m.group(1) != digest:
        res.error = f"wrong digest {m.group(1)[:16]}..."
    elif "RINGVM-CMD-EXIT 0" not in text:
        res.error = "command failed"
    elif res.status != 0:
        res.error = f"exit status {res.status}"
    if res.error:
        res.error += f" ({(errtext.splitlines() or ['no stderr'])[-1][:100]})"
    return res



def fmt(v):
    return "n/a" if v is None else f"{v:.2f} s"



METRICS = [("to READY", "ready"), ("sha256 (host)", "sha_host"),
           ("sha256 (guest)", "sha_guest"), ("start to exit", "total")]


def table(cfgs, results, retried, mib):
    pairs = [("ringvm emu", "qemu tcg microvm"), ("ringvm emu", "qemu tcg pc"),
             ("ringvm emu PVH", "qemu tcg microvm PVH"), ("ringvm emu PVH", "ringvm emu"),
             ("ringvm emu bzImage entry", "ringvm emu"), ("ringvm emu no kvmclock", "ringvm emu"),
             ("ringvm emu no PV EOI", "ringvm emu"),
             ("ringvm emu 2 vCPUs no PV unhalt", "ringvm emu 2 vCPUs")]
    names = [c.name for c in cfgs]
    pairs = [(a, b) for a, b in pairs if a in names and b in names]
    w = max([len(n) for n in names] + [len(f"{a} / {b}") for a, b in pairs])
    cols = " | ".join(f"{label:>14}" for label, _ in METRICS)
    head = f"{'':{w}} | {cols}"
    rule = "-" * (len(head) + 14)
    lines = [f"sha256 = sha256sum of {mib} MiB in the guest; medians of the successful runs",
             head + " | failed runs", rule]
    med = {}
    for c in cfgs:
        ok = [r for r in results[c.name] if not r.error]
        med[c.name] = {attr: median([getattr(r, attr) for r in ok]) for _, attr in METRICS}
        bad = [r.error for r in results[c.name] if r.error]
        lines.append(f"{c.name:{w}} | " +
                     " | ".join(f"{fmt(med[c.name][a]):>14}" for _, a in METRICS) +
                     f" | {len(bad)}/{len(results[c.name])}" + (f": {bad[0]}" if bad else "") +
                     (f" (+{retried[c.name]} retried: stopped early)" if retried[c.name] else ""))
    lines += ["", "ratios (first / second; below 1.00x the first is faster)", head, rule]
    for a, b in pairs:
        lines.append(f"{a + ' / ' + b:{w}} | " +
                     " | ".join(f"{ratio(med[a][x], med[b][x]):>14}" for _, x in METRICS))
    return "\n".join(lines)


def main():
    ap = arg_parser(__doc__)
    ap.add_argument("--mib", type=int, default=64, help="size hashed in the guest (default 64)")
    ap.add_argument("--accel", choices=("kvm", "emu", "both"), default="both")
    ap.add_argument("--qemu-machine", choices=("microvm", "pc"), default=None)
    args = ap.parse_args()

    if args.accel == "kvm":
        print("boot: skipped (--accel kvm: this benchmark is ringvm emu vs QEMU TCG)")
        return
    if not RINGVM.exists():
        sys.exit(f"boot: {RINGVM} missing: run make")
    for f in ("vmlinuz", "vmlinux", "initramfs.cpio.gz"):
        if not (GUEST / f).exists():
            sys.exit(f"boot: {GUEST / f} missing: run make guest")
    if not shutil.which(QEMU):
        sys.exit(f"boot: {QEMU} not found: run tools/deps.sh")

    append = f'console=ttyS0 ringvm.cmd="{CMD.format(mib=args.mib)}"'
    digest = hashlib.sha256(bytes(args.mib << 20)).hexdigest()
    cfgs = configs(args, append)
    qv = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = os.getloadavg()
    header = (f"Linux guest ({GUEST}): ringvm --accel emu vs QEMU TCG ({qv}), {MEM}, 1 vCPU "
              f"(but the '2 vCPUs' rows), "
              f"{args.reps} interleaved reps, medians; host: {os.cpu_count()} CPUs, "
              f"load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(header, file=sys.stderr)
    results = {c.name: [] for c in cfgs}
    retried = {c.name: 0 for c in cfgs}
    for i in range(args.reps):
        for c in cfgs:
            for attempt in range(RETRIES + 1):
                r = run_once(c.argv, args.timeout, digest, c.env)
                if not (r.error and r.error.startswith("stopped at")) or attempt == RETRIES:
                    break
                retried[c.name] += 1
                print(f"  rep {i + 1}/{args.reps} {c.name}: {r.error}; again", file=sys.stderr)
            results[c.name].append(r)
            print(f"  rep {i + 1}/{args.reps} {c.name}: READY {fmt(r.ready)}, sha256 "
                  f"{fmt(r.sha_host)} (guest {fmt(r.sha_guest)}), total {fmt(r.total)}"
                  + (f"  FAILED: {r.error}" if r.error else ""), file=sys.stderr)
    report(header, table(cfgs, results, retried, args.mib), args.out)
    if any(r.error for rs in results.values() for r in rs):
        sys.exit(1)


if __name__ == "__main__":
    main()
