#!/bin/sh
# Installs the Debian packages ringvm's build, tests and benchmarks need,
# only if some are missing. Quiet when everything is present; safe in CI
# (root, no tty): apt runs non-interactively.
set -eu

# build: compiler, libraries (Zydis disassembles for --trace and the
#   differential tests; the compression libraries unpack kernels);
# tests: cmocka, pytest/pexpect, busybox-static and the unpackers
#   (xz, zstd, lz4, gzip, binutils' objcopy/readelf) for tools/mkguest.sh;
# bench and comparisons: qemu-system-x86; fuzzers: clang.
PKGS="build-essential gcc make binutils libcmocka-dev libzydis-dev
zlib1g-dev liblzma-dev liblz4-dev libzstd-dev
python3 python3-pytest python3-pexpect busybox-static cpio gzip xz-utils zstd lz4
qemu-system-x86 clang"

missing=""
for p in $PKGS; do
	# dpkg -s succeeds for removed-but-configured packages too; check the
	# Status line says "install ok installed".
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: need root (or sudo) to install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends $missing
