"""Tier 5: replay every committed fuzz corpus through its target's replay
binary (plain cc build, no clang needed). A crash, abort or sanitizer report
on any input fails the test."""
import subprocess

import pytest

from conftest import BUILD, ROOT

FUZZ = ROOT / "tests" / "fuzz"
TARGETS = sorted(p.stem[len("fuzz_"):] for p in FUZZ.glob("fuzz_*.c"))


@pytest.fixture(scope="module")
def replay_bins():
    # Build (or confirm up to date) the replay binaries against this tree's
    # library; the Makefile knows each target's extra sources.
    r = subprocess.run(["make", "-C", str(FUZZ), "replay", f"BUILD={BUILD}/tests/fuzz",
                        f"LIB={BUILD}/libringvm.a"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return BUILD / "tests" / "fuzz"


@pytest.mark.parametrize("name", TARGETS)
def test_replay_corpus(replay_bins, name):
    binary = replay_bins / f"fuzz_{name}_replay"
    corpus = FUZZ / "corpus" / name
    assert binary.exists(), f"{binary} missing"
    files = [p for p in corpus.iterdir() if p.is_file()] if corpus.is_dir() else []
    assert files, f"{corpus} holds no inputs"
    r = subprocess.run([str(binary), str(corpus)], capture_output=True, text=True,
                       timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert f"replayed {len(files)} inputs" in out, out[-2000:]
