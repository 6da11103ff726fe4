#!/usr/bin/python3
"""SMP under ringvm's software CPU: a host thread per vCPU against one
thread running every vCPU in turn (--vcpu-sched threads|single).

The default guest (build/guest: Debian's cloud kernel, busybox initramfs;
tools/mkguest.sh), 256 MiB, --accel emu, booted with --cpus 2 and --cpus 1
in both modes. Each repetition runs every configuration once, back to back
(interleaved, so a noisy neighbour hurts all alike); the table shows
medians. One boot runs ringvm.cmd=..., which does, one phase after the
other, between markers on the console:

  sha      one job per vCPU (taskset; with one vCPU both jobs share it):
           sha256sum of a MIB MiB file of zeros, ROUNDS times. No sharing
           between the jobs: this is what threads can run in parallel.
  fork     one job per vCPU: fork+exec /bin/true FORKS times. Page-table
           teardown, TLB-shootdown IPIs, the scheduler: cross-CPU traffic.
  idle     sleep IDLE seconds: nothing to run, every vCPU halted.

then powers off. Measured per run, as the host sees it:

  to READY    process start -> the RINGVM-GUEST-READY line
  <phase>     wall seconds between the phase's start and end markers
  <phase> cpu ringvm's host CPU seconds (user+sys, /proc/PID/stat) in that
              interval, as a share of one core: ~2.0 means two cores busy,
              and idle should be ~0.00 (a halted guest sleeps)
  total       process start -> exit
  cpu s       ringvm's host CPU seconds (user+sys) for the whole run: for
              single, what its wall time would be on an otherwise idle host
  G insns     guest instructions retired, all vCPUs, the whole run (ringvm
              -v -v prints each vCPU's count at exit): unlike the times, not
              much moved by other load on the host; what one configuration
              retires beyond another is mostly busy-waiting (a vCPU
              spinning on a lock or on an IPI's answer from another vCPU)

Every digest is checked against hashlib and the command's exit status must
be 0; a run that fails is reported in the table, not averaged.

The software CPU's slice for --vcpu-sched single (instructions per vCPU
turn) can be swept with --slices 20000,50000,200000 (through the
environment variable RINGVM_SCHED_SLICE): each value is one more
configuration of 2-vCPU single.

usage: smp.py [-n REPS] [--timeout SECONDS] [--mib N] [--rounds N]
              [--forks N] [--idle S] [--slices LIST] [--out FILE]
"""
import hashlib
import os
import pathlib
import re
import sys

from benchlib import arg_parser, median, ratio, watch, report

ROOT = pathlib.Path(__file__).resolve().parent.parent
RINGVM = pathlib.Path(os.environ.get("RINGVM", ROOT / "ringvm"))
GUEST = ROOT / "build" / "guest"
READY = b"RINGVM-GUEST-READY"
MEM = "256M"
PHASES = ("sha", "fork", "idle")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The quotes inside the markers keep the kernel's echo of its own command
# line ("Command line: ...") from matching. $n is the vCPU count; job $c runs
# on vCPU $c % $n. Each job writes its digests to a file of its own so that
# console lines do not interleave.
CMD = ("n=$(nproc); dd if=/dev/zero of=/tmp/z bs=1M count={mib} 2>/dev/null; "
       "echo BENCH-sha-ST''ART; "
       "for c in 0 1; do taskset -c $((c % n)) sh -c "
       "'for i in $(seq {rounds}); do sha256sum /tmp/z; done' > /tmp/s$c & done; wait; "
       "echo BENCH-sha-E''ND; "
       "echo BENCH-fork-ST''ART; "
       "for c in 0 1; do taskset -c $((c % n)) sh -c "
       "'i=0; while [ $i -lt {forks} ]; do /bin/true; i=$((i+1)); done; echo forks=$i' "
       "> /tmp/f$c & done; wait; "
       "echo BENCH-fork-E''ND; "
       "echo BENCH-idle-ST''ART; sleep {idle}; echo BENCH-idle-E''ND; "
       "echo NCPU=$n; cat /tmp/s0 /tmp/s1 /tmp/f0 /tmp/f1")


class Config:
    def __init__(self, name, cpus, sched, slice_=None):
        self.name = name
        self.cpus = cpus
        self.sched = sched
        self.env = dict(os.environ, RINGVM_SCHED_SLICE=str(slice_)) if slice_ else None


def configs(args):
    out = [Config("2 vCPU threads", 2, "threads"), Config("2 vCPU single", 2, "single")]
    for s in args.slices:
        out.append(Config(f"2 vCPU single slice={s}", 2, "single", s))
    out += [Config("1 vCPU threads", 1, "threads"), Config("1 vCPU single", 1, "single")]
    return out


def argv_of(c, args, append):
    return [str(RINGVM), "run", "--kernel", str(GUEST / "vmlinuz"),
            "--initrd", str(GUEST / "initramfs.cpio.gz"), "--append", append,
            "--accel", "emu", "--mem", MEM, "--cpus", str(c.cpus), "--vcpu-sched", c.sched,
            "--console", "stdio", "-v", "-v", "--timeout", str(args.timeout)]


def child_cpu_s():
    """Host CPU seconds (user+sys) of our running ringvm child, or None."""
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = pathlib.Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        # comm may hold spaces: the fields after it start past the last ')'.
        rest = stat[stat.rindex(")") + 2:].split()
        if int(rest[1]) == me and "(ringvm)" in stat:
            return (int(rest[11]) + int(rest[12])) / CLK_TCK
    return None


class Result:
    def __init__(self):
        self.ready = self.total = None
        self.wall = {p: None for p in PHASES}
        self.cpu = {p: None for p in PHASES}
        self.insns = None
        self.cpu_s = None
        self.error = None


def run_once(c, args, append, digest):
    res = Result()
    marks = {}

    def scan(out, now):
        if READY not in marks and READY in out:
            marks[READY] = (now, None)
        for p in PHASES:
            for edge in ("START", "END"):
                m = f"BENCH-{p}-{edge}".encode()
                if m not in marks and m in out:
                    marks[m] = (now, child_cpu_s())
        return None

    before = os.times()
    w = watch(argv_of(c, args, append), args.timeout + 30, scan, c.env)
    after = os.times()
    # watch() reaps the child, which adds its usage to ours as a parent.
    res.cpu_s = (after.children_user + after.children_system -
                 before.children_user - before.children_system)
    res.total = w.total
    text = w.stdout.decode(errors="replace").replace("\r", "")
    errtext = w.stderr.strip()
    res.ready = marks.get(READY, (None,))[0]
    for p in PHASES:
        a, b = marks.get(f"BENCH-{p}-START".encode()), marks.get(f"BENCH-{p}-END".encode())
        if a and b:
            res.wall[p] = b[0] - a[0]
            if a[1] is not None and b[1] is not None and res.wall[p] > 0:
                res.cpu[p] = (b[1] - a[1]) / res.wall[p]
    sums = re.findall(r"^([0-9a-f]{64})  /tmp/z$", text, re.M)
    forks = re.findall(r"^forks=(\d+)$", text, re.M)
    ncpu = re.search(r"^NCPU=(\d+)$", text, re.M)
    counts = re.findall(r"emu: vcpu \d+: (\d+) instructions retired", w.stderr)
    res.insns = sum(int(x) for x in counts) / 1e9 if counts else None
    # -v -v: the last line of stderr that explains a failure is not a debug line.
    errtext = "\n".join(l for l in errtext.splitlines() if ": debug: " not in l)
    if w.stopped:
        res.error = w.stopped
    elif res.ready is None:
        res.error = "no " + READY.decode()
    elif not ncpu or int(ncpu.group(1)) != c.cpus:
        res.error = f"guest saw {ncpu.group(1) if ncpu else '?'} CPUs, not {c.cpus}"
    elif sums != [digest] * (2 * args.rounds):
        res.error = f"{len(sums)} digests, {sum(s != digest for s in sums)} wrong"
    elif forks != [str(args.forks)] * 2:
        res.error = f"fork jobs reported {forks}"
    elif "RINGVM-CMD-EXIT 0" not in text:
        res.error = "command failed"
    elif w.status != 0:
        res.error = f"exit status {w.status}"
    if res.error:
        res.error += f" ({(errtext.splitlines() or ['no stderr'])[-1][:100]})"
    return res


def fmt(v, unit=" s"):
    return "n/a" if v is None else f"{v:.2f}{unit}"


COLUMNS = ([("to READY", lambda r: r.ready, " s")] +
           [(p, (lambda p: lambda r: r.wall[p])(p), " s") for p in PHASES] +
           [(f"{p} cpu", (lambda p: lambda r: r.cpu[p])(p), "") for p in PHASES] +
           [("total", lambda r: r.total, " s"), ("cpu s", lambda r: r.cpu_s, " s"),
            ("G insns", lambda r: r.insns, "")])


def table(cfgs, results, args):
    names = [c.name for c in cfgs]
    pairs = [("2 vCPU single", "2 vCPU threads"), ("1 vCPU single", "1 vCPU threads"),
             ("2 vCPU threads", "1 vCPU threads"), ("2 vCPU single", "1 vCPU single")]
    pairs += [(c.name, "2 vCPU single") for c in cfgs if "slice=" in c.name]
    pairs = [(a, b) for a, b in pairs if a in names and b in names]
    w = max([len(n) for n in names] + [len(f"{a} / {b}") for a, b in pairs])
    head = f"{'':{w}} | " + " | ".join(f"{label:>9}" for label, _, _ in COLUMNS)
    rule = "-" * (len(head) + 14)
    lines = [f"sha = 2 jobs x {args.rounds} x sha256sum of {args.mib} MiB; fork = 2 jobs x "
             f"{args.forks} fork+exec; idle = sleep {args.idle}; 'cpu' = ringvm's host CPU "
             f"time / wall time in the phase; medians of the successful runs",
             head + " | failed runs", rule]
    med = {}
    for c in cfgs:
        ok = [r for r in results[c.name] if not r.error]
        med[c.name] = [median([get(r) for r in ok]) for _, get, _ in COLUMNS]
        bad = [r.error for r in results[c.name] if r.error]
        lines.append(f"{c.name:{w}} | " +
                     " | ".join(f"{fmt(v, u):>9}" for v, (_, _, u) in zip(med[c.name], COLUMNS)) +
                     f" | {len(bad)}/{len(results[c.name])}" + (f": {bad[0]}" if bad else ""))
    keep = [label in ("G insns",) or bool(u) for label, _, u in COLUMNS]
    lines += ["", "ratios of the times and instruction counts (first / second; below 1.00x "
              "the first is faster or retires fewer)",
              f"{'':{w}} | " + " | ".join(f"{label:>9}" for (label, _, _), k in zip(COLUMNS, keep)
                                         if k), rule]
    for a, b in pairs:
        cells = [ratio(x, y) for x, y, k in zip(med[a], med[b], keep) if k]
        lines.append(f"{a + ' / ' + b:{w}} | " + " | ".join(f"{x:>9}" for x in cells))
    return "\n".join(lines)


def main():
    ap = arg_parser(__doc__)
    ap.add_argument("--mib", type=int, default=8, help="file hashed by each job (default 8)")
    ap.add_argument("--rounds", type=int, default=3, help="sha256sum runs per job (default 3)")
    ap.add_argument("--forks", type=int, default=300, help="fork+exec per job (default 300)")
    ap.add_argument("--idle", type=int, default=5, help="idle phase, seconds (default 5)")
    ap.add_argument("--slices", default="",
                    help="extra 2-vCPU single rows with these slices, e.g. 20000,200000")
    args = ap.parse_args()
    args.slices = [int(s) for s in args.slices.split(",") if s]

    if not RINGVM.exists():
        sys.exit(f"smp: {RINGVM} missing: run make")
    for f in ("vmlinuz", "initramfs.cpio.gz"):
        if not (GUEST / f).exists():
            sys.exit(f"smp: {GUEST / f} missing: run make guest")

    cmd = CMD.format(mib=args.mib, rounds=args.rounds, forks=args.forks, idle=args.idle)
    assert '"' not in cmd
    append = f'console=ttyS0 ringvm.cmd="{cmd}"'
    digest = hashlib.sha256(bytes(args.mib << 20)).hexdigest()
    cfgs = configs(args)
    load = os.getloadavg()
    header = (f"SMP under ringvm --accel emu ({GUEST}), {MEM}: --vcpu-sched threads vs single, "
              f"{args.reps} interleaved reps, medians; host: {os.cpu_count()} CPUs, "
              f"load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(header, file=sys.stderr)
    results = {c.name: [] for c in cfgs}
    for i in range(args.reps):
        for c in cfgs:
            r = run_once(c, args, append, digest)
            results[c.name].append(r)
            print(f"  rep {i + 1}/{args.reps} {c.name}: READY {fmt(r.ready)}, " +
                  ", ".join(f"{p} {fmt(r.wall[p])} (cpu {fmt(r.cpu[p], '')})" for p in PHASES) +
                  f", total {fmt(r.total)}, cpu {fmt(r.cpu_s)}, {fmt(r.insns, '')} G insns" + (f"  FAILED: {r.error}" if r.error else ""),
                  file=sys.stderr)
    report(header, table(cfgs, results, args), args.out)
    if any(r.error for rs in results.values() for r in rs):
        sys.exit(1)


if __name__ == "__main__":
    main()
