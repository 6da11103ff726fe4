"""Tier 1: run every cmocka unit-test binary built by `make unit`."""
import subprocess

import pytest

from conftest import BUILD, ROOT

UNIT_SOURCES = sorted((ROOT / "tests" / "unit").glob("test_*.c"))


@pytest.mark.parametrize("src", UNIT_SOURCES, ids=lambda p: p.stem)
def test_unit(src):
    binary = BUILD / "tests" / "unit" / src.stem
    assert binary.exists(), f"{binary} was not built (make unit)"
    r = subprocess.run([str(binary)], capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    # cmocka's closing line: a binary that ran nothing has proven nothing.
    assert "[  PASSED  ]" in out, out[-2000:]
