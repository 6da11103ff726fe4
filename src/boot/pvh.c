/* ELF kernels with a PVH entry point: Linux vmlinux built with
 * CONFIG_PVH, and other PVH-capable kernels. The entry point comes from the
 * XEN_ELFNOTE_PHYS32_ENTRY note; the handoff follows Xen's
 * docs/misc/pvh.pandoc and xen/include/public/arch-x86/hvm/start_info.h. */
#include <errno.h>
#include <string.h>
#include "ringvm/boot.h"
#include "ringvm/e820.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578
#define HVM_START_VERSION 1   /* version 1 adds memmap_paddr/memmap_entries */

/* struct hvm_start_info */
#define SI_MAGIC          0
#define SI_VERSION        4
#define SI_FLAGS          8
#define SI_NR_MODULES     12
#define SI_MODLIST_PADDR  16
#define SI_CMDLINE_PADDR  24
#define SI_RSDP_PADDR     32
#define SI_MEMMAP_PADDR   40
#define SI_MEMMAP_ENTRIES 48
#define SI_SIZE           56
#define MOD_SIZE          32   /* hvm_modlist_entry: paddr, size, cmdline_paddr, reserved */
#define MEMMAP_SIZE       24   /* hvm_memmap_table_entry: addr, size, type, reserved */

static int pvh_entry(const struct elf_image *e, uint64_t *entry)
{
	const uint8_t *desc;
	uint32_t dsz;

	if (elf_find_note(e, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &dsz) != 1)
		return -ENOENT;
	/* Linux emits the address as .long or .quad depending on the build. */
	if (dsz == 4)
		*entry = get_le32(desc);
	else if (dsz == 8)
		*entry = get_le64(desc);
	else
		return -EINVAL;
	return 0;
}

static int pvh_probe(const uint8_t *img, size_t len)
{
	struct elf_image e;
	uint64_t entry;

	if (!elf_probe(img, len) || elf_parse(&e, img, len, NULL, 0))
		return 0;
	return pvh_entry(&e, &entry) != -ENOENT;
}

static int pvh_load(struct guest_mem *m, const struct boot_params_in *in,
		    struct boot_state *out, char *err, size_t errlen)
{
	uint64_t entry, end, initrd_addr = 0, low_end = mem_low_end(m);
	uint8_t si[SI_SIZE], mod[MOD_SIZE], mm[E820_MAX * MEMMAP_SIZE];
	struct elf_image e;
	struct e820_map map;
	int ret;

	ret = elf_parse(&e, in->kernel, in->kernel_len, err, errlen);
	if (ret)
		return ret;
	ret = pvh_entry(&e, &entry);
	if (ret)
		return boot_fail(err, errlen, -EINVAL, "malformed PVH entry note (Xen PHYS32_ENTRY)");
	/* The entry runs in 32-bit protected mode with paging off. */
	if (entry >= MEM_HOLE_END)
		return boot_fail(err, errlen, -EINVAL, "PVH entry point 0x%llx is above 4 GiB",
				 (unsigned long long)entry);
	ret = elf_load(m, &e, &end, err, errlen);
	if (ret)
		return ret;
	if (!mem_ptr(m, entry, 1))
		return boot_fail(err, errlen, -EINVAL, "PVH entry point 0x%llx is not in RAM",
				 (unsigned long long)entry);
	ret = boot_put_cmdline(m, in->cmdline, BOOT_CMDLINE_MAX - 1, err, errlen);
	if (ret)
		return ret;

	memset(si, 0, sizeof(si));
	if (in->initrd_len) {
		/* Everything in start_info must be reachable from 32-bit
		 * protected mode, so the module stays below 4 GiB. */
		ret = boot_place_initrd(m, end, low_end, in->initrd_len, &initrd_addr, err, errlen);
		if (ret)
			return ret;
		if (mem_write(m, initrd_addr, in->initrd, in->initrd_len) ||
		    mem_write(m, BOOT_MODSTR_ADDR, "initrd", 7))
			return boot_fail(err, errlen, -EFAULT, "initrd write failed");
		memset(mod, 0, sizeof(mod));
		put_le64(mod, initrd_addr);
		put_le64(mod + 8, in->initrd_len);
		put_le64(mod + 16, BOOT_MODSTR_ADDR);
		if (mem_write(m, BOOT_MODLIST_ADDR, mod, sizeof(mod)))
			return boot_fail(err, errlen, -EFAULT, "module list write failed");
		put_le32(si + SI_NR_MODULES, 1);
		put_le64(si + SI_MODLIST_PADDR, BOOT_MODLIST_ADDR);
	}
	e820_build(m, &map);
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < map.nr; i++) {
		put_le64(mm + i * MEMMAP_SIZE, map.e[i].addr);
		put_le64(mm + i * MEMMAP_SIZE + 8, map.e[i].size);
		put_le32(mm + i * MEMMAP_SIZE + 16, map.e[i].type);
	}
	put_le32(si + SI_MAGIC, HVM_START_MAGIC);
	put_le32(si + SI_VERSION, HVM_START_VERSION);
	put_le64(si + SI_CMDLINE_PADDR, BOOT_CMDLINE_ADDR);
	/* acpi_write() puts the RSDP here (boot_write_tables below). */
	put_le64(si + SI_RSDP_PADDR, ACPI_RSDP_ADDR);
	put_le64(si + SI_MEMMAP_PADDR, BOOT_MEMMAP_ADDR);
	put_le32(si + SI_MEMMAP_ENTRIES, (uint32_t)map.nr);
	if (mem_write(m, BOOT_MEMMAP_ADDR, mm, (uint64_t)map.nr * MEMMAP_SIZE) ||
	    mem_write(m, BOOT_INFO_ADDR, si, sizeof(si)))
		return boot_fail(err, errlen, -ENOMEM, "guest RAM too small for start_info");
	/* PVH ABI: 32-bit flat protected mode, paging off, EBX = start_info,
	 * CS/DS/ES/SS flat with the selectors the guest reloads. */
	return boot_finish_flat32(m, in->ncpus, entry, out, err, errlen);
}

const struct boot_loader boot_pvh = {
	.name = "pvh",
	.probe = pvh_probe,
	.load = pvh_load,
};
