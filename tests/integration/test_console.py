"""The stdio console on a real terminal: raw mode while the guest runs,
Ctrl-A x quits, and the terminal is restored afterwards however ringvm ends."""
import pathlib
import shlex

import pexpect
import pytest

from conftest import ROOT

ECHO = ROOT / "tests" / "guests" / "build" / "echo.elf"
HLT = ROOT / "tests" / "guests" / "build" / "hlt_pit.elf"


def _spawn(ringvm, guest, extra=""):
    if not guest.exists():
        pytest.fail(f"{guest} missing: make guests")
    # stty -g before and after, in the same pty, so the test sees exactly
    # what the user's shell would see.
    cmd = (f"stty -g; echo BEFORE-DONE; {shlex.quote(ringvm)} run --kernel {guest} "
           f"--accel kvm --timeout 60 -q {extra}; echo STATUS=$?; stty -g")
    child = pexpect.spawn("/bin/bash", ["-c", cmd], encoding="utf-8", timeout=60,
                          dimensions=(24, 80))
    child.expect(r"(\S+)\r?\nBEFORE-DONE")
    return child, child.match.group(1)


def _finish(child, before):
    child.expect(r"STATUS=(\d+)\r?\n(\S+)")
    status, after = int(child.match.group(1)), child.match.group(2)
    child.expect(pexpect.EOF)
    assert after == before, "terminal settings were not restored"
    return status


def test_ctrl_a_x_quits_and_restores(ringvm):
    child, before = _spawn(ringvm, ECHO)
    child.expect("echo: ready")
    child.send("z")
    child.expect("got z")
    child.send("\x01x")
    assert _finish(child, before) == 0


def test_raw_mode_passes_control_keys(ringvm):
    """Ctrl-C must reach the guest as a byte, not kill ringvm."""
    child, before = _spawn(ringvm, ECHO)
    child.expect("echo: ready")
    child.send("\x03")
    child.expect(r"got \?")
    child.send("\x01\x01")          # Ctrl-A Ctrl-A: a literal Ctrl-A
    child.expect(r"got \?")
    child.send("q")                 # the guest passes and exits
    child.expect("PASS")
    assert _finish(child, before) == 0x21


def test_guest_exit_restores(ringvm):
    child, before = _spawn(ringvm, HLT)
    child.expect("PASS")
    assert _finish(child, before) == 0x21


def test_sigterm_restores(ringvm):
    child, before = _spawn(ringvm, ECHO)
    child.expect("echo: ready")
    # Find ringvm among the shell's children and terminate it.
    import subprocess
    pid = subprocess.run(["pgrep", "-P", str(child.pid), "-f", "ringvm"],
                         capture_output=True, text=True).stdout.split()
    assert pid, "ringvm process not found"
    subprocess.run(["kill", "-TERM", pid[0]], check=True)
    assert _finish(child, before) == 128 + 15
