"""Tier 3: differential CPU tests (host CPU vs ringvm's emulator) and the
decoder's instruction lengths against Zydis. Built by `make diff`."""
import re
import subprocess

import pytest

from conftest import BUILD

DIFF = BUILD / "tests" / "diff"
# A run that covers less than this has silently lost most of its table.
MIN_FORMS = 1200
MIN_CASES = 1_200_000


def run(binary, *args, timeout):
    path = DIFF / binary
    if not path.exists():
        pytest.fail(f"{path} was not built (make diff)")
    r = subprocess.run([str(path), *args], capture_output=True, text=True,
                       timeout=timeout)
    return r, r.stdout + r.stderr


def diffrun(*args, per_form):
    """Runs diffrun; it must report 0 mismatches, exit 0, cover at least
    MIN_FORMS forms and run per_form cases of each. Returns (forms, cases)."""
    r, out = run("diffrun", "-n", str(per_form), *args, timeout=600)
    m = re.search(r"^diff: (\d+) forms, (\d+) cases, (\d+) mismatches$", out, re.M)
    assert m, out[-4000:]
    forms, cases, mismatches = map(int, m.groups())
    print(m.group(0))
    assert mismatches == 0, out[-12000:]
    assert r.returncode == 0, out[-4000:]
    assert forms >= MIN_FORMS and cases >= forms * per_form, out[-4000:]
    return forms, cases


def test_diffrun():
    # 1000 cases per form: about 10 s of CPU; `diffrun -n` and `-s` run
    # more by hand.
    _, cases = diffrun(per_form=1000)
    assert cases >= MIN_CASES


def test_diffrun_cpl0():
    # The same user-level forms with the emulated side at CPL 0: supervisor
    # page walks and exception delivery without a stack switch.
    diffrun("-k", "-s", "0x0c0de", per_form=300)


@pytest.mark.parametrize("cpl", [3, 0])
def test_diffrun_translated(cpl):
    # diffrun -b: each form runs as one whole block translated on its
    # first run (src/cpu/x86/jit.c), so the translator's native forms,
    # register cache and lazy-flag records face the host CPU too. Planting
    # a wrong flag record for ADD in jit.c makes this fail by the hundreds.
    diffrun("-b", *(["-k", "-s", "0x0c0de"] if cpl == 0 else []), per_form=400)


def test_decoder_lengths():
    r, out = run("declen", "-n", "1000000", timeout=300)
    m = re.search(r"^declen: (\d+) streams, (\d+) compared, (\d+) mismatches$", out, re.M)
    assert m, out[-4000:]
    streams, compared, mismatches = map(int, m.groups())
    print(m.group(0))
    assert mismatches == 0, out[-8000:]
    assert r.returncode == 0, out[-4000:]
    # Most random streams start with a supported opcode; if few compare,
    # the decoder rejects far too much.
    assert compared > streams // 4, out[-4000:]
