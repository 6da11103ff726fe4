#!/bin/sh
# Builds ringvm's default guest into OUTDIR:
#   vmlinuz             Debian's cloud kernel (bzImage), from linux-image-cloud-amd64
#   vmlinux             the same kernel as an uncompressed ELF, for PVH boots
#   initramfs.cpio.gz   busybox-static, the virtio modules, and an /init that
#                       prints RINGVM-GUEST-READY and opens a shell on the console
#   modules.txt         the modules /init loads, in load order
# Nothing is fetched except with `apt-get download`. Cached: does nothing when
# every output exists and is newer than this script and its helper.
#
# usage: tools/mkguest.sh OUTDIR
set -eu

die() { echo "mkguest: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
MKCPIO=$HERE/mkcpio.py
META=linux-image-cloud-amd64
# The kernel modules the guest loads (plus whatever they depend on): the
# virtio transports and the devices ringvm offers, plus the ACPI power
# button and evdev so acpid can turn a button press into a clean poweroff.
WANT_MODULES="virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
virtio_mmio virtio_blk virtio_net virtio_console virtio-rng vmw_vsock_virtio_transport
button evdev"

fresh() {
	for f in vmlinuz vmlinux initramfs.cpio.gz modules.txt; do
		[ -s "$OUT/$f" ] || return 1
		[ "$OUT/$f" -nt "$0" ] && [ "$OUT/$f" -nt "$MKCPIO" ] || return 1
	done
}
if fresh; then
	exit 0
fi

for tool in apt-get dpkg-deb objcopy readelf python3 gzip; do
	command -v "$tool" >/dev/null 2>&1 || die "needs $tool (run tools/deps.sh)"
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: install busybox-static (tools/deps.sh)"

mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mkguest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
# apt drops privileges to _apt for downloads; let it write here.
chmod 0755 "$TMP"

# ---- the kernel package -----------------------------------------------------

apt_download() {
	(cd "$TMP" && apt-get download -q "$1" >/dev/null 2>"$TMP/apt.err")
}
fetch() {
	if ! apt_download "$1"; then
		# A fresh machine may have no package lists yet.
		if [ "$(id -u)" -eq 0 ]; then
			echo "mkguest: apt-get update" >&2
			DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
		fi
		apt_download "$1" || { cat "$TMP/apt.err" >&2; die "apt-get download $1 failed"; }
	fi
}

echo "mkguest: downloading $META" >&2
fetch "$META"
meta_deb=$(ls "$TMP"/${META}_*.deb 2>/dev/null | head -n 1)
[ -n "$meta_deb" ] || die "apt-get download $META left no .deb"
# The metapackage only depends on the versioned image package, e.g.
# "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)".
pkg=$(dpkg-deb -f "$meta_deb" Depends | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//' |
	grep -E '^linux-image-[0-9].*-cloud-amd64$' | head -n 1)
[ -n "$pkg" ] || die "cannot find the versioned kernel package in $META's Depends"
echo "mkguest: downloading $pkg" >&2
fetch "$pkg"
deb=$(ls "$TMP/${pkg}"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
mkdir "$TMP/pkg"
dpkg-deb -x "$deb" "$TMP/pkg"

vmlinuz=$(ls "$TMP"/pkg/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] || die "$pkg has no /boot/vmlinuz-*"
kver=${vmlinuz##*/vmlinuz-}
moddir=$TMP/pkg/lib/modules/$kver
[ -d "$moddir" ] || die "$pkg has no /lib/modules/$kver"

# ---- vmlinux: the ELF inside the bzImage --------------------------------------

# Linux x86 boot protocol (Documentation/arch/x86/boot.rst), setup header:
# setup_sects at 0x1f1 (0 means 4), and since protocol 2.08 payload_offset
# (0x248) / payload_length (0x24c), relative to the start of the protected-
# mode code, which follows the (setup_sects + 1) * 512 bytes of real-mode code.
le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
[ "$(od -An -c -j 0x202 -N4 "$vmlinuz" | tr -d ' ')" = "HdrS" ] || die "$vmlinuz: not a bzImage (no HdrS)"
setup_sects=$(u8 "$vmlinuz" 0x1f1)
[ "$setup_sects" -eq 0 ] && setup_sects=4
poff=$(le32 "$vmlinuz" 0x248)
plen=$(le32 "$vmlinuz" 0x24c)
start=$(( (setup_sects + 1) * 512 + poff ))
tail -c +$((start + 1)) "$vmlinuz" | head -c "$plen" > "$TMP/payload"
magic=$(od -An -tx1 -N6 "$TMP/payload" | tr -d ' ')
# The compressors the kernel may use (CONFIG_KERNEL_*), told apart by their
# stream magic; like scripts/extract-vmlinux we ignore a decompressor's
# complaint about the size word the kernel appends and check for an ELF.
case $magic in
1f8b*)         dec="gzip -dc" ;;
fd377a585a00)  dec="xz -dc --single-stream" ;;
5d0000*)       dec="xz -dc --format=lzma" ;;
28b52ffd*)     dec="zstd -dcq" ;;
02214c18*)     dec="lz4 -dcq" ;;
*)             die "$vmlinuz: unknown payload compression (magic $magic)" ;;
esac
command -v "${dec%% *}" >/dev/null 2>&1 || die "needs ${dec%% *} to unpack the kernel (tools/deps.sh)"
$dec < "$TMP/payload" > "$TMP/vmlinux" 2>/dev/null || true
[ "$(od -An -c -N4 "$TMP/vmlinux" | tr -d ' ')" = "177ELF" ] || die "$vmlinuz: payload did not decompress to an ELF"
# The PVH entry point is an ELF note named "Xen", type 18
# (XEN_ELFNOTE_PHYS32_ENTRY, include/xen/interface/elfnote.h).
if ! readelf -n "$TMP/vmlinux" 2>/dev/null | grep -q 'Xen.*0x00000012\|Xen.*Unknown note type: (0x00000012)\|PHYS32_ENTRY'; then
	echo "mkguest: warning: $kver vmlinux has no PVH entry note" >&2
fi

# ---- modules, in dependency order --------------------------------------------

# modules.dep is generated at install time (depmod), so the .deb has none:
# read each module's own "depends=" from its .modinfo section instead.
mkdir -p "$TMP/mods"
find "$moddir/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' |
while read -r f; do
	base=${f##*/}
	name=${base%%.ko*}
	case $base in
	*.ko.xz)  xz -dc "$f" > "$TMP/mods/$name.ko" ;;
	*.ko.zst) zstd -dcq "$f" > "$TMP/mods/$name.ko" ;;
	*.ko.gz)  gzip -dc "$f" > "$TMP/mods/$name.ko" ;;
	*)        ln -s "$f" "$TMP/mods/$name.ko" ;;
	esac
done

deps_of() {
	# Module names use '-' and '_' interchangeably; files keep the
	# spelling of the source, so try both.
	f=$TMP/mods/$1.ko
	[ -e "$f" ] || f=$TMP/mods/$(echo "$1" | tr '_-' '-_').ko
	[ -e "$f" ] || return 0
	objcopy -O binary --only-section=.modinfo "$f" /dev/stdout 2>/dev/null |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
file_of() {
	for n in "$1" "$(echo "$1" | tr '_-' '-_')"; do
		[ -e "$TMP/mods/$n.ko" ] && { echo "$n"; return 0; }
	done
	return 1
}
# Depth-first, dependencies before dependants; each module once.
: > "$TMP/order"
visit() {
	n=$(file_of "$1") || return 0        # built into the kernel
	grep -qx "$n" "$TMP/order" && return 0
	for d in $(deps_of "$n"); do
		visit "$d"
		n=$(file_of "$1")                # restore after recursion
	done
	grep -qx "$n" "$TMP/order" || echo "$n" >> "$TMP/order"
}
for m in $WANT_MODULES; do
	file_of "$m" >/dev/null || { echo "mkguest: note: $m is not a module in $kver" >&2; continue; }
	visit "$m"
done

# ---- initramfs ----------------------------------------------------------------

R=$TMP/root
mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/dev" "$R/proc" "$R/sys" \
	"$R/tmp" "$R/root" "$R/etc" "$R/lib/modules"
chmod 1777 "$R/tmp"
cp "$BUSYBOX" "$R/bin/busybox"
chmod 0755 "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
while read -r n; do
	cp -L "$TMP/mods/$n.ko" "$R/lib/modules/$n.ko"
done < "$TMP/order"
cp "$TMP/order" "$R/lib/modules/load-order"
echo "root:x:0:0:root:/root:/bin/sh" > "$R/etc/passwd"
echo "root:x:0:" > "$R/etc/group"
echo "ringvm" > "$R/etc/hostname"

# PID 1 is busybox init, so `poweroff` and `reboot` in the guest (and the
# ACPI power button, through acpid) shut the system down properly.
cat > "$R/init" <<'INIT'
#!/bin/sh
# ringvm default guest init (generated by tools/mkguest.sh).
/bin/busybox --install -s
exec /sbin/init
INIT
cat > "$R/etc/inittab" <<'TAB'
::sysinit:/etc/rc.boot
::once:/etc/rc.console
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
TAB
cat > "$R/etc/rc.boot" <<'BOOT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
hostname -F /etc/hostname
# Dependencies first (lib/modules/load-order); a device that is not there
# makes its driver's insmod fail, which is fine.
while read -r m; do
	insmod "/lib/modules/$m.ko" 2>/dev/null
done < /lib/modules/load-order
# acpid needs somewhere for its log and pid file, or it quits at once.
mkdir -p /var/log /var/run
acpid
echo RINGVM-GUEST-READY
BOOT
cat > "$R/etc/rc.console" <<'CON'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=${TERM:-linux}
cd /root
# ringvm.cmd=CMD or ringvm.cmd="CMD WITH SPACES" on the kernel command line:
# run it instead of the shell, report its status, power off.
cmd=$(sed -n 's/.*ringvm\.cmd="\([^"]*\)".*/\1/p; t; s/.*ringvm\.cmd=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$cmd" ]; then
	sh -c "$cmd"
	echo "RINGVM-CMD-EXIT $?"
	# Nothing else runs: skip init's SIGTERM/SIGKILL grace periods.
	sync
	poweroff -f
else
	# A session leader with the console as its controlling tty, so that
	# job control and Ctrl-C work.
	setsid cttyhack sh -l
fi
poweroff
CON
# busybox acpid runs CONFDIR/PWRF/00000080 when the power button is pressed.
mkdir -p "$R/etc/acpi/PWRF"
printf '#!/bin/sh\npoweroff\n' > "$R/etc/acpi/PWRF/00000080"
chmod 0755 "$R/etc/rc.boot" "$R/etc/rc.console" "$R/etc/acpi/PWRF/00000080"
chmod 0755 "$R/init"

python3 "$MKCPIO" "$R" "$TMP/initramfs.cpio.gz" c:5:1:600:/dev/console c:1:3:666:/dev/null

# ---- install ------------------------------------------------------------------

cp "$vmlinuz" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$TMP/vmlinux" "$OUT/vmlinux"
mv "$TMP/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
{ echo "# $pkg ($kver), load order"; cat "$TMP/order"; } > "$OUT/modules.txt.tmp"
mv "$OUT/modules.txt.tmp" "$OUT/modules.txt"
echo "mkguest: $OUT: $pkg, $(wc -l < "$TMP/order") modules" >&2
