"""Debian's kernel under emu with the block translator pushed to its edges,
and with it off: the same workload must give the host's answers.

  translate-all  RINGVM_JIT_HOT=1 (every block translated on its first run)
                 and RINGVM_JIT_KIB=64 (the code buffer fills and starts
                 over thousands of times, dropping every translation and
                 link slot while blocks keep linking into each other), on
                 2 vCPUs: each has its own translations of shared code
  interpreter    RINGVM_JIT=0: the decoded-block interpreter alone

The default (translate on the 16th run) is what test_linux.py boots.
"""
import os
import re
import subprocess

import pytest

from conftest import GUEST, RINGVM

VMLINUZ = GUEST / "vmlinuz"
INITRD = GUEST / "initramfs.cpio.gz"
BUSYBOX = "/bin/busybox"
TIMEOUT = 480

# Integer work, string functions (SSE2 in busybox's libc), a compressor
# and a sort: each line's output is compared with the host's busybox.
WORKLOAD = ("cd /tmp; seq 1 150000 > a; sha256sum < a; gzip -c a | gunzip | md5sum; "
            "sort -r a | head -c 100000 | sha1sum; "
            "awk 'BEGIN { s = 0; for (i = 1; i <= 200000; i++) s = (s * 31 + i) % 1000003; "
            "print s }'")

MODES = {
    "translate-all": ({"RINGVM_JIT_HOT": "1", "RINGVM_JIT_KIB": "64"}, 2),
    "interpreter": ({"RINGVM_JIT": "0"}, 1),
}


pytestmark = pytest.mark.linux


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """The workload on the host with busybox's applets, as in the guest."""
    base = tmp_path_factory.mktemp("jit-host")
    (base / "bin").mkdir()
    subprocess.run([BUSYBOX, "--install", "-s", str(base / "bin")], check=True, timeout=60)
    r = subprocess.run([BUSYBOX, "sh", "-c", WORKLOAD.replace("cd /tmp; ", "")], cwd=base,
                       capture_output=True, text=True, timeout=120,
                       env={"PATH": str(base / "bin"), "LC_ALL": "C"})
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("mode", sorted(MODES))
def test_workload_matches_host(host, mode):
    if not VMLINUZ.exists() or not INITRD.exists():
        pytest.fail(f"{GUEST} is missing: run `make guest`")
    extra, cpus = MODES[mode]
    env = dict(os.environ, **extra)
    append = f'console=ttyS0 quiet ringvm.cmd="{WORKLOAD}"'
    r = subprocess.run([str(RINGVM), "run", "--accel", "emu", "--kernel", str(VMLINUZ),
                        "--initrd", str(INITRD), "--mem", "256M", "--cpus", str(cpus),
                        "--append", append, "--console", "stdio", "--timeout", str(TIMEOUT)],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env,
                       timeout=TIMEOUT + 60)
    out = r.stdout.decode(errors="replace").replace("\r", "")
    m = re.search(r"RINGVM-GUEST-READY\n(.*?)RINGVM-CMD-EXIT (\d+)", out, re.S)
    assert m, f"no command output (ringvm status {r.returncode}):\n{out[-3000:]}\n" \
              f"{r.stderr.decode(errors='replace')[-1500:]}"
    assert m.group(1).split() == host.split(), \
        f"{mode}: guest and host differ\nguest:\n{m.group(1)}\nhost:\n{host}"
    assert m.group(2) == "0"
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-1500:]
