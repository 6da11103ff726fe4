"""Shared pytest fixtures: where the ringvm binary and build outputs are."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
RINGVM = pathlib.Path(os.environ.get("RINGVM", ROOT / "ringvm"))
BUILD = pathlib.Path(os.environ.get("BUILD", ROOT / "build" / "rel"))


@pytest.fixture(scope="session")
def ringvm():
    if not RINGVM.exists():
        pytest.fail(f"{RINGVM} is missing: run make first")
    return str(RINGVM)


@pytest.fixture(scope="session")
def build_dir():
    return BUILD
