"""Tier 5: replay every committed fuzz corpus through its target's replay
binary (plain cc build, no clang needed). A crash, abort, hang (the replay
binaries time inputs out themselves) or sanitizer report on any input fails
the test."""
import os
import subprocess

import pytest

from conftest import BUILD, ROOT

FUZZ = ROOT / "tests" / "fuzz"
OUT = BUILD / "tests" / "fuzz"
TARGETS = sorted(p.stem[len("fuzz_"):] for p in FUZZ.glob("fuzz_*.c"))


def build(name):
    # The Makefile knows each target's extra sources; build just this one
    # against this tree's library so one broken target does not hide another.
    binary = OUT / f"fuzz_{name}_replay"
    r = subprocess.run(["make", "-C", str(FUZZ), str(binary), f"BUILD={OUT}",
                        f"LIB={BUILD}/libringvm.a"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return binary


# The x86 corpus also runs with every block translated on its first run
# (src/cpu/x86/jit.c), so garbage instruction streams meet the translator.
CASES = [(t, "") for t in TARGETS] + [("x86", "1")]


@pytest.mark.parametrize("name,jit_hot", CASES)
def test_replay_corpus(name, jit_hot):
    binary = build(name)
    corpus = FUZZ / "corpus" / name
    files = [p for p in corpus.iterdir() if p.is_file()] if corpus.is_dir() else []
    assert files, f"{corpus} holds no inputs"
    env = dict(os.environ, RINGVM_JIT_HOT=jit_hot) if jit_hot else None
    r = subprocess.run([str(binary), str(corpus)], capture_output=True, text=True,
                       timeout=300, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert f"replayed {len(files)} inputs" in out, out[-2000:]
