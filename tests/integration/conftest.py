"""Integration tests (tier 4): real guests driven through the console.

Registers the `linux` marker (tests that boot the default Linux guest from
build/guest; `pytest -m "not linux"` leaves them out).

pytest imports every conftest.py that is not in a package under the module
name "conftest", the last one replacing the one before; the test modules in
this directory do `from conftest import ROOT`, so the shared names of
tests/conftest.py are re-exported here. Its fixtures (ringvm, build_dir)
reach this directory anyway, through pytest's conftest inheritance.
"""
import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location(
    "ringvm_tests_conftest", pathlib.Path(__file__).resolve().parent.parent / "conftest.py")
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)

ROOT = _base.ROOT
RINGVM = _base.RINGVM
BUILD = _base.BUILD
GUEST = ROOT / "build" / "guest"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "linux: boots the default Linux guest (build/guest) under --accel emu")
