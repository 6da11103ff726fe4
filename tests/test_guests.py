"""Tier 2: the freestanding test guests in tests/guests, under every
accelerator this host has, plus the command line's handling of bad input.

Each guest prints on COM1 (ringvm's stdout) and ends through the debug-exit
port; its serial output must equal tests/guests/<name>.expect exactly (the
guest sends "\\r\\n" line ends like a serial console; the .expect files hold
plain "\\n") and its exit status must be the one in GUESTS. Outputs under
different accelerators must be identical.
"""
import os
import re
import subprocess

import pytest

from conftest import RINGVM, ROOT

GUEST_DIR = ROOT / "tests" / "guests"
GUEST_BUILD = GUEST_DIR / "build"
RUN_TIMEOUT = 60        # seconds of wall time per guest, enforced by pytest
GUEST_TIMEOUT = 45      # ringvm's own --timeout, so a hang ends with 124 first

PASS_STATUS = (0x10 << 1) | 1   # EXIT_PASS written to port 0xf4
FAIL_STATUS = (0x11 << 1) | 1

# name -> expected exit status; None means "non-zero, and stderr must say
# why" (checked by a guest-specific test below).
GUESTS = {
    "hello": PASS_STATUS,
    "pio": PASS_STATUS,
    "mmio": PASS_STATUS,
    "hlt_pit": PASS_STATUS,
    "cpuid": PASS_STATUS,
    "triple": None,
    "i8042_reset": PASS_STATUS,
    "exceptions": PASS_STATUS,
    "longmode": PASS_STATUS,
}



def test_every_guest_has_an_expectation():
    """Every .expect belongs to a guest in the GUESTS table and back, so a
    guest cannot silently drop out of the suite. Guests without a .expect
    (bench_pio for bench/, echo for the console tests) are driven elsewhere."""
    sources = {p.stem for p in GUEST_DIR.glob("*.c")}
    expects = {p.stem for p in GUEST_DIR.glob("*.expect")}
    assert expects == set(GUESTS), "guest .expect files vs GUESTS table"
    assert set(GUESTS) <= sources, "GUESTS names a guest with no source"


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


# Messages with which ringvm turns down an accelerator it does not have
# (as opposed to one that is there but fails, which is a test failure).
_NOT_BUILT = re.compile(r"unknown accelerator|not built in|not (yet )?(available|supported|implemented)",
                        re.I)
_probe_cache = {}


def _emu_reason():
    if "emu" not in _probe_cache:
        reason = None
        if not RINGVM.exists():
            reason = f"{RINGVM} is missing"
        else:
            r = _run_guest("hello", "emu")
            err = r.stderr.decode(errors="replace")
            if r.returncode != PASS_STATUS and _NOT_BUILT.search(err):
                line = next((ln for ln in err.splitlines() if _NOT_BUILT.search(ln)), err)
                reason = f"ringvm has no emu accelerator yet: {line.strip()}"
        _probe_cache["emu"] = reason
    return _probe_cache["emu"]


ACCELS = ["kvm", "emu"]


def _require(accel):
    reason = _kvm_reason() if accel == "kvm" else _emu_reason()
    if reason:
        pytest.skip(reason)


def _available():
    return [a for a in ACCELS if (_kvm_reason() if a == "kvm" else _emu_reason()) is None]


def _expected(name):
    text = (GUEST_DIR / f"{name}.expect").read_bytes()
    return text.replace(b"\n", b"\r\n")


_outputs = {}


@pytest.mark.parametrize("accel", ACCELS)
@pytest.mark.parametrize("name", sorted(GUESTS))
def test_guest(name, accel, ringvm):
    _require(accel)
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
    accels = _available()
    if len(accels) < 2:
        pytest.skip(f"only {accels or 'no accelerator'} available: nothing to compare")
    for name in sorted(GUESTS):
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
