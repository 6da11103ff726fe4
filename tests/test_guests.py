"""Tier 2: the freestanding test guests in tests/guests, under every
accelerator this host has, plus the command line's handling of bad input.

Each guest prints on COM1 (ringvm's stdout) and ends through the debug-exit
port; its serial output must equal tests/guests/<name>.expect exactly (the
guest sends "\\r\\n" line ends like a serial console; the .expect files hold
plain "\\n") and its exit status must be the one in GUESTS. Outputs under
different accelerators must be identical.
"""
import gzip
import os
import pathlib
import re
import shutil
import stat
import struct
import subprocess

import pytest

from conftest import RINGVM, ROOT

GUEST_DIR = ROOT / "tests" / "guests"
GUEST_BUILD = GUEST_DIR / "build"
RUN_TIMEOUT = 60        # seconds of wall time per guest, enforced by pytest
GUEST_TIMEOUT = 45      # ringvm's own --timeout, so a hang ends with 124 first

PASS_STATUS = (0x10 << 1) | 1   # EXIT_PASS written to port 0xf4
FAIL_STATUS = (0x11 << 1) | 1

# Every NAME.expect in tests/guests is a test guest; it must exit with
# PASS_STATUS unless listed here. None means "non-zero, and stderr must say
# why" (checked by a guest-specific test below).
STATUS_OVERRIDES = {
    "triple": None,
}
GUESTS = {p.stem: STATUS_OVERRIDES.get(p.stem, PASS_STATUS)
          for p in sorted(GUEST_DIR.glob("*.expect"))}


def test_every_guest_has_an_expectation():
    """Each .expect belongs to a guest source, the overrides name real
    guests, and the core set is there, so a guest cannot silently drop out
    of the suite. Guests without a .expect (bench_pio for bench/, echo for
    the console tests) are driven elsewhere."""
    sources = {p.stem for p in GUEST_DIR.glob("*.c")}
    assert set(GUESTS) <= sources, "a .expect file has no guest source"
    assert set(STATUS_OVERRIDES) <= set(GUESTS), "STATUS_OVERRIDES names an unknown guest"
    core = {"hello", "pio", "mmio", "hlt_pit", "cpuid", "triple", "i8042_reset",
            "exceptions", "longmode"}
    assert core <= set(GUESTS), f"missing: {core - set(GUESTS)}"


def _run(args, timeout=RUN_TIMEOUT, **kw):
    return subprocess.run([str(RINGVM)] + [str(a) for a in args],
                          capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)


def _run_guest(name, accel, extra=()):
    elf = GUEST_BUILD / f"{name}.elf"
    if not elf.exists():
        pytest.fail(f"{elf} is missing: run `make guests`")
    return _run(["run", "--kernel", elf, "--accel", accel, "--console", "stdio",
                 "--timeout", GUEST_TIMEOUT] + list(extra))


def _kvm_reason():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return f"/dev/kvm: {e.strerror}"
    os.close(fd)
    return None


def _host_has_hw_virt():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                return "vmx" in flags or "svm" in flags
    return False


# A guest whose source carries this marker needs a real VT-x/AMD-V KVM: on
# a host without vmx/svm, KVM runs guests in its in-kernel instruction
# emulator, which cannot do protected-mode IRET or INT n, 32-bit paging,
# SYSCALL's STAR selectors and more (tests/guests/EMU-BUGS.txt). Those
# guests still run under emu everywhere.
HW_MARKER = "ringvm-test: needs-hw-kvm"


def _needs_hw_kvm(name):
    src = GUEST_DIR / f"{name}.c"
    return src.exists() and HW_MARKER in src.read_text(errors="replace")


# emu is ringvm's own CPU and always built in: it is never skipped.
ACCELS = ["kvm", "emu"]


def _reason(accel, name=None):
    if accel != "kvm":
        return None
    reason = _kvm_reason()
    if reason is None and name and _needs_hw_kvm(name) and not _host_has_hw_virt():
        reason = ("this host's KVM has no vmx/svm underneath; its in-kernel instruction "
                  "emulator lacks what this guest tests (see tests/guests/EMU-BUGS.txt)")
    return reason


def _require(accel, name=None):
    reason = _reason(accel, name)
    if reason:
        pytest.skip(reason)


def _available(name=None):
    return [a for a in ACCELS if _reason(a, name) is None]


def _expected(name):
    text = (GUEST_DIR / f"{name}.expect").read_bytes()
    return text.replace(b"\n", b"\r\n")


_outputs = {}


@pytest.mark.parametrize("accel", ACCELS)
@pytest.mark.parametrize("name", sorted(GUESTS))
def test_guest(name, accel, ringvm):
    _require(accel, name)
    r = _run_guest(name, accel)
    _outputs[(name, accel)] = (r.stdout, r.returncode)
    err = r.stderr.decode(errors="replace")[-3000:]
    assert r.stdout == _expected(name), f"serial output differs\nstderr:\n{err}"
    want = GUESTS[name]
    if want is None:
        assert r.returncode not in (0, PASS_STATUS, 124), err
    else:
        assert r.returncode == want, f"exit status {r.returncode:#x}, want {want:#x}\n{err}"


def test_triple_fault_is_reported(ringvm):
    accels = _available()
    if not accels:
        pytest.skip("no accelerator available")
    for accel in accels:
        r = _run_guest("triple", accel)
        err = r.stderr.decode(errors="replace")
        assert r.returncode != 0 and r.returncode != 124, (accel, r.returncode, err)
        assert re.search(r"triple fault|shutdown", err, re.I), (accel, err)


def test_accelerators_agree(ringvm):
    """The same guest must behave identically under every accelerator."""
    if len(_available()) < 2:
        pytest.skip(f"only {_available() or 'no accelerator'} available: nothing to compare")
    for name in sorted(GUESTS):
        accels = _available(name)
        if len(accels) < 2:
            continue
        results = {}
        for accel in accels:
            if (name, accel) not in _outputs:
                r = _run_guest(name, accel)
                _outputs[(name, accel)] = (r.stdout, r.returncode)
            results[accel] = _outputs[(name, accel)]
        first = results[accels[0]]
        for accel in accels[1:]:
            assert results[accel] == first, f"{name}: {accels[0]} vs {accel}"


# ---- bad input ---------------------------------------------------------------

def _one_clear_line(r, must_name):
    err = r.stderr.decode(errors="replace")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "no message on stderr"
    assert any(must_name in ln for ln in lines), f"no line names {must_name!r}:\n{err}"
    # No register dumps or stack traces for a user mistake.
    assert len(lines) <= 3, f"too chatty for a bad input:\n{err}"
    assert r.stdout == b"", "wrote to stdout"
    return err


def test_missing_kernel(ringvm, tmp_path):
    path = tmp_path / "no-such-kernel"
    r = _run(["run", "--kernel", path, "--accel", "kvm"])
    assert r.returncode != 0
    _one_clear_line(r, str(path))


def test_empty_kernel(ringvm, tmp_path):
    path = tmp_path / "empty.elf"
    path.write_bytes(b"")
    r = _run(["run", "--kernel", path, "--accel", "kvm"])
    assert r.returncode != 0
    _one_clear_line(r, str(path))


def test_garbage_kernel(ringvm, tmp_path):
    path = tmp_path / "garbage.bin"
    # Fixed seed: the same bytes every run, and no accidental magic.
    data = bytes((i * 7919 + 13) * 2654435761 >> 13 & 0xff for i in range(64 * 1024))
    path.write_bytes(data)
    r = _run(["run", "--kernel", path, "--accel", "kvm"])
    assert r.returncode != 0
    _one_clear_line(r, str(path))


@pytest.mark.parametrize("keep", [64, 0x1010, 0x1400])
def test_truncated_elf(ringvm, tmp_path, keep):
    """Cut a valid guest short: inside the ELF header, just after the
    multiboot header, and inside the code. All must be refused up front."""
    src = (GUEST_BUILD / "hello.elf").read_bytes()
    assert len(src) > keep
    path = tmp_path / f"hello-{keep}.elf"
    path.write_bytes(src[:keep])
    r = _run(["run", "--kernel", path, "--accel", "kvm"], timeout=30)
    assert r.returncode not in (0, PASS_STATUS), "a truncated kernel ran"
    _one_clear_line(r, str(path))


def test_missing_initrd(ringvm, tmp_path):
    path = tmp_path / "no-such-initrd"
    r = _run(["run", "--kernel", GUEST_BUILD / "hello.elf", "--initrd", path, "--accel", "kvm"])
    assert r.returncode != 0
    _one_clear_line(r, str(path))


def test_unknown_flag(ringvm):
    r = _run(["run", "--kernel", GUEST_BUILD / "hello.elf", "--frobnicate"])
    assert r.returncode != 0
    err = r.stderr.decode()
    assert "--frobnicate" in err
    assert "help" in err, "no hint where to find the usage"


def test_unknown_command(ringvm):
    r = _run(["frobnicate"])
    assert r.returncode != 0
    assert "frobnicate" in r.stderr.decode()


@pytest.mark.parametrize("args,word", [
    (["--mem", "0"], "--mem"),
    (["--mem", "lots"], "--mem"),
    (["--cpus", "9"], "--cpus"),
    (["--cpus", "0"], "--cpus"),
    (["--accel", "warp"], "warp"),
    (["--console", "carrier-pigeon"], "carrier-pigeon"),
])
def test_bad_values(ringvm, args, word):
    # --accel kvm first so that "auto" finding nothing cannot mask the
    # value under test; a later --accel overrides it.
    r = _run(["run", "--kernel", GUEST_BUILD / "hello.elf", "--accel", "kvm"] + args)
    assert r.returncode != 0
    assert r.returncode != PASS_STATUS, "the guest ran anyway"
    err = r.stderr.decode()
    assert word in err, err
    assert r.stdout == b""


def test_run_without_kernel(ringvm):
    r = _run(["run"])
    assert r.returncode != 0
    assert "--kernel" in r.stderr.decode()


def test_version(ringvm):
    r = _run(["--version"])
    assert r.returncode == 0
    assert re.fullmatch(rb"ringvm \d+\.\d+\.\d+\S*\n", r.stdout), r.stdout


def test_help_run(ringvm):
    r = _run(["help", "run"])
    assert r.returncode == 0
    out = r.stdout.decode()
    for opt in ("--kernel", "--initrd", "--append", "--mem", "--cpus", "--accel", "--console"):
        assert opt in out, f"help run does not mention {opt}"


# ---- the default guest (tools/mkguest.sh) --------------------------------------

DEFAULT_GUEST = pathlib.Path(os.environ.get("RINGVM_GUEST", ROOT / "build" / "guest"))


def _default_guest():
    need = ["vmlinuz", "vmlinux", "initramfs.cpio.gz", "modules.txt"]
    missing = [n for n in need if not (DEFAULT_GUEST / n).exists()]
    if missing:
        pytest.skip(f"{DEFAULT_GUEST}: no {', '.join(missing)} (run tools/mkguest.sh {DEFAULT_GUEST})")
    return DEFAULT_GUEST


def _cpio_entries(path):
    """name -> (mode, rdevmajor, rdevminor, data) from a gzip'd newc archive."""
    data = gzip.decompress(path.read_bytes())
    out, off = {}, 0
    while True:
        assert data[off:off + 6] == b"070701", f"bad cpio magic at {off}"
        f = [int(data[off + 6 + 8 * i: off + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = data[off + 110: off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        body = data[off: off + size]
        off = (off + size + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, rmaj, rmin, body)


def test_default_guest_initramfs():
    g = _default_guest()
    ents = _cpio_entries(g / "initramfs.cpio.gz")
    mode, _, _, init = ents["init"]
    assert stat.S_ISREG(mode) and mode & 0o111, "init is not an executable file"
    assert b"exec /sbin/init" in init, "PID 1 must be busybox init (poweroff/reboot need it)"
    inittab = ents["etc/inittab"][3]
    assert b"::sysinit:/etc/rc.boot" in inittab and b"::once:/etc/rc.console" in inittab
    assert b"echo RINGVM-GUEST-READY" in ents["etc/rc.boot"][3]
    assert b"acpid" in ents["etc/rc.boot"][3], "no acpid: the power button would do nothing"
    assert b"poweroff" in ents["etc/acpi/PWRF/00000080"][3]
    console = ents["etc/rc.console"][3]
    assert b"RINGVM-CMD-EXIT" in console and b"poweroff" in console
    mode, _, _, busybox = ents["bin/busybox"]
    assert stat.S_ISREG(mode) and busybox[:4] == b"\x7fELF"
    mode, major, minor, _ = ents["dev/console"]
    assert stat.S_ISCHR(mode) and (major, minor) == (5, 1), "the kernel opens /dev/console for init"
    order = ents["lib/modules/load-order"][3].decode().split()
    for m in order:
        assert ents[f"lib/modules/{m}.ko"][3][:4] == b"\x7fELF", f"{m}.ko is not a plain ELF module"
    # Dependencies before dependants (each module's .modinfo depends=).
    for before, after in [("virtio_ring", "virtio"), ("virtio", "virtio_pci"),
                          ("virtio_pci_modern_dev", "virtio_pci"), ("failover", "net_failover"),
                          ("net_failover", "virtio_net"), ("virtio", "virtio_blk")]:
        assert before in order and after in order, (before, after, order)
        assert order.index(before) < order.index(after), f"{before} must load before {after}"


def test_default_guest_vmlinux_has_pvh_note():
    """vmlinux is the uncompressed kernel with the PVH entry note
    (an ELF note named "Xen" of type XEN_ELFNOTE_PHYS32_ENTRY = 18)."""
    g = _default_guest()
    elf = (g / "vmlinux").read_bytes()
    assert elf[:4] == b"\x7fELF" and elf[4] == 2, "not an ELF64"
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    found = False
    for i in range(phnum):
        ptype, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if ptype != 4:          # PT_NOTE
            continue
        pos, end = off, off + filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12: pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == 18:
                found = True
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    assert found, "no XEN_ELFNOTE_PHYS32_ENTRY note"


def test_default_guest_boots_under_qemu():
    """The guest itself works (independently of ringvm): QEMU's TCG boots
    it to the marker, the virtio drivers register, ringvm.cmd runs."""
    g = _default_guest()
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        pytest.skip("qemu-system-x86_64 not installed (tools/deps.sh)")
    r = subprocess.run([qemu, "-accel", "tcg", "-m", "256M", "-display", "none", "-serial", "stdio",
                        "-net", "none", "-no-reboot", "-kernel", g / "vmlinuz",
                        "-initrd", g / "initramfs.cpio.gz",
                        "-append", 'console=ttyS0 panic=-1 quiet '
                                   'ringvm.cmd="ls /sys/bus/virtio/drivers"'],
                       capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    out = r.stdout.decode(errors="replace")
    assert "RINGVM-GUEST-READY" in out, out[-3000:]
    assert "RINGVM-CMD-EXIT 0" in out, out[-3000:]
    for drv in ("virtio_blk", "virtio_net", "virtio_console", "virtio_rng"):
        assert drv in out.split("RINGVM-GUEST-READY", 1)[1], f"{drv} did not register"


# ---- --vcpu-sched (one thread per vCPU, or one thread for all) ---------------

@pytest.mark.parametrize("value", ["bogus", "", "thread", "SINGLE"])
def test_vcpu_sched_bad_value(ringvm, value):
    r = _run(["run", "--kernel", GUEST_BUILD / "hello.elf", "--accel", "emu",
              "--vcpu-sched", value])
    assert r.returncode == 2, f"exit status {r.returncode}"
    err = r.stderr.decode()
    assert "--vcpu-sched" in err and f"'{value}'" in err, err
    assert "threads" in err and "single" in err, f"the message does not name the choices:\n{err}"
    assert r.stdout == b"", "the guest ran anyway"


def test_vcpu_sched_needs_a_value(ringvm):
    r = _run(["run", "--kernel", GUEST_BUILD / "hello.elf", "--accel", "emu", "--vcpu-sched"])
    assert r.returncode == 2
    assert "--vcpu-sched" in r.stderr.decode()
    assert r.stdout == b""


def test_vcpu_sched_single_refused_under_kvm(ringvm):
    """KVM runs each vCPU on its own thread: single is an error, not a
    silent no-op, and it is refused before anything runs."""
    r = _run(["run", "--kernel", GUEST_BUILD / "hello.elf", "--accel", "kvm",
              "--vcpu-sched", "single"])
    assert r.returncode == 2, f"exit status {r.returncode}"
    err = r.stderr.decode()
    assert "--vcpu-sched single" in err and "emu" in err, err
    assert r.stdout == b"", "the guest ran anyway"


def test_vcpu_sched_in_help(ringvm):
    out = _run(["help", "run"]).stdout.decode()
    assert "--vcpu-sched" in out and "threads" in out and "single" in out, out


@pytest.mark.parametrize("cpus", [1, 2])
@pytest.mark.parametrize("sched", ["threads", "single"])
def test_vcpu_sched_runs_guest(ringvm, sched, cpus):
    """Both modes run a guest to its debug-exit with the expected output;
    with --cpus 2 the second vCPU waits for a SIPI that never comes, which
    the single thread must skip rather than wait on."""
    r = _run_guest("hlt_pit", "emu", ["--vcpu-sched", sched, "--cpus", str(cpus)])
    err = r.stderr.decode(errors="replace")[-2000:]
    assert r.stdout == _expected("hlt_pit"), f"serial output differs\n{err}"
    assert r.returncode == PASS_STATUS, f"exit status {r.returncode:#x}\n{err}"
