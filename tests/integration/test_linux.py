"""Tier 4: the default Linux guest (build/guest: Debian's cloud kernel and a
busybox initramfs) under the software CPU, used the way a person would.

One guest, booted once for the module (fixture `session`), takes a series of
commands on its serial console: uname, /proc/cpuinfo, dmesg, the clock
source, a CPU workload whose every output is compared with the same busybox
binary running the same command on the host, the date, and finally
`poweroff`. Separate boots then check --cpus 2, an in-process reboot and the
PVH entry point (ELF vmlinux).

Every ringvm started here has its own --timeout and a pexpect/subprocess
timeout above it; a guest still running at teardown is killed. Console
transcripts and ringvm's stderr are kept under pytest's tmp directory
(paths are printed; run with -s to see them and the timings).

Sizes (WORKLOAD_MIB, SORT_LINES) follow the issue: 16 MiB and 1e5 lines.
"""
import os
import re
import shlex
import signal
import subprocess
import time

import pexpect
import pytest

from conftest import GUEST, RINGVM

pytestmark = pytest.mark.linux

VMLINUZ = GUEST / "vmlinuz"
VMLINUX = GUEST / "vmlinux"
INITRD = GUEST / "initramfs.cpio.gz"
MODULES_TXT = GUEST / "modules.txt"
BUSYBOX = "/bin/busybox"
READY = "RINGVM-GUEST-READY"

BOOT_TIMEOUT = 300          # pexpect: process start to the shell prompt
SESSION_TIMEOUT = 1800      # ringvm --timeout of the shared session (a bound, not a plan)
CMD_TIMEOUT = 120           # pexpect: one quick command
WORK_TIMEOUT = 600          # pexpect: one workload step
ONESHOT_TIMEOUT = 480       # ringvm --timeout of the separate boots
ONESHOT_GRACE = 60          # subprocess/pexpect timeout = ONESHOT_TIMEOUT + this
CLOCK_TOLERANCE = 2         # seconds between the guest's and the host's date

WORKLOAD_MIB = 16
SORT_LINES = 100000
DMESG_BAD = ("WARNING:", "BUG:", "Oops", "Call Trace", "unknown MSR", "unchecked MSR access")


def _need_guest():
    missing = [p.name for p in (VMLINUZ, VMLINUX, INITRD, MODULES_TXT) if not p.exists()]
    if missing:
        pytest.skip(f"{GUEST} lacks {', '.join(missing)}: run `make guest` "
                    f"(tools/mkguest.sh build/guest)")
    if not RINGVM.exists():
        pytest.fail(f"{RINGVM} is missing: run make first")


def _kernel_release():
    """The guest kernel's release, from modules.txt's first line:
    '# linux-image-6.1.0-56-cloud-amd64 (6.1.0-56-cloud-amd64), load order'."""
    first = MODULES_TXT.read_text().splitlines()[0]
    m = re.search(r"\(([^)\s]+)\)", first)
    assert m, f"cannot read the kernel release from {MODULES_TXT}: {first!r}"
    return m.group(1)


def _argv(kernel, append, timeout, cpus=1):
    return [str(RINGVM), "run", "--kernel", str(kernel), "--initrd", str(INITRD),
            "--append", append, "--accel", "emu", "--mem", "256M", "--cpus", str(cpus),
            "--timeout", str(timeout)]


def _tail(text, n=3000):
    return text[-n:] if text else "(nothing)"


# ---- an interactive console ------------------------------------------------------


class Guest:
    """ringvm under pexpect, its stderr in a file of its own so that ringvm's
    messages do not mix with the guest's console output."""

    def __init__(self, logdir, name, kernel=VMLINUZ, append="console=ttyS0",
                 timeout=SESSION_TIMEOUT, cpus=1):
        self.logdir = logdir
        self.console_log = logdir / f"{name}.console.txt"
        self.stderr_log = logdir / f"{name}.stderr.txt"
        argv = _argv(kernel, append, timeout, cpus)
        # exec: the pexpect child is ringvm itself, so its exit status is ringvm's.
        shcmd = "exec " + " ".join(shlex.quote(a) for a in argv) + \
                " 2>" + shlex.quote(str(self.stderr_log))
        self.t0 = time.monotonic()
        self.child = pexpect.spawn("/bin/sh", ["-c", shcmd], encoding="utf-8",
                                   codec_errors="replace", timeout=BOOT_TIMEOUT,
                                   dimensions=(24, 200), maxread=65536)
        self._log = open(self.console_log, "w")
        self.child.logfile_read = self._log
        self.n = 0
        self.broken = None
        self.status = None

    # -- what happened so far
    def transcript(self):
        self._log.flush()
        return self.console_log.read_text(errors="replace")

    def stderr(self):
        try:
            return self.stderr_log.read_text(errors="replace")
        except OSError:
            return ""

    def where(self):
        return (f"\n--- console (last 3000 chars; all in {self.console_log}):\n"
                f"{_tail(self.transcript())}\n--- ringvm stderr ({self.stderr_log}):\n"
                f"{_tail(self.stderr(), 2000)}")

    # -- driving it
    def expect(self, pattern, timeout, what):
        try:
            return self.child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            pytest.fail(f"{what}: nothing after {timeout} s{self.where()}", pytrace=False)
        except pexpect.EOF:
            self.reap(10)
            pytest.fail(f"{what}: ringvm exited (status {self.status}){self.where()}",
                        pytrace=False)

    def wait_shell(self, timeout=BOOT_TIMEOUT):
        """Waits for READY and the shell's prompt, then makes the console
        quiet and predictable: no echo (the markers below must only match
        output), no kernel messages interleaved, pipelines fail as a whole."""
        self.expect(READY, timeout, f"waiting for {READY}")
        self.ready_s = time.monotonic() - self.t0
        self.expect(r"# ", 60, "waiting for the shell prompt")
        self.shell_s = time.monotonic() - self.t0
        self.child.send("stty -echo; dmesg -n 1; set -o pipefail; echo __SH''ELL__\r")
        self.expect("__SHELL__", CMD_TIMEOUT, "setting up the shell")

    def sh(self, cmd, timeout=CMD_TIMEOUT):
        """Runs cmd in the guest's shell; returns (status, output, seconds).
        The end marker carries cmd's status; the quotes in the markers keep
        them from matching the command line itself."""
        if self.broken:
            pytest.fail(f"the guest session is unusable: {self.broken}")
        self.n += 1
        n = self.n
        t0 = time.monotonic()
        self.child.send(f"echo __BEG''IN_{n}__; {cmd}; echo __E''ND_{n}_$?__\r")
        try:
            self.child.expect(rf"__BEGIN_{n}__\r*\n(.*?)__END_{n}_(\d+)__", timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            why = "no end marker" if isinstance(e, pexpect.TIMEOUT) else "ringvm exited"
            self._resync()
            pytest.fail(f"{cmd!r}: {why} after {time.monotonic() - t0:.0f} s{self.where()}",
                        pytrace=False)
        out = self.child.match.group(1).replace("\r", "")
        return int(self.child.match.group(2)), out, time.monotonic() - t0

    def _resync(self):
        """After a command that did not finish: Ctrl-C, and see whether the
        shell answers again; if not, later commands fail at once."""
        if not self.child.isalive():
            self.broken = "ringvm exited"
            return
        self.child.send("\x03")
        self.child.send("\recho __RES''YNC__\r")
        try:
            self.child.expect("__RESYNC__", timeout=60)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self.broken = "the shell stopped answering"

    def reap(self, timeout):
        """Waits up to timeout s for ringvm to exit; returns its status
        (negative: killed by that signal) or None if it is still running."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.child.isalive():
                if self.child.signalstatus is not None:
                    self.status = -self.child.signalstatus
                else:
                    self.status = self.child.exitstatus
                return self.status
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def kill(self):
        """Teardown: ends ringvm if it still runs (SIGTERM, then SIGKILL)."""
        try:
            if self.child.isalive():
                os.kill(self.child.pid, signal.SIGTERM)
                if self.reap(10) is None:
                    os.kill(self.child.pid, signal.SIGKILL)
                    self.reap(10)
        except (OSError, pexpect.ExceptionPexpect):
            pass
        try:
            self.child.close(force=True)
        except (OSError, pexpect.ExceptionPexpect):
            pass
        self._log.close()


# ---- the host side of the comparisons ------------------------------------------

# The workload, run in the guest's shell and with the host's /bin/busybox
# (the same binary tools/mkguest.sh put in the initramfs), in this order, in
# a scratch directory. Each step's output must be identical on both.
#
# The 16 MiB file: 8192 lines of "%07d\n" from the Park-Miller generator (a
# 64 KiB pattern; every product stays below 2^53, so awk's doubles are exact),
# doubled 8 times with cat: cheap to make under the software CPU, and not
# trivial for gzip (its window is 32 KiB, the period 64 KiB).
_DOUBLINGS = (WORKLOAD_MIB * 1024 * 1024) // 65536
assert 65536 << (_DOUBLINGS.bit_length() - 1) == WORKLOAD_MIB * 1024 * 1024, \
    "WORKLOAD_MIB must be a power of two"
WORKLOAD = [
    ("generate-%dMiB" % WORKLOAD_MIB,
     "awk 'BEGIN{x=1;for(i=0;i<8192;i++){x=(x*16807)%2147483647;printf \"%07d\\n\",x%10000000}}'"
     " > p && for i in " + " ".join(str(i) for i in range(_DOUBLINGS.bit_length() - 1)) +
     "; do cat p p > q && mv q p; done && mv p data && wc -c < data"),
    ("sha256sum", "sha256sum data"),
    ("gzip|sha256sum", "gzip -c data | sha256sum"),
    ("gzip|gunzip|sha256sum", "gzip -c data | gunzip -c | sha256sum"),
    ("sort-%d-lines" % SORT_LINES,
     "awk 'BEGIN{x=1;for(i=0;i<%d;i++){x=(x*16807)%%2147483647;print x}}' > lines && "
     "wc -l < lines && sort lines | sha256sum && sort -n lines | sed -n '1p;$p'" % SORT_LINES),
    # Debian's busybox awk has no math library (no ^, sin, sqrt...): integer
    # and floating-point loops with + - * / %, and printf's number formatting.
    ("awk-arithmetic",
     "awk 'BEGIN{s=0;for(i=1;i<=20000;i++)s=(s*31+i)%1000003;"
     "f=0;for(i=1;i<=20000;i++)f+=1/i;g=1;for(i=1;i<=2000;i++)g=g*1.001+1/3;"
     "r=1;for(i=1;i<=200;i++)r=r*7.3%1000.1-i/7;"
     "printf \"%d %.17g %.17g %.17g\\n\",s,f,g,r;"
     "printf \"%d %d %.17g %.17g %e %x %s %s\\n\",int(-7.5),-7%3,7/3,0.1+0.2,12345.678,"
     "255,1e308*10,-1e308*10}'"),
]


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """The workload's outputs on the host: {name: (status, output)}."""
    _need_guest()
    base = tmp_path_factory.mktemp("host-busybox")
    bindir = base / "bin"
    work = base / "work"
    bindir.mkdir()
    work.mkdir()
    subprocess.run([BUSYBOX, "--install", "-s", str(bindir)], check=True, timeout=60)
    env = {"PATH": str(bindir), "LC_ALL": "C", "HOME": str(work)}
    results = {}
    for name, cmd in WORKLOAD:
        r = subprocess.run([BUSYBOX, "sh", "-c", "set -o pipefail; " + cmd], cwd=work, env=env,
                           capture_output=True, text=True, timeout=300)
        results[name] = (r.returncode, r.stdout)
    return results


# ---- the shared session ------------------------------------------------------------


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    _need_guest()
    logdir = tmp_path_factory.mktemp("linux-session")
    g = Guest(logdir, "session")
    try:
        g.wait_shell()
        print(f"\nsession: {READY} after {g.ready_s:.1f} s, shell after {g.shell_s:.1f} s; "
              f"logs in {logdir}")
        g.boot_date = _guest_date(g)
        yield g
    finally:
        g.kill()


def _guest_date(g):
    """(guest seconds - host seconds) for `date +%s`, the host's time taken
    as the middle of the round trip, and the round trip itself."""
    before = time.time()
    status, out, _ = g.sh("date +%s")
    after = time.time()
    assert status == 0, out
    guest = int(out.strip())
    # date +%s truncates: the guest's true time is in [guest, guest + 1).
    return guest + 0.5 - (before + after) / 2, after - before


def test_uname(session):
    status, out, _ = session.sh("uname -a")
    assert status == 0, out
    kver = _kernel_release()
    assert "Linux" in out.split(), out
    assert kver in out.split(), f"kernel release {kver} not in: {out!r}"


def test_cpuinfo(session):
    status, out, _ = session.sh("cat /proc/cpuinfo")
    assert status == 0, out
    processors = re.findall(r"^processor\s*:\s*(\d+)$", out, re.M)
    assert processors == ["0"], f"expected one processor (--cpus 1):\n{out}"
    flags = re.findall(r"^flags\s*:(.*)$", out, re.M)
    assert flags, out
    for want in ("fpu", "sse2", "lm"):
        assert want in flags[0].split(), f"no {want} in flags: {flags[0]}"


def test_clocksource_is_kvm_clock(session):
    status, out, _ = session.sh(
        "cat /sys/devices/system/clocksource/clocksource0/current_clocksource"
        " /sys/devices/system/clocksource/clocksource0/available_clocksource")
    assert status == 0, out
    current = out.splitlines()[0].strip()
    assert current == "kvm-clock", f"current clocksource {current!r}; available: " \
                                   f"{out.splitlines()[1:] if len(out.splitlines()) > 1 else '?'}"


@pytest.mark.parametrize("name,cmd", WORKLOAD, ids=[w[0] for w in WORKLOAD])
def test_workload_matches_host(session, host, name, cmd):
    if cmd != WORKLOAD[0][1]:
        # The data file comes from the first step; make it here if that step
        # has not run (a -k selection), silently.
        cmd = f"{{ [ -s data ] || {{ {WORKLOAD[0][1]}; }} >/dev/null; }} && {cmd}"
    status, out, secs = session.sh("mkdir -p /tmp/w && cd /tmp/w && " + cmd, timeout=WORK_TIMEOUT)
    print(f"\nworkload {name}: {secs:.1f} s in the guest (wall, host-side)")
    hstatus, hout = host[name]
    assert hstatus == 0, f"the host's busybox failed at {name} (status {hstatus}): {hout}"
    assert status == 0, f"{name}: status {status} in the guest:\n{out}"
    assert out == hout, f"{name}: guest and host differ\n--- guest:\n{out}\n--- host:\n{hout}"


def test_date_matches_host(session):
    diff, rtt = _guest_date(session)
    boot_diff, _ = session.boot_date
    print(f"\ndate: guest - host = {boot_diff:+.1f} s just after boot, {diff:+.1f} s now "
          f"(round trip {rtt:.1f} s)")
    assert abs(boot_diff) <= CLOCK_TOLERANCE + rtt / 2, \
        f"guest clock off by {boot_diff:+.1f} s just after boot"
    assert abs(diff) <= CLOCK_TOLERANCE + rtt / 2, \
        f"guest clock off by {diff:+.1f} s after the workload (was {boot_diff:+.1f} s after boot)"


def test_dmesg_clean(session):
    status, out, _ = session.sh("dmesg")
    assert status == 0, out
    assert "Linux version" in out, f"that is not the kernel log:\n{_tail(out)}"
    bad = [line for line in out.splitlines() if any(p in line for p in DMESG_BAD)]
    # ringvm's own complaints are on its stderr, not in the guest's log: shown
    # here, not asserted.
    warnings = [line for line in session.stderr().splitlines() if "warning" in line]
    if warnings:
        print("\nringvm stderr warnings during the session:\n" + "\n".join(warnings))
    assert not bad, "dmesg has:\n" + "\n".join(bad)


def test_poweroff_exits_zero(session):
    """`poweroff` typed at the shell ends ringvm with status 0."""
    session.child.send("poweroff\r")
    try:
        session.child.expect(pexpect.EOF, timeout=60)
    except pexpect.TIMEOUT:
        # Say why, and still see whether the guest can power off at all.
        session.child.send("poweroff -f\r")
        try:
            session.child.expect(pexpect.EOF, timeout=60)
            forced = f"`poweroff -f` then ended ringvm with status {session.reap(30)}"
        except (pexpect.TIMEOUT, pexpect.EOF):
            forced = "`poweroff -f` did not end it either"
        pytest.fail("`poweroff` left the guest running for 60 s (busybox poweroff signals "
                    f"PID 1, which must handle SIGUSR2); {forced}{session.where()}", pytrace=False)
    status = session.reap(30)
    assert status == 0, f"ringvm exited with {status} after poweroff{session.where()}"


# ---- separate boots ------------------------------------------------------------------


def _oneshot(kernel, cmd, cpus=1, extra=""):
    """Boots with ringvm.cmd=CMD (no double quotes in CMD); returns
    (ringvm's status, its stdout, its stderr, seconds)."""
    assert '"' not in cmd
    append = f'console=ttyS0 {extra}ringvm.cmd="{cmd}"'
    t0 = time.monotonic()
    try:
        r = subprocess.run(_argv(kernel, append, ONESHOT_TIMEOUT, cpus), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=ONESHOT_TIMEOUT + ONESHOT_GRACE)
    except subprocess.TimeoutExpired as e:      # run() has killed it
        out = (e.stdout or b"").decode(errors="replace")
        pytest.fail(f"ringvm did not end within {ONESHOT_TIMEOUT + ONESHOT_GRACE} s although "
                    f"--timeout {ONESHOT_TIMEOUT}:\n{_tail(out)}", pytrace=False)
    return (r.returncode, r.stdout.decode(errors="replace").replace("\r", ""),
            r.stderr.decode(errors="replace"), time.monotonic() - t0)


def _cmd_output(out):
    """What the command printed: between READY and RINGVM-CMD-EXIT."""
    m = re.search(rf"{READY}\n(.*?)RINGVM-CMD-EXIT (\d+)", out, re.S)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def _host_sh(cmd):
    r = subprocess.run([BUSYBOX, "sh", "-c", cmd], capture_output=True, text=True, timeout=120,
                       cwd="/tmp")
    assert r.returncode == 0, r.stderr
    return r.stdout


TWO_CPU_LOOPS = 3


def _two_cpu_cmd(between=""):
    """The guest command of the 2-vCPU tests: the processor count, then two
    loops of TWO_CPU_LOOPS sha256sums pinned one to each vCPU; `between`
    runs after both finished, before their output is printed."""
    return ("grep -c ^processor /proc/cpuinfo; cd /tmp; seq 1 200000 > a; "
            "for c in 0 1; do (taskset -c $c sh -c 'for i in %s; do sha256sum a; done' > o$c; "
            "echo loop$c=$?) & done; wait; %scat o0 o1"
            % (" ".join(str(i) for i in range(TWO_CPU_LOOPS)), between))


def _check_two_cpus(status, out, err, markers=()):
    """What _two_cpu_cmd() printed: 2 processors, both loops ended with 0,
    every digest the host's and nothing else (but the lines in markers, which
    `between` printed); the command and ringvm exited 0."""
    got, cmd_status = _cmd_output(out)
    assert got is not None, f"no {READY} ... RINGVM-CMD-EXIT in the output " \
                            f"(ringvm status {status}):\n{_tail(out)}\n{_tail(err, 1500)}"
    lines = [l for l in got.splitlines() if l not in markers]
    assert lines and lines[0] == "2", f"/proc/cpuinfo does not show 2 processors:\n{got}"
    assert sorted(l for l in lines if l.startswith("loop")) == ["loop0=0", "loop1=0"], got
    want = _host_sh("seq 1 200000 | sha256sum").split()[0] + "  a"
    sums = [l for l in lines if not l.startswith("loop")][1:]
    assert sums == [want] * (2 * TWO_CPU_LOOPS), \
        f"expected {2 * TWO_CPU_LOOPS} x {want!r}, got:\n{got}"
    assert cmd_status == 0, got
    assert status == 0, f"ringvm exited with {status}\n{_tail(err, 1500)}"


def test_two_cpus(tmp_path):
    """--cpus 2: two processors, and two sha256sum loops pinned one to each
    vCPU run side by side with correct results."""
    _need_guest()
    status, out, err, secs = _oneshot(VMLINUZ, _two_cpu_cmd(), cpus=2)
    print(f"\n--cpus 2: {secs:.1f} s")
    _check_two_cpus(status, out, err)


def test_reboot_restarts_in_process(tmp_path):
    """`reboot` at the shell: the same ringvm process boots the guest again
    (READY twice), the new shell answers, and poweroff -f ends it with 0."""
    _need_guest()
    g = Guest(tmp_path, "reboot", timeout=ONESHOT_TIMEOUT * 2)
    try:
        g.wait_shell()
        first = g.ready_s
        g.child.send("reboot\r")
        g.expect(READY, BOOT_TIMEOUT, "waiting for the second boot")
        again = time.monotonic() - g.t0
        g.expect(r"# ", 60, "waiting for the shell after the reboot")
        g.child.send("stty -echo; echo __AL''IVE__\r")
        g.expect("__ALIVE__", CMD_TIMEOUT, "the shell after the reboot")
        print(f"\nreboot: first {READY} at {first:.1f} s, second at {again:.1f} s")
        assert g.transcript().count(READY) == 2
        g.child.send("poweroff -f\r")
        g.expect(pexpect.EOF, 120, "waiting for ringvm to exit after poweroff -f")
        status = g.reap(30)
        assert status == 0, f"ringvm exited with {status}{g.where()}"
    finally:
        g.kill()


def test_pvh_entry():
    """The same kernel as an ELF vmlinux, entered through its PVH note."""
    _need_guest()
    status, out, err, secs = _oneshot(VMLINUX, "uname -r; grep -c ^processor /proc/cpuinfo")
    print(f"\nPVH boot + command: {secs:.1f} s")
    got, cmd_status = _cmd_output(out)
    assert got is not None, f"no {READY} ... RINGVM-CMD-EXIT (ringvm status {status}):\n" \
                            f"{_tail(out)}\n{_tail(err, 1500)}"
    assert got.split() == [_kernel_release(), "1"], got
    assert cmd_status == 0
    assert status == 0, f"ringvm exited with {status}\n{_tail(err, 1500)}"


# ---- --vcpu-sched single: one host thread runs both vCPUs -------------------------

def _watch_single(argv, timeout, markers):
    """Runs argv; while it runs, samples the names of its threads and, when
    each marker first appears on the console, its host CPU seconds
    (utime+stime from /proc/PID/stat). Returns (status, stdout, stderr,
    {marker: (seconds since start, cpu seconds)}, set of thread names)."""
    import select
    import tempfile
    tick = os.sysconf("SC_CLK_TCK")
    err = tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
    out, seen, names = b"", {}, set()

    def cpu_s():
        try:
            stat = open(f"/proc/{p.pid}/stat").read()
        except OSError:
            return None
        rest = stat[stat.rindex(")") + 2:].split()
        return (int(rest[11]) + int(rest[12])) / tick

    def sample_names():
        try:
            for t in os.listdir(f"/proc/{p.pid}/task"):
                try:
                    names.add(open(f"/proc/{p.pid}/task/{t}/comm").read().strip())
                except OSError:
                    pass
        except OSError:
            pass

    try:
        while True:
            left = t0 + timeout - time.monotonic()
            if left <= 0:
                pytest.fail(f"ringvm did not end within {timeout} s:\n{_tail(out.decode(errors='replace'))}",
                            pytrace=False)
            r, _, _ = select.select([p.stdout], [], [], min(left, 0.2))
            sample_names()
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
                for m in markers:
                    if m not in seen and m.encode() in out:
                        seen[m] = (time.monotonic() - t0, cpu_s())
        status = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err.seek(0)
    return (status, out.decode(errors="replace").replace("\r", ""),
            err.read().decode(errors="replace"), seen, names)


def test_two_cpus_single_thread(tmp_path):
    """--cpus 2 --vcpu-sched single: the guest sees two processors, two
    sha256sum loops pinned one to each vCPU give the right results, an idle
    stretch costs next to no host CPU (with every vCPU halted the one
    thread sleeps), poweroff ends ringvm with 0 -- and the process never
    has per-vCPU threads, only the one that runs them all."""
    _need_guest()
    cmd = _two_cpu_cmd("echo IDLE-ST''ART; sleep 3; echo IDLE-E''ND; ")
    argv = _argv(VMLINUZ, f'console=ttyS0 ringvm.cmd="{cmd}"', ONESHOT_TIMEOUT, 2) + \
        ["--vcpu-sched", "single"]
    status, out, err, seen, names = _watch_single(argv, ONESHOT_TIMEOUT + ONESHOT_GRACE,
                                                  ["IDLE-START", "IDLE-END"])
    _check_two_cpus(status, out, err, markers=("IDLE-START", "IDLE-END"))
    # vcpu.c names per-vCPU threads vcpuN, the single one "vcpus".
    assert "vcpus" in names, f"no thread named vcpus; saw {sorted(names)}"
    assert not any(re.fullmatch(r"vcpu\d+", n) for n in names), \
        f"per-vCPU threads under --vcpu-sched single: {sorted(names)}"
    (t0, c0), (t1, c1) = seen["IDLE-START"], seen["IDLE-END"]
    assert c0 is not None and c1 is not None
    share = (c1 - c0) / (t1 - t0)
    print(f"\n--cpus 2 --vcpu-sched single: idle stretch {t1 - t0:.1f} s used {share:.2f} of a core")
    # A busy-waiting thread would show ~1.0; a clock tick or two costs ~0.01.
    assert share < 0.25, f"the idle guest kept {share:.2f} of a host core busy"


def test_reboot_and_timeout_single_thread():
    """--vcpu-sched single: `reboot -f` resets the VM in the same process
    (the command runs again after the reboot, so READY comes back), and
    --timeout still stops it, with status 124."""
    _need_guest()
    timeout = 40
    argv = _argv(VMLINUZ, 'console=ttyS0 ringvm.cmd="reboot -f"', timeout, 2) + \
        ["--vcpu-sched", "single"]
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout + ONESHOT_GRACE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ringvm did not end within {timeout + ONESHOT_GRACE} s although "
                    f"--timeout {timeout}", pytrace=False)
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    assert out.count(READY) >= 2, f"no second boot after reboot -f:\n{_tail(out)}\n{_tail(err, 1500)}"
    assert r.returncode == 124, f"ringvm exited with {r.returncode}, not 124 (--timeout)\n{_tail(err, 1500)}"


# ---- paravirtual EOI and unhalt (KVM_FEATURE_PV_EOI / KVM_FEATURE_PV_UNHALT) ----

PV_EOI_ON = re.compile(r"lapic: cpu (\d+): PV EOI enabled")


def _pv_boot(cmd, cpus):
    """Boots with ringvm.cmd=CMD and -v -v (ringvm's debug log says when a
    vCPU turns PV EOI on); returns (status, stdout, stderr, seconds)."""
    assert '"' not in cmd
    argv = _argv(VMLINUZ, f'console=ttyS0 ringvm.cmd="{cmd}"', ONESHOT_TIMEOUT, cpus) + ["-v", "-v"]
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=ONESHOT_TIMEOUT + ONESHOT_GRACE)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        pytest.fail(f"ringvm did not end within {ONESHOT_TIMEOUT + ONESHOT_GRACE} s although "
                    f"--timeout {ONESHOT_TIMEOUT}:\n{_tail(out)}", pytrace=False)
    return (r.returncode, r.stdout.decode(errors="replace").replace("\r", ""),
            r.stderr.decode(errors="replace"), time.monotonic() - t0)


def _irq_counts(text, label):
    """Per-CPU counts of each /proc/interrupts line starting with label."""
    return [[int(x) for x in line.split()[1:] if x.isdigit()]
            for line in text.splitlines() if line.strip().startswith(label)]


def test_pv_eoi_interrupts_keep_coming():
    """PV EOI on (the guest clears a word in its memory instead of writing
    the APIC's EOI register): every EOI must still reach the local APIC. A
    lost one leaves its vector in service and blocks it and every vector of
    its priority class or lower for good; the local timer (0xec) and the
    serial port (a low vector) both keep counting after boot, across a
    `sleep 1` and the console output between."""
    _need_guest()
    cmd = ("grep -E 'LOC:|ttyS0' /proc/interrupts; sleep 1; echo tick; sleep 1; "
           "grep -E 'LOC:|ttyS0' /proc/interrupts")
    status, out, err, secs = _pv_boot(cmd, cpus=1)
    print(f"\nPV EOI boot + 2 s: {secs:.1f} s")
    got, cmd_status = _cmd_output(out)
    assert got is not None, f"no {READY} ... RINGVM-CMD-EXIT (ringvm status {status}):\n" \
                            f"{_tail(out)}\n{_tail(err, 1500)}"
    assert PV_EOI_ON.findall(err) == ["0"], \
        f"the guest did not turn PV EOI on (CPUID 0x40000001 bit 6, MSR 0x4b564d04):\n" \
        f"{_tail(err, 1500)}"
    loc, tty = _irq_counts(got, "LOC:"), _irq_counts(got, "4:")
    assert len(loc) == 2 and len(tty) == 2, got
    assert loc[1][0] > loc[0][0] > 0, f"local timer interrupts stopped:\n{got}"
    assert tty[1][0] > tty[0][0], f"serial interrupts stopped:\n{got}"
    assert cmd_status == 0 and status == 0, f"status {cmd_status}/{status}\n{_tail(err, 1500)}"


def test_pv_unhalt_spinlocks_two_cpus():
    """--cpus 2: Linux takes PV unhalt (KVM_HC_KICK_CPU through VMMCALL) for
    its paravirtual spinlocks, whose waiters halt with interrupts off until
    kicked; both vCPUs use PV EOI; a contended workload on both (two
    pipelines writing into one tmpfs) finishes with the right results and
    both CPUs' timers keep counting."""
    _need_guest()
    # [b]: the pattern must not match the kernel's echo of this command line.
    cmd = ("dmesg | grep -c 'PV spinlocks ena[b]led'; cd /tmp; seq 1 100000 > a; "
           "for c in 0 1; do (taskset -c $c sh -c 'for i in 1 2 3 4; do cat a a > b$0; "
           "sha256sum b$0; done' $c > o$c; echo loop$c=$?) & done; wait; cat o0 o1; "
           "grep LOC: /proc/interrupts; sleep 1; grep LOC: /proc/interrupts")
    status, out, err, secs = _pv_boot(cmd, cpus=2)
    print(f"\nPV unhalt, --cpus 2: {secs:.1f} s")
    got, cmd_status = _cmd_output(out)
    assert got is not None, f"no {READY} ... RINGVM-CMD-EXIT (ringvm status {status}):\n" \
                            f"{_tail(out)}\n{_tail(err, 1500)}"
    lines = got.splitlines()
    assert lines[0] == "1", f"Linux did not enable PV spinlocks (KVM_FEATURE_PV_UNHALT):\n{got}"
    assert sorted(PV_EOI_ON.findall(err)) == ["0", "1"], _tail(err, 1500)
    assert sorted(l for l in lines if l.startswith("loop")) == ["loop0=0", "loop1=0"], got
    want = _host_sh("seq 1 100000 > /tmp/.pv$$; cat /tmp/.pv$$ /tmp/.pv$$ | sha256sum; "
                    "rm -f /tmp/.pv$$").split()[0]
    sums = [l for l in lines if re.match(r"^[0-9a-f]{64}  b[01]$", l)]
    assert sorted(sums) == sorted([f"{want}  b0"] * 4 + [f"{want}  b1"] * 4), got
    loc = _irq_counts(got, "LOC:")
    assert len(loc) == 2 and all(b > a for a, b in zip(loc[0], loc[1])), \
        f"a CPU's local timer stopped:\n{got}"
    assert cmd_status == 0 and status == 0, f"status {cmd_status}/{status}\n{_tail(err, 1500)}"
