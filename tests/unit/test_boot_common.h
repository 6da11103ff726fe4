/* Helpers shared by the boot loader unit tests: guest memory, synthetic
 * kernel images and register checks. Included by test_boot*.c only. */
#ifndef TEST_BOOT_COMMON_H
#define TEST_BOOT_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "ringvm/boot.h"
#include "ringvm/e820.h"
#include "ringvm/memory.h"
#include "ringvm/util.h"

/* Guest RAM from memory.c, filled with a pattern so tests can tell what
 * a loader wrote (and what it zeroed) from what was there. */
static inline struct guest_mem *tb_mem(uint64_t size)
{
	struct guest_mem *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	assert_int_equal(mem_init(m, size), 0);
	memset(m->host, 0xaa, size < 64 * MiB ? size : 64 * MiB);
	return m;
}

static inline void tb_mem_free(struct guest_mem *m)
{
	mem_exit(m);
	free(m);
}

/* Two regions by hand (valid use of struct guest_mem): low RAM at 0 and
 * high RAM at 4 GiB, small enough for a unit test. */
static inline struct guest_mem *tb_mem_split(uint64_t low, uint64_t high)
{
	struct guest_mem *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->host = calloc(1, low + high);
	assert_non_null(m->host);
	m->ram_size = low + high;
	m->nr = 2;
	m->r[0] = (struct mem_region){ .gpa = 0, .size = low, .host = m->host };
	m->r[1] = (struct mem_region){ .gpa = MEM_HOLE_END, .size = high, .host = m->host + low };
	return m;
}

static inline void tb_mem_split_free(struct guest_mem *m)
{
	free(m->host);
	free(m);
}

static inline void *tb_ptr(struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	void *p = mem_ptr(m, gpa, len);

	assert_non_null(p);
	return p;
}

static inline int tb_load(struct guest_mem *m, const uint8_t *img, size_t len,
			  const uint8_t *initrd, size_t initrd_len, const char *cmdline,
			  struct boot_state *st, char *err, size_t errlen)
{
	struct boot_params_in in = {
		.kernel = img, .kernel_len = len, .kernel_name = "kimg",
		.initrd = initrd, .initrd_len = initrd_len, .initrd_name = "rd",
		.cmdline = cmdline, .ncpus = 2,
	};

	err[0] = '\0';
	return boot_load(m, &in, st, err, errlen);
}

/* Expect a failure whose message names the file and mentions `what`. */
#define tb_expect_fail(ret, err, what) do {                               \
	assert_true((ret) < 0);                                           \
	if (!strstr((err), (what)) || strncmp((err), "kimg: ", 6))        \
		fail_msg("error \"%s\" does not mention \"%s\"", (err), (what)); \
} while (0)

/* ---- ELF builder ---- */
struct tb_seg {
	uint32_t type;
	uint64_t paddr, memsz;
	const void *data;
	uint64_t filesz;
	int64_t offset;    /* -1: place automatically */
};

/* ELF32 or ELF64 with the given program headers; data placed after the
 * program header table at 16-byte aligned offsets. */
static inline uint8_t *tb_elf(int is64, uint64_t entry, const struct tb_seg *segs, int n,
			      size_t *len_out)
{
	size_t ehs = is64 ? 64 : 52, phs = is64 ? 56 : 32;
	size_t off = ALIGN_UP(ehs + phs * (size_t)n, 16), len = off;
	uint8_t *b;

	for (int i = 0; i < n; i++)
		if (segs[i].offset < 0)
			len += ALIGN_UP(segs[i].filesz, 16);
	b = calloc(1, len + 64);
	assert_non_null(b);
	memcpy(b, "\177ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = 1;
	b[6] = 1;
	put_le16(b + 16, 2);                  /* ET_EXEC */
	put_le16(b + 18, is64 ? 62 : 3);
	put_le32(b + 20, 1);
	if (is64) {
		put_le64(b + 24, entry);
		put_le64(b + 32, 64);
		put_le16(b + 52, 64);
		put_le16(b + 54, 56);
		put_le16(b + 56, (uint16_t)n);
	} else {
		put_le32(b + 24, (uint32_t)entry);
		put_le32(b + 28, 52);
		put_le16(b + 40, 52);
		put_le16(b + 42, 32);
		put_le16(b + 44, (uint16_t)n);
	}
	for (int i = 0; i < n; i++) {
		uint8_t *p = b + ehs + phs * (size_t)i;
		uint64_t o = segs[i].offset >= 0 ? (uint64_t)segs[i].offset : off;

		if (segs[i].offset < 0) {
			if (segs[i].data)
				memcpy(b + off, segs[i].data, segs[i].filesz);
			off += ALIGN_UP(segs[i].filesz, 16);
		}
		if (is64) {
			put_le32(p, segs[i].type);
			put_le32(p + 4, 7);
			put_le64(p + 8, o);
			put_le64(p + 16, segs[i].paddr);
			put_le64(p + 24, segs[i].paddr);
			put_le64(p + 32, segs[i].filesz);
			put_le64(p + 40, segs[i].memsz);
			put_le64(p + 48, 16);
		} else {
			put_le32(p, segs[i].type);
			put_le32(p + 4, (uint32_t)o);
			put_le32(p + 8, (uint32_t)segs[i].paddr);
			put_le32(p + 12, (uint32_t)segs[i].paddr);
			put_le32(p + 16, (uint32_t)segs[i].filesz);
			put_le32(p + 20, (uint32_t)segs[i].memsz);
			put_le32(p + 24, 7);
			put_le32(p + 28, 16);
		}
	}
	*len_out = len;
	return b;
}

/* Flat 32-bit protected mode, as PVH and multiboot require. */
static inline void tb_check_flat32(const struct boot_state *st)
{
	assert_int_equal(st->regs.rflags, 2);
	assert_int_equal(st->sregs.cr0, X86_CR0_PE | X86_CR0_ET);
	assert_int_equal(st->sregs.efer & X86_EFER_LMA, 0);
	assert_int_equal(st->sregs.cs.selector, 0x10);
	assert_int_equal(st->sregs.cs.db, 1);
	assert_int_equal(st->sregs.cs.l, 0);
	assert_int_equal(st->sregs.cs.limit, 0xffffffff);
	assert_int_equal(st->sregs.cs.base, 0);
	assert_int_equal(st->sregs.cs.type, 0xb);
	assert_int_equal(st->sregs.ds.selector, 0x18);
	assert_int_equal(st->sregs.ss.selector, 0x18);
	assert_int_equal(st->sregs.es.selector, 0x18);
	assert_int_equal(st->sregs.ds.type, 0x3);
	assert_int_equal(st->sregs.tr.type, 0xb);
	assert_int_equal(st->sregs.tr.limit, 0x67);
	assert_true(st->sregs.tr.present);
}

/* Descriptor `sel` in the GDT the loader wrote. */
static inline uint64_t tb_gdt_entry(struct guest_mem *m, const struct boot_state *st, unsigned sel)
{
	assert_true(sel + 7 <= st->sregs.gdt.limit);
	return get_le64(tb_ptr(m, st->sregs.gdt.base + sel, 8));
}

#endif
