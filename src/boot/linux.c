/* Linux bzImage loader, entering the kernel through the 64-bit boot
 * protocol (Documentation/arch/x86/boot.rst: "The Real-Mode Kernel Header",
 * "Details of Header Fields", "64-bit Boot Protocol"; zero-page offsets from
 * Documentation/arch/x86/zero-page.rst). */
#include <errno.h>
#include <string.h>
#include "ringvm/boot.h"
#include "ringvm/e820.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

/* Setup header fields, as offsets in the file and in the zero page. */
#define HDR_SETUP_SECTS   0x1f1
#define HDR_BOOT_FLAG     0x1fe
#define HDR_JUMP          0x200
#define HDR_MAGIC         0x202
#define HDR_VERSION       0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS     0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE  0x21c
#define HDR_HEAP_END_PTR  0x224
#define HDR_CMD_LINE_PTR  0x228
#define HDR_INITRD_MAX    0x22c
#define HDR_KERNEL_ALIGN  0x230
#define HDR_RELOCATABLE   0x234
#define HDR_XLOADFLAGS    0x236
#define HDR_CMDLINE_SIZE  0x238
#define HDR_PREF_ADDRESS  0x258
#define HDR_INIT_SIZE     0x260
#define HDR_END_MAX       0x290  /* boot_params: hdr ends before edd_mbr_sig_buffer */

/* Zero-page fields outside the setup header (zero-page.rst). */
#define ZP_ACPI_RSDP_ADDR    0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE  0x0c4
#define ZP_EXT_CMD_LINE_PTR  0x0c8
#define ZP_E820_ENTRIES      0x1e8
#define ZP_E820_TABLE        0x2d0
#define ZP_E820_MAX          128

#define LOADED_HIGH   0x01
#define CAN_USE_HEAP  0x80
#define XLF_KERNEL_64 0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02

#define LINUX_LOAD_ADDR 0x100000ULL  /* protected-mode kernel, boot.rst "Loading the rest of the kernel" */

static int linux_probe(const uint8_t *img, size_t len)
{
	return len >= HDR_MAGIC + 4 && !memcmp(img + HDR_MAGIC, "HdrS", 4);
}

/* Where the kernel decompresses itself: a relocatable kernel rounds its
 * load address up to kernel_alignment but never goes below pref_address
 * (LOAD_PHYSICAL_ADDR); a fixed one always runs at pref_address
 * (arch/x86/boot/compressed/head_64.S, startup_64). */
static uint64_t linux_run_addr(const uint8_t *img)
{
	uint64_t pref = get_le64(img + HDR_PREF_ADDRESS);
	uint32_t align = get_le32(img + HDR_KERNEL_ALIGN);
	uint64_t run = LINUX_LOAD_ADDR;

	if (img[HDR_RELOCATABLE] && align && !(align & (align - 1)))
		run = ALIGN_UP(run, align);
	return run > pref ? run : pref;
}

static int linux_load(struct guest_mem *m, const struct boot_params_in *in,
		      struct boot_state *out, char *err, size_t errlen)
{
	const uint8_t *img = in->kernel;
	size_t len = in->kernel_len;
	uint64_t low_end = mem_low_end(m), run, init_size, kernel_end, initrd_addr = 0;
	size_t hdr_end, setup_size, pm_size;
	unsigned setup_sects, version;
	uint8_t *zp;
	struct e820_map map;
	int ret;

	/* Fast path first: unpack the vmlinux on the host and enter it
	 * through PVH (bzpvh.c); -ENOENT means it does not apply. */
	ret = bzimage_load_pvh(m, in, out, err, errlen);
	if (ret != -ENOENT)
		return ret;
	if (len < HDR_INIT_SIZE + 4)
		return boot_fail(err, errlen, -EINVAL,
				 "truncated bzImage: %zu bytes, the setup header needs %d", len,
				 HDR_INIT_SIZE + 4);
	version = get_le16(img + HDR_VERSION);
	if (version < 0x206)
		return boot_fail(err, errlen, -EINVAL,
				 "boot protocol %u.%02u is too old (need 2.06 or newer)",
				 version >> 8, version & 0xff);
	/* xloadflags, and with it the promise of an entry point at
	 * load address + 0x200, only exists from protocol 2.12 on. */
	if (version < 0x20c)
		return boot_fail(err, errlen, -EINVAL,
				 "boot protocol %u.%02u has no 64-bit entry point (need 2.12 with XLF_KERNEL_64)",
				 version >> 8, version & 0xff);
	if (!(get_le16(img + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return boot_fail(err, errlen, -EINVAL,
				 "kernel has no 64-bit entry point (XLF_KERNEL_64 clear in xloadflags)");
	if (get_le16(img + HDR_BOOT_FLAG) != 0xaa55)
		return boot_fail(err, errlen, -EINVAL, "boot_flag is 0x%04x, not 0xaa55",
				 get_le16(img + HDR_BOOT_FLAG));
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return boot_fail(err, errlen, -EINVAL,
				 "not a bzImage (LOADED_HIGH clear: zImage kernels are not supported)");
	/* The setup header ends at 0x202 + the byte at 0x201 (boot.rst). */
	hdr_end = HDR_MAGIC + img[HDR_JUMP + 1];
	if (hdr_end > HDR_END_MAX)
		hdr_end = HDR_END_MAX;
	if (hdr_end > len)
		return boot_fail(err, errlen, -EINVAL,
				 "truncated bzImage: setup header ends at 0x%zx, file is %zu bytes",
				 hdr_end, len);
	/* setup_sects 0 means 4 for compatibility (boot.rst). */
	setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	setup_size = (setup_sects + 1) * 512;
	if (setup_size >= len)
		return boot_fail(err, errlen, -EINVAL,
				 "setup_sects %u puts the kernel at 0x%zx, beyond the end of the file (%zu bytes)",
				 setup_sects, setup_size, len);
	pm_size = len - setup_size;

	run = linux_run_addr(img);
	init_size = get_le32(img + HDR_INIT_SIZE);
	if (LINUX_LOAD_ADDR + pm_size > low_end)
		return boot_fail(err, errlen, -ENOMEM,
				 "kernel (%zu bytes at 0x%llx) does not fit in RAM below 0x%llx",
				 pm_size, LINUX_LOAD_ADDR, (unsigned long long)low_end);
	if (run > low_end || init_size > low_end - run)
		return boot_fail(err, errlen, -ENOMEM,
				 "kernel needs 0x%llx bytes (init_size) at 0x%llx, but RAM below the hole ends at 0x%llx",
				 (unsigned long long)init_size, (unsigned long long)run,
				 (unsigned long long)low_end);
	kernel_end = run + init_size;
	if (kernel_end < LINUX_LOAD_ADDR + pm_size)
		kernel_end = LINUX_LOAD_ADDR + pm_size;

	if (in->initrd_len) {
		uint64_t max = (uint64_t)get_le32(img + HDR_INITRD_MAX) + 1;

		ret = boot_place_initrd(m, kernel_end, max < low_end ? max : low_end,
					in->initrd_len, &initrd_addr, err, errlen);
		/* A kernel that says so may get its initrd above 4 GiB
		 * through ext_ramdisk_image (xloadflags, boot.rst). */
		if (ret && (get_le16(img + HDR_XLOADFLAGS) & XLF_CAN_BE_LOADED_ABOVE_4G))
			ret = boot_place_initrd(m, MEM_HOLE_END, UINT64_MAX, in->initrd_len,
						&initrd_addr, err, errlen);
		if (ret)
			return boot_fail(err, errlen, ret,
					 "initrd (%zu bytes) does not fit in RAM between the kernel end 0x%llx and 0x%llx (initrd_addr_max/RAM end)",
					 in->initrd_len, (unsigned long long)kernel_end,
					 (unsigned long long)(max < low_end ? max : low_end));
	}

	/* Validation done; build the zero page. */
	zp = mem_ptr(m, BOOT_ZEROPAGE_ADDR, 4096);
	if (!zp)
		return boot_fail(err, errlen, -ENOMEM, "guest RAM too small for the zero page");
	memset(zp, 0, 4096);
	memcpy(zp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = 0xff;   /* undefined loader id */
	zp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	put_le16(zp + HDR_HEAP_END_PTR, 0xe000 - 0x200);
	put_le32(zp + HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	put_le32(zp + ZP_EXT_CMD_LINE_PTR, 0);
	/* Read by protocol 2.14+ kernels; older ones scan the BIOS area and
	 * find the same RSDP. */
	put_le64(zp + ZP_ACPI_RSDP_ADDR, ACPI_RSDP_ADDR);
	ret = boot_put_cmdline(m, in->cmdline, get_le32(img + HDR_CMDLINE_SIZE), err, errlen);
	if (ret)
		return ret;
	if (in->initrd_len) {
		put_le32(zp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_addr);
		put_le32(zp + HDR_RAMDISK_SIZE, (uint32_t)in->initrd_len);
		put_le32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_addr >> 32));
		put_le32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)in->initrd_len >> 32));
		if (mem_write(m, initrd_addr, in->initrd, in->initrd_len))
			return boot_fail(err, errlen, -EFAULT, "initrd write failed");
	}
	e820_build(m, &map);
	zp[ZP_E820_ENTRIES] = (uint8_t)map.nr;
	memcpy(zp + ZP_E820_TABLE, map.e, sizeof(map.e[0]) * (size_t)map.nr);

	if (mem_write(m, LINUX_LOAD_ADDR, img + setup_size, pm_size))
		return boot_fail(err, errlen, -EFAULT, "kernel write failed");
	ret = boot_write_tables(m, in->ncpus, err, errlen);
	if (ret)
		return ret;

	boot_regs_reset(out);
	if (boot_setup_segments(m, &out->sregs, 1) || boot_setup_longmode(m, &out->sregs))
		return boot_fail(err, errlen, -ENOMEM, "guest RAM too small for GDT/page tables");
	out->regs.rsi = BOOT_ZEROPAGE_ADDR;
	out->regs.rip = LINUX_LOAD_ADDR + 0x200;
	return 0;
}

const struct boot_loader boot_linux = {
	.name = "linux",
	.probe = linux_probe,
	.load = linux_load,
};
