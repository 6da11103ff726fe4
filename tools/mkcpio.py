#!/usr/bin/python3
"""Write a gzip'd cpio "newc" archive of a directory tree, as the kernel's
initramfs unpacker expects (Documentation/driver-api/early-userspace/
buffer-format.rst), plus device nodes given on the command line.

Written here rather than with cpio(1) so that no root is needed for the
device nodes (/dev/console must exist before init runs: the kernel opens it
for init's stdin/stdout/stderr) and so that the archive is reproducible:
every entry is owned by root with a fixed mtime, in sorted order.

usage: mkcpio.py STAGING_DIR OUT.cpio.gz [c:MAJ:MIN:MODE:PATH ...]
"""
import gzip
import os
import stat
import sys

MTIME = 0


def header(ino, mode, nlink, size, rdev_major, rdev_minor, name):
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, MTIME, size, 0, 0,
              rdev_major, rdev_minor, len(namez), 0]
    h = b"070701" + b"".join(b"%08X" % f for f in fields) + namez
    return h + b"\0" * (-len(h) % 4)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    root, out = argv[1], argv[2]
    nodes = []
    for spec in argv[3:]:
        kind, major, minor, mode, path = spec.split(":", 4)
        if kind != "c":
            sys.stderr.write(f"mkcpio: only character nodes are supported: {spec}\n")
            return 2
        nodes.append((path.lstrip("/"), int(major), int(minor), int(mode, 8)))

    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            entries.append(rel)
        for f in sorted(filenames):
            entries.append(os.path.normpath(os.path.join(rel, f)))

    ino = 1
    with open(out + ".tmp", "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        for rel in entries:
            full = os.path.join(root, rel)
            st = os.lstat(full)
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISDIR(st.st_mode):
                gz.write(header(ino, stat.S_IFDIR | perm, 2, 0, 0, 0, rel))
            elif stat.S_ISLNK(st.st_mode):
                target = os.readlink(full).encode()
                gz.write(header(ino, stat.S_IFLNK | 0o777, 1, len(target), 0, 0, rel))
                gz.write(target + b"\0" * (-len(target) % 4))
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    data = f.read()
                gz.write(header(ino, stat.S_IFREG | perm, 1, len(data), 0, 0, rel))
                gz.write(data + b"\0" * (-len(data) % 4))
            else:
                sys.stderr.write(f"mkcpio: skipping special file {full}\n")
                continue
            ino += 1
        for path, major, minor, mode in nodes:
            gz.write(header(ino, stat.S_IFCHR | mode, 1, 0, major, minor, path))
            ino += 1
        gz.write(header(ino, 0, 1, 0, 0, 0, "TRAILER!!!"))
    os.replace(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
