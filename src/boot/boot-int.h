/* Shared between the boot loaders in src/boot: where the loaders put their
 * data in low guest memory, the ELF reader and a few helpers. Not a public
 * header. */
#ifndef RINGVM_BOOT_INT_H
#define RINGVM_BOOT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ringvm/boot.h"
#include "ringvm/e820.h"
#include "ringvm/memory.h"

/* Low-memory layout used by every loader. Everything the loaders build sits
 * in [BOOT_DATA_START, BOOT_DATA_END) or in the BIOS area, never where a
 * kernel image goes (1 MiB and up). */
#define BOOT_GDT_ADDR       0x0500ULL  /* GDT: null, null, code 0x10, data 0x18, TSS 0x20 */
#define BOOT_INFO_ADDR      0x6000ULL  /* PVH start_info / multiboot info */
#define BOOT_MODLIST_ADDR   0x6100ULL  /* PVH modlist / multiboot mods */
#define BOOT_MEMMAP_ADDR    0x6200ULL  /* PVH memmap / multiboot mmap (<= 0x200 bytes) */
#define BOOT_MODSTR_ADDR    0x6400ULL  /* module command line "initrd" */
#define BOOT_LDRNAME_ADDR   0x6480ULL  /* multiboot boot_loader_name */
#define BOOT_ZEROPAGE_ADDR  0x7000ULL  /* Linux struct boot_params */
#define BOOT_PML4_ADDR      0x9000ULL  /* identity page tables: PML4, PDPT, 4 PDs */
#define BOOT_PGTABLE_END    0xf000ULL
#define BOOT_CMDLINE_ADDR   0x20000ULL
#define BOOT_CMDLINE_MAX    0xffffULL  /* bytes including the NUL */
#define BOOT_DATA_END       0x30000ULL
#define BOOT_EBDA_START     0x9fc00ULL /* e820: RAM stops here below 1 MiB */
#define BOOT_HIGH_START     0x100000ULL

#define BOOT_SEL_CODE 0x10
#define BOOT_SEL_DATA 0x18
#define BOOT_SEL_TSS  0x20

/* printf into err (never NULL-terminated past errlen). Returns ret so a
 * loader can write `return boot_fail(err, errlen, -EINVAL, "...")`. */
int boot_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Is [addr, addr+len) clear of the loaders' own low-memory data and the
 * legacy EBDA/VGA/BIOS area? Used for every kernel segment. */
bool boot_range_ok(uint64_t addr, uint64_t len);

/* Write the flat GDT at BOOT_GDT_ADDR and set CS/DS/ES/FS/GS/SS/TR/LDT, GDTR
 * and IDTR in sregs; bits64 picks a 64-bit code segment. */
int boot_setup_segments(struct guest_mem *m, struct vcpu_sregs *s, int bits64);

/* Identity-map the first 4 GiB with 2 MiB pages at BOOT_PML4_ADDR and put
 * the CPU in long mode (CR0/CR3/CR4/EFER). */
int boot_setup_longmode(struct guest_mem *m, struct vcpu_sregs *s);

/* Copy the command line to BOOT_CMDLINE_ADDR; max is the longest string the
 * kernel accepts (without the NUL). */
int boot_put_cmdline(struct guest_mem *m, const char *cmdline, size_t max,
		     char *err, size_t errlen);

/* Find a page-aligned place for len bytes of initrd, as high as possible
 * inside [lo, hi) and inside one RAM region. */
int boot_place_initrd(const struct guest_mem *m, uint64_t lo, uint64_t hi,
		      size_t len, uint64_t *addr, char *err, size_t errlen);

/* MP table and ACPI tables for ncpus (<= 0 means 1) in the BIOS area. */
int boot_write_tables(struct guest_mem *m, int ncpus, char *err, size_t errlen);

/* Register state common to every protocol: rflags=2, APIC base. */
void boot_regs_reset(struct boot_state *out);

/* The end of the 32-bit protocols (multiboot v1, PVH), once their info
 * block is at BOOT_INFO_ADDR: MP/ACPI tables for ncpus, then flat 32-bit
 * protected mode, paging off, EBX = BOOT_INFO_ADDR, EIP = entry. */
int boot_finish_flat32(struct guest_mem *m, int ncpus, uint64_t entry,
		       struct boot_state *out, char *err, size_t errlen);

/* bzpvh.c: boot a bzImage through PVH after unpacking its vmlinux on the
 * host. -ENOENT when that does not apply (the caller then does a normal
 * bzImage boot), else the PVH loader's result. */
int bzimage_load_pvh(struct guest_mem *m, const struct boot_params_in *in,
		     struct boot_state *out, char *err, size_t errlen);

/* ---- ELF (elf.c) ---- */
#define ELF_MAX_PHDRS 128

struct elf_image {
	const uint8_t *img;
	size_t len;
	bool is64;
	uint16_t machine;
	uint64_t entry;
	uint64_t phoff;
	uint16_t phentsize, phnum;
};

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4

/* 1 if img starts with the ELF magic. */
int elf_probe(const uint8_t *img, size_t len);
/* Check the ELF header and that the program header table lies in the file. */
int elf_parse(struct elf_image *e, const uint8_t *img, size_t len,
	      char *err, size_t errlen);
void elf_phdr_get(const struct elf_image *e, unsigned i, struct elf_phdr *ph);
/* Find a note (name, type) in any PT_NOTE segment. Returns 1 and sets
 * desc/descsz when found, 0 when not, -EINVAL for a malformed note. */
int elf_find_note(const struct elf_image *e, const char *name, uint32_t type,
		  const uint8_t **desc, uint32_t *descsz);
/* Copy every PT_LOAD segment to p_paddr after checking it against the file,
 * RAM, the reserved low area and the other segments; *end is one past the
 * highest byte loaded. */
int elf_load(struct guest_mem *m, const struct elf_image *e, uint64_t *end,
	     char *err, size_t errlen);

#endif
