#!/usr/bin/python3
"""Write the seed corpus for tests/fuzz/fuzz_boot.c: tiny bzImage, PVH ELF
and multiboot kernels, valid ones and broken ones, each a few KiB.

Usage: tools/gen-boot-corpus.py [OUTDIR]   (default tests/fuzz/corpus/boot)
The files are committed; rerun only when the formats the loaders accept
change. Output is deterministic."""
import gzip
import lzma
import os
import struct
import sys


def bzimage(version=0x20F, xlf=0x3, setup_sects=1, payload=512, init_size=0x10000,
            loadflags=0x01, boot_flag=0xAA55, cmdline_size=255):
    setup = (setup_sects or 4) + 1
    b = bytearray(setup * 512 + payload)
    b[0x1F1] = setup_sects
    struct.pack_into("<H", b, 0x1FE, boot_flag)
    b[0x200] = 0xEB
    b[0x201] = 0x66
    b[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", b, 0x206, version)
    b[0x211] = loadflags
    struct.pack_into("<I", b, 0x22C, 0x7FFFFFFF)
    struct.pack_into("<I", b, 0x230, 0x200000)
    b[0x234] = 1
    struct.pack_into("<H", b, 0x236, xlf)
    struct.pack_into("<I", b, 0x238, cmdline_size)
    struct.pack_into("<Q", b, 0x258, 0x100000)
    struct.pack_into("<I", b, 0x260, init_size)
    for i in range(payload):
        b[setup * 512 + i] = (i * 7) & 0xFF
    return bytes(b)


def bz_with_payload(payload, vlen):
    """bzImage (protocol 2.15) whose payload is a compressed vmlinux: the
    loader unpacks it on the host and boots it through PVH."""
    b = bytearray(bzimage(payload=0x100))
    b += payload + struct.pack("<I", vlen)
    struct.pack_into("<I", b, 0x248, 0x100)
    struct.pack_into("<I", b, 0x24C, len(payload) + 4)
    return bytes(b)


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda x: x + b"\0" * (-len(x) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def elf(is64, entry, segs):
    """segs: list of (type, paddr, memsz, data)."""
    ehs, phs = (64, 56) if is64 else (52, 32)
    off = (ehs + phs * len(segs) + 15) & ~15
    hdr = bytearray(ehs)
    hdr[0:7] = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1])
    if is64:
        struct.pack_into("<HHIQQQIHHHHHH", hdr, 16, 2, 62, 1, entry, 64, 0, 0, 64, 56, len(segs), 0, 0, 0)
    else:
        struct.pack_into("<HHIIIIIHHHHHH", hdr, 16, 2, 3, 1, entry, 52, 0, 0, 52, 32, len(segs), 0, 0, 0)
    ph, body = b"", b""
    for typ, paddr, memsz, data in segs:
        o = off + len(body)
        if is64:
            ph += struct.pack("<IIQQQQQQ", typ, 7, o, paddr, paddr, len(data), memsz, 16)
        else:
            ph += struct.pack("<IIIIIIII", typ, o, paddr, paddr, len(data), memsz, 7, 16)
        body += data + b"\0" * (-len(data) % 16)
    img = bytes(hdr) + ph
    return img + b"\0" * (off - len(img)) + body


def mb_header(flags, extra=b""):
    magic = 0x1BADB002
    return struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF) + extra


def pvh(is64=True, entry=0x100010, dsz=8, segs=None):
    desc = struct.pack("<Q", entry)[:dsz]
    n = note("Xen", 6, b"linux\0") + note("Xen", 18, desc)
    code = bytes((i * 13) & 0xFF for i in range(256))
    segs = segs if segs is not None else [(1, 0x100000, 0x2000, code)]
    return elf(is64, entry, segs + [(4, 0, len(n), n)])


def mb_elf(flags=0x3, paddr=0x100000):
    text = mb_header(flags) + b"\x90" * 244
    return elf(False, paddr + 12, [(1, paddr, 0x1000, text)])


def mb_aout(load_end=0, bss_end=0x202000, header_addr=0x200040):
    b = bytearray(0x400)
    hdr = mb_header(0x10003, struct.pack("<IIIII", header_addr, 0x200000, load_end, bss_end, 0x200100))
    b[0x40:0x40 + len(hdr)] = hdr
    return bytes(b)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/boot"
    os.makedirs(out, exist_ok=True)
    good_bz = bzimage()
    files = {
        "bz-good": good_bz,
        "bz-good-initrd": good_bz + b"\x01",       # odd last byte: fuzz_boot adds an initrd
        "bz-old-protocol": bzimage(version=0x205),
        "bz-no-64bit": bzimage(xlf=0),
        "bz-proto-2.10": bzimage(version=0x20A),
        "bz-setup-beyond": good_bz[:0x1F1] + b"\x28" + good_bz[0x1F2:],
        "bz-zero-setup": bzimage(setup_sects=0),
        "bz-huge-init": bzimage(init_size=0x7FFFFFFF),
        "bz-zimage": bzimage(loadflags=0),
        "bz-truncated": good_bz[:0x230],
        "pvh64-good": pvh(),
        "pvh32-good": pvh(is64=False, dsz=4),
        "pvh-bad-note": pvh(dsz=3),
        "pvh-entry-high": pvh(entry=0x1_0010_0000),
        "pvh-overlap": pvh(segs=[(1, 0x100000, 0x2000, b"a" * 64), (1, 0x101000, 0x100, b"b" * 64)]),
        "pvh-outside-ram": pvh(segs=[(1, 0x7F00000, 0x200000, b"c" * 64)]),
        "pvh-low": pvh(segs=[(1, 0x7000, 0x100, b"d" * 64)]),
        "pvh-truncated": pvh()[:100],
        "mb-elf-good": mb_elf(),
        "mb-elf-video": mb_elf(flags=0x7),
        "mb-elf-unknown-flag": mb_elf(flags=0x3 | 0x8),
        "mb-aout-good": mb_aout(),
        "mb-aout-load-end": mb_aout(load_end=0x200300),
        "mb-aout-bad-header-addr": mb_aout(header_addr=0x1FFF00),
        "mb-aout-bss-past-ram": mb_aout(bss_end=0x4000000),
        "bzpvh-gzip": bz_with_payload(gzip.compress(pvh(), mtime=0), len(pvh())),
        "bzpvh-xz": bz_with_payload(lzma.compress(pvh(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32), len(pvh())),
        "bzpvh-lzma": bz_with_payload(lzma.compress(pvh(), format=lzma.FORMAT_ALONE), len(pvh())),
        "bzpvh-bad-size": bz_with_payload(gzip.compress(pvh(), mtime=0), len(pvh()) + 1),
        "elf-plain": elf(True, 0x100000, [(1, 0x100000, 0x100, b"e" * 32)]),
        "garbage": bytes((i * 31 + 7) & 0xFF for i in range(300)),
        "empty-ish": b"\0",
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(files)} files to {out}")


if __name__ == "__main__":
    main()
