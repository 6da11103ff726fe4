"""--trace: the software CPU writes each executed instruction, disassembled,
to a file, at most --trace-limit lines."""
import re
import subprocess

from conftest import ROOT

HELLO = ROOT / "tests" / "guests" / "build" / "hello.elf"


def _run(ringvm, *args):
    return subprocess.run([ringvm, "run", "--kernel", str(HELLO), "--accel", "emu",
                           "--timeout", "30", "-q", *args],
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def test_trace_limit_and_format(ringvm, tmp_path):
    out = tmp_path / "trace.txt"
    r = _run(ringvm, "--trace", str(out), "--trace-limit", "50")
    assert r.returncode == 0x21, r.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 50
    # "rip: bytes  mnemonic operands", starting at the multiboot entry.
    for ln in lines:
        assert re.match(r"^[0-9a-f]{16}: ([0-9a-f]{2})+\s+\S", ln), ln
    assert lines[0].split()[-1] == "cli", lines[0]
    rips = [int(ln.split(":")[0], 16) for ln in lines]
    assert all(0x100000 <= rip < 0x200000 for rip in rips)


def test_trace_unwritable_path(ringvm, tmp_path):
    bad = tmp_path / "no-such-dir" / "trace.txt"
    r = _run(ringvm, "--trace", str(bad))
    assert r.returncode not in (0, 0x21)
    assert str(bad) in r.stderr.decode()
