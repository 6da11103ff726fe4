"""What the benchmarks share: running a VMM while watching its console for
markers, and the statistics they print."""
import argparse
import os
import pathlib
import select
import statistics
import subprocess
import tempfile
import time


class Watched:
    """The outcome of watch(): stdout, stderr text, exit status, wall time,
    peak RSS (KiB), and why it was stopped (None when it exited itself)."""

    def __init__(self):
        self.stdout = b""
        self.stderr = ""
        self.status = None
        self.total = None
        self.maxrss_kib = None
        self.stopped = None


def watch(argv, timeout, scan=None, env=None):
    """Run argv with stdin closed. After each chunk of stdout, scan(out, now)
    is called with everything read so far and the seconds since the start;
    a true return value (a reason) stops the process. The time limit does
    the same with reason "killed after N s"."""
    res = Watched()
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                         env=env)
    fd = p.stdout.fileno()
    deadline = t0 + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            p.kill()
            res.stopped = f"killed after {timeout} s"
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        res.stdout += chunk
        why = scan(res.stdout, time.perf_counter() - t0) if scan else None
        if why:
            p.kill()
            res.stopped = why
            break
    _, wstatus, ru = os.wait4(p.pid, 0)
    res.total = time.perf_counter() - t0
    res.maxrss_kib = ru.ru_maxrss
    res.status = os.waitstatus_to_exitcode(wstatus)
    p.stdout.close()
    err.seek(0)
    res.stderr = err.read().decode(errors="replace")
    err.close()
    return res


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def report(header, body, out=None):
    """Print the result (header with the load average at the end, then the
    tables) and write it to `out` when given; returns the text."""
    load = os.getloadavg()
    text = (header + f"; load average at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n\n"
            + body + "\n")
    print(text)
    if out:
        pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(out).write_text(text)
    return text


def arg_parser(doc, timeout=True, out_help="also write the table to this file"):
    """The options every benchmark takes: -n/--reps, --timeout (per run) and
    --out; the script adds its own."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--reps", type=int, default=5)
    if timeout:
        ap.add_argument("--timeout", type=int, default=300, help="per run, seconds (default 300)")
    ap.add_argument("--out", help=out_help)
    return ap
