/* Multiboot version 1 (Multiboot Specification 0.6.96): ELF kernels and the
 * "a.out kludge" address fields, boot information with memory, command line,
 * modules and memory map. */
#include <errno.h>
#include <string.h>
#include "ringvm/boot.h"
#include "ringvm/e820.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

#define MB_MAGIC        0x1BADB002U
#define MB_BOOT_MAGIC   0x2BADB002U
#define MB_SEARCH       8192   /* header lies in the first 8 KiB, 4-byte aligned (3.1.1) */

/* Header flags (3.1.2). Bits 0-15 are requirements: a loader that does not
 * understand one must refuse the kernel. */
#define MBH_PAGE_ALIGN  (1U << 0)
#define MBH_MEMORY_INFO (1U << 1)
#define MBH_VIDEO_MODE  (1U << 2)
#define MBH_AOUT_KLUDGE (1U << 16)
#define MBH_KNOWN_REQ   (MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE)

/* Boot information flags and offsets (3.3). */
#define MBI_MEM         (1U << 0)
#define MBI_CMDLINE     (1U << 2)
#define MBI_MODS        (1U << 3)
#define MBI_MMAP        (1U << 6)
#define MBI_LOADER_NAME (1U << 9)
#define MBI_FLAGS       0
#define MBI_MEM_LOWER   4
#define MBI_MEM_UPPER   8
#define MBI_CMDLINE_PTR 16
#define MBI_MODS_COUNT  20
#define MBI_MODS_ADDR   24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR   48
#define MBI_LOADER_PTR  64
#define MBI_SIZE        0x78

/* Offset of a valid header, or -1. */
static long mb_find(const uint8_t *img, size_t len)
{
	size_t lim = len < MB_SEARCH ? len : MB_SEARCH;

	for (size_t off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = get_le32(img + off);

		if (magic == MB_MAGIC &&
		    (uint32_t)(magic + get_le32(img + off + 4) + get_le32(img + off + 8)) == 0)
			return (long)off;
	}
	return -1;
}

static int mb_probe(const uint8_t *img, size_t len)
{
	return mb_find(img, len) >= 0;
}

/* The a.out kludge: the header says which file bytes go where (3.1.3). */
static int mb_load_aout(struct guest_mem *m, const uint8_t *img, size_t len, size_t off,
			uint64_t *end, uint64_t *entry, char *err, size_t errlen)
{
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t file_off, load_len, mem_len;
	uint8_t *dst;

	if (off + 32 > len)
		return boot_fail(err, errlen, -EINVAL,
				 "truncated multiboot header: address fields beyond the end of the file");
	header_addr = get_le32(img + off + 12);
	load_addr = get_le32(img + off + 16);
	load_end = get_le32(img + off + 20);
	bss_end = get_le32(img + off + 24);
	*entry = get_le32(img + off + 28);
	if (load_addr > header_addr || header_addr - load_addr > off)
		return boot_fail(err, errlen, -EINVAL,
				 "multiboot load_addr 0x%x / header_addr 0x%x point before the start of the file",
				 load_addr, header_addr);
	file_off = off - (header_addr - load_addr);
	if (load_end && load_end < load_addr)
		return boot_fail(err, errlen, -EINVAL, "multiboot load_end_addr 0x%x is below load_addr 0x%x",
				 load_end, load_addr);
	load_len = load_end ? (uint64_t)load_end - load_addr : len - file_off;
	if (load_len > len - file_off)
		return boot_fail(err, errlen, -EINVAL,
				 "multiboot load_end_addr 0x%x is beyond the end of the file (%zu bytes)",
				 load_end, len);
	if (bss_end && bss_end < load_addr + load_len)
		return boot_fail(err, errlen, -EINVAL, "multiboot bss_end_addr 0x%x is below the loaded image",
				 bss_end);
	mem_len = bss_end ? (uint64_t)bss_end - load_addr : load_len;
	if (!mem_len)
		return boot_fail(err, errlen, -EINVAL, "multiboot image is empty");
	if (!boot_range_ok(load_addr, mem_len))
		return boot_fail(err, errlen, -EINVAL,
				 "image at 0x%x-0x%llx overlaps memory reserved for boot data/BIOS (below 1 MiB)",
				 load_addr, (unsigned long long)(load_addr + mem_len));
	dst = mem_ptr(m, load_addr, mem_len);
	if (!dst)
		return boot_fail(err, errlen, -ENOMEM,
				 "image at 0x%x-0x%llx is outside guest RAM (%llu MiB)", load_addr,
				 (unsigned long long)(load_addr + mem_len),
				 (unsigned long long)(m->ram_size / MiB));
	memcpy(dst, img + file_off, load_len);
	memset(dst + load_len, 0, mem_len - load_len);
	*end = load_addr + mem_len;
	return 0;
}

static int mb_load(struct guest_mem *m, const struct boot_params_in *in,
		   struct boot_state *out, char *err, size_t errlen)
{
	const uint8_t *img = in->kernel;
	size_t len = in->kernel_len;
	uint64_t end = 0, entry = 0, initrd_addr = 0, low_end = mem_low_end(m);
	uint8_t mbi[MBI_SIZE], mods[16], mmap[E820_MAX * 24];
	uint32_t flags, info = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
	struct e820_map map;
	long off;
	int ret;

	off = mb_find(img, len);
	if (off < 0)
		return boot_fail(err, errlen, -EINVAL, "no multiboot header in the first 8 KiB");
	flags = get_le32(img + off + 4);
	if (flags & 0xffff & ~MBH_KNOWN_REQ)
		return boot_fail(err, errlen, -EINVAL,
				 "multiboot header requires unsupported features (flags 0x%x)",
				 flags & 0xffff & ~MBH_KNOWN_REQ);
	/* MBH_VIDEO_MODE asks for a preferred mode only; with no framebuffer
	 * we leave the video fields out of the info (flags bits 11/12 clear),
	 * which the spec allows. */
	if (flags & MBH_AOUT_KLUDGE) {
		ret = mb_load_aout(m, img, len, (size_t)off, &end, &entry, err, errlen);
	} else {
		struct elf_image e;

		ret = elf_parse(&e, img, len, err, errlen);
		if (ret == -EINVAL && !elf_probe(img, len))
			return boot_fail(err, errlen, -EINVAL,
					 "multiboot kernel is not ELF and has no a.out address fields (flag 16)");
		if (!ret)
			ret = elf_load(m, &e, &end, err, errlen);
		entry = e.entry;
	}
	if (ret)
		return ret;
	if (entry >= MEM_HOLE_END || !mem_ptr(m, entry, 1))
		return boot_fail(err, errlen, -EINVAL, "multiboot entry point 0x%llx is not in RAM",
				 (unsigned long long)entry);
	ret = boot_put_cmdline(m, in->cmdline, BOOT_CMDLINE_MAX - 1, err, errlen);
	if (ret)
		return ret;

	memset(mbi, 0, sizeof(mbi));
	memset(mods, 0, sizeof(mods));
	if (in->initrd_len) {
		/* Module 0 is the initrd; page aligned whether or not
		 * MBH_PAGE_ALIGN asked for it. */
		ret = boot_place_initrd(m, end, low_end, in->initrd_len, &initrd_addr, err, errlen);
		if (ret)
			return ret;
		if (mem_write(m, initrd_addr, in->initrd, in->initrd_len))
			return boot_fail(err, errlen, -EFAULT, "initrd write failed");
		put_le32(mods, (uint32_t)initrd_addr);
		put_le32(mods + 4, (uint32_t)(initrd_addr + in->initrd_len));
		put_le32(mods + 8, (uint32_t)BOOT_MODSTR_ADDR);
		put_le32(mbi + MBI_MODS_COUNT, 1);
	}
	e820_build(m, &map);
	/* mmap entries: size (of the rest, 20), base, length, type; the size
	 * field comes first and mmap_addr points at it (3.3). */
	for (int i = 0; i < map.nr; i++) {
		put_le32(mmap + i * 24, 20);
		put_le64(mmap + i * 24 + 4, map.e[i].addr);
		put_le64(mmap + i * 24 + 12, map.e[i].size);
		put_le32(mmap + i * 24 + 20, map.e[i].type);
	}
	put_le32(mbi + MBI_FLAGS, info);
	/* mem_lower: KiB from 0 (at most 640); mem_upper: KiB from 1 MiB to
	 * the first hole. */
	put_le32(mbi + MBI_MEM_LOWER, (uint32_t)((low_end < BOOT_EBDA_START ? low_end : BOOT_EBDA_START) / KiB));
	put_le32(mbi + MBI_MEM_UPPER,
		 (uint32_t)(low_end > BOOT_HIGH_START ? (low_end - BOOT_HIGH_START) / KiB : 0));
	put_le32(mbi + MBI_CMDLINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	put_le32(mbi + MBI_MODS_ADDR, (uint32_t)BOOT_MODLIST_ADDR);
	put_le32(mbi + MBI_MMAP_LENGTH, (uint32_t)map.nr * 24);
	put_le32(mbi + MBI_MMAP_ADDR, (uint32_t)BOOT_MEMMAP_ADDR);
	put_le32(mbi + MBI_LOADER_PTR, (uint32_t)BOOT_LDRNAME_ADDR);
	if (mem_write(m, BOOT_MODSTR_ADDR, "initrd", 7) ||
	    mem_write(m, BOOT_LDRNAME_ADDR, "ringvm", 7) ||
	    mem_write(m, BOOT_MODLIST_ADDR, mods, sizeof(mods)) ||
	    mem_write(m, BOOT_MEMMAP_ADDR, mmap, (uint64_t)map.nr * 24) ||
	    mem_write(m, BOOT_INFO_ADDR, mbi, sizeof(mbi)))
		return boot_fail(err, errlen, -ENOMEM, "guest RAM too small for the multiboot info");
	ret = boot_finish_flat32(m, in->ncpus, entry, out, err, errlen);
	if (ret)
		return ret;
	/* Machine state (3.2): EAX magic besides EBX info. */
	out->regs.rax = MB_BOOT_MAGIC;
	return 0;
}

const struct boot_loader boot_multiboot = {
	.name = "multiboot",
	.probe = mb_probe,
	.load = mb_load,
};
