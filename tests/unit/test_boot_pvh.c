/* PVH loader: ELF32/ELF64 kernels with the Xen PHYS32_ENTRY note, the
 * hvm_start_info handed over, and malformed ELF files. */
#include <errno.h>
#include "test_boot_common.h"

#define KADDR 0x100000ULL
#define KFILE 0x200
#define KMEM  0x3000
#define ENTRY 0x100010ULL

static uint8_t code[KFILE];

/* A Xen note: namesz 4 ("Xen\0"), descsz, type 18, name, desc. Two
 * unrelated notes come first so the search has to walk. */
static size_t pvh_note(uint8_t *n, uint32_t descsz, uint64_t entry)
{
	size_t o = 0;

	put_le32(n + o, 4); put_le32(n + o + 4, 4); put_le32(n + o + 8, 1);
	memcpy(n + o + 12, "GNU", 4); put_le32(n + o + 16, 0xdead);
	o += 20;
	put_le32(n + o, 4); put_le32(n + o + 4, 4); put_le32(n + o + 8, 6);
	memcpy(n + o + 12, "Xen", 4); memcpy(n + o + 16, "lnx", 4);
	o += 20;
	put_le32(n + o, 4); put_le32(n + o + 4, descsz); put_le32(n + o + 8, 18);
	memcpy(n + o + 12, "Xen", 4);
	put_le64(n + o + 16, entry);
	o += 16 + ALIGN_UP(descsz, 4);
	return o;
}

static uint8_t *pvh_image(int is64, uint32_t descsz, uint64_t entry, size_t *len)
{
	uint8_t note[64];
	size_t nlen = pvh_note(note, descsz, entry);
	struct tb_seg segs[] = {
		{ .type = 1, .paddr = KADDR, .memsz = KMEM, .data = code, .filesz = KFILE, .offset = -1 },
		{ .type = 4, .data = note, .filesz = nlen, .offset = -1 },
	};

	for (int i = 0; i < KFILE; i++)
		code[i] = (uint8_t)(i * 13 + 1);
	return tb_elf(is64, 0xffffffff81000000ULL, segs, 2, len);
}

static void pvh_check_good(int is64, uint32_t descsz)
{
	struct guest_mem *m = tb_mem(32 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = pvh_image(is64, descsz, ENTRY, &len), *si, rd[8192];
	uint64_t mods, mm, rd_addr;
	struct e820_map map;

	memset(rd, 0x3c, sizeof(rd));
	assert_int_equal(tb_load(m, img, len, rd, sizeof(rd), "root=/dev/vda", &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "pvh");
	tb_check_flat32(&st);
	assert_int_equal(st.regs.rip, ENTRY);
	assert_int_equal(tb_gdt_entry(m, &st, 0x10), 0x00cf9b000000ffffULL);

	/* Segment loaded at p_paddr, BSS zeroed over the 0xaa fill. */
	assert_memory_equal(tb_ptr(m, KADDR, KFILE), code, KFILE);
	for (uint64_t a = KADDR + KFILE; a < KADDR + KMEM; a++)
		assert_int_equal(*(uint8_t *)tb_ptr(m, a, 1), 0);
	assert_int_equal(*(uint8_t *)tb_ptr(m, KADDR + KMEM, 1), 0xaa);

	/* hvm_start_info at EBX. */
	si = tb_ptr(m, st.regs.rbx, 56);
	assert_int_equal(get_le32(si), 0x336ec578);
	assert_int_equal(get_le32(si + 4), 1);
	assert_string_equal((char *)tb_ptr(m, get_le64(si + 24), 14), "root=/dev/vda");
	assert_memory_equal(tb_ptr(m, get_le64(si + 32), 8), "RSD PTR ", 8);
	assert_int_equal(get_le32(si + 12), 1);
	mods = get_le64(si + 16);
	rd_addr = get_le64(tb_ptr(m, mods, 8));
	assert_int_equal(get_le64(tb_ptr(m, mods + 8, 8)), sizeof(rd));
	assert_int_equal(rd_addr & 0xfff, 0);
	assert_true(rd_addr >= KADDR + KMEM);
	assert_true(rd_addr + sizeof(rd) <= 32 * MiB);
	assert_memory_equal(tb_ptr(m, rd_addr, sizeof(rd)), rd, sizeof(rd));

	/* memmap mirrors e820_build(). */
	e820_build(m, &map);
	assert_int_equal(get_le32(si + 48), map.nr);
	mm = get_le64(si + 40);
	for (int i = 0; i < map.nr; i++) {
		uint8_t *e = tb_ptr(m, mm + i * 24, 24);

		assert_int_equal(get_le64(e), map.e[i].addr);
		assert_int_equal(get_le64(e + 8), map.e[i].size);
		assert_int_equal(get_le32(e + 16), map.e[i].type);
	}
	free(img);
	tb_mem_free(m);
}

static void test_pvh_elf64(void **state) { pvh_check_good(1, 8); }
static void test_pvh_elf32(void **state) { pvh_check_good(0, 4); }

static void test_pvh_no_initrd(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = pvh_image(1, 4, ENTRY, &len);

	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_int_equal(get_le32(tb_ptr(m, st.regs.rbx + 12, 4)), 0);
	free(img);
	tb_mem_free(m);
}

static void test_pvh_truncated(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = pvh_image(1, 8, ENTRY, &len);
	/* ELF header cut; phdr table cut; segment data cut (the note is
	 * at the end, so it goes first and the file stops being PVH). */
	static const struct { size_t cut; const char *what; } cuts[] = {
		{ 4, "neither" }, { 40, "neither" }, { 63, "neither" }, { 100, "neither" },
		{ 0xe0, "neither" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++)
		tb_expect_fail(tb_load(m, img, cuts[i].cut, NULL, 0, "", &st, err, sizeof(err)),
			       err, cuts[i].what);
	free(img);
	tb_mem_free(m);
}

/* Build a PVH ELF64 with custom segments (note appended). */
static uint8_t *pvh_custom(struct tb_seg *segs, int n, size_t *len)
{
	static uint8_t note[64];
	size_t nlen = pvh_note(note, 4, ENTRY);

	segs[n] = (struct tb_seg){ .type = 4, .data = note, .filesz = nlen, .offset = -1 };
	return tb_elf(1, ENTRY, segs, n + 1, len);
}

static void expect_custom(struct tb_seg *segs, int n, uint64_t ram, const char *what)
{
	struct guest_mem *m = tb_mem(ram);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = pvh_custom(segs, n, &len);

	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, what);
	free(img);
	tb_mem_free(m);
}

static void test_pvh_bad_segments(void **state)
{
	struct tb_seg s[4];

	/* Overlapping segments. */
	s[0] = (struct tb_seg){ .type = 1, .paddr = KADDR, .memsz = 0x2000, .data = code, .filesz = 0x100, .offset = -1 };
	s[1] = (struct tb_seg){ .type = 1, .paddr = KADDR + 0x1000, .memsz = 0x100, .data = code, .filesz = 0x100, .offset = -1 };
	expect_custom(s, 2, 16 * MiB, "overlaps an earlier segment");
	/* Outside RAM. */
	s[1].paddr = 15 * MiB;
	s[1].memsz = 2 * MiB;
	expect_custom(s, 2, 16 * MiB, "outside guest RAM");
	/* Far outside, near the top of the address space (no wrap). */
	s[1].paddr = 0xfffffffffffff000ULL;
	s[1].memsz = 0x2000;
	expect_custom(s, 2, 16 * MiB, "wraps");
	/* In the reserved low area. */
	s[1].paddr = 0x7000;
	s[1].memsz = 0x100;
	expect_custom(s, 2, 16 * MiB, "reserved");
	/* p_offset + p_filesz beyond the file. */
	s[1] = (struct tb_seg){ .type = 1, .paddr = 2 * MiB, .memsz = 0x10000, .filesz = 0x10000, .offset = 0x100 };
	expect_custom(s, 2, 16 * MiB, "beyond the end of the file");
	s[1].offset = 0x7fffffffffffffffLL;
	s[1].filesz = 0x10;
	expect_custom(s, 2, 16 * MiB, "beyond the end of the file");
	/* filesz > memsz. */
	s[1] = (struct tb_seg){ .type = 1, .paddr = 2 * MiB, .memsz = 0x10, .data = code, .filesz = 0x20, .offset = -1 };
	expect_custom(s, 2, 16 * MiB, "exceeds memory size");
	/* No PT_LOAD at all. */
	expect_custom(s, 0, 16 * MiB, "no loadable segment");
	/* Kernel bigger than RAM (the call above reused s[0] for the note). */
	s[0] = (struct tb_seg){ .type = 1, .paddr = KADDR, .memsz = 64 * MiB, .data = code, .filesz = 0x100, .offset = -1 };
	expect_custom(s, 1, 16 * MiB, "outside guest RAM");
}

static void test_pvh_bad_note_and_sizes(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256], *cmd;
	size_t len, rdlen = 16 * MiB;
	uint8_t *img, *rd;

	/* 3-byte entry note. */
	img = pvh_image(1, 3, ENTRY, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "PVH entry note");
	free(img);
	/* Entry above 4 GiB / outside RAM. */
	img = pvh_image(1, 8, 0x100000000ULL + ENTRY, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "above 4 GiB");
	free(img);
	img = pvh_image(1, 8, 0x8000000, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "not in RAM");
	free(img);

	img = pvh_image(1, 8, ENTRY, &len);
	/* Initrd bigger than RAM. */
	rd = calloc(1, rdlen);
	assert_non_null(rd);
	assert_int_equal(tb_load(m, img, len, rd, rdlen, "", &st, err, sizeof(err)), -ENOMEM);
	tb_expect_fail(-ENOMEM, err, "initrd");
	free(rd);
	/* Huge command line. */
	cmd = malloc(70000);
	memset(cmd, 'y', 69999);
	cmd[69999] = 0;
	assert_int_equal(tb_load(m, img, len, NULL, 0, cmd, &st, err, sizeof(err)), -E2BIG);
	tb_expect_fail(-E2BIG, err, "command line");
	free(cmd);
	/* A note whose namesz runs past the segment: the note walk stops,
	 * the file is no longer PVH and nothing else claims it. The third
	 * note's namesz is 40 bytes into the note segment. */
	put_le32(img + get_le64(img + 64 + 56 + 8) + 40, 0x7fffffff);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "neither");
	free(img);
	tb_mem_free(m);
}

/* The default guest's uncompressed vmlinux (tools/mkguest.sh puts it in
 * build/guest; RINGVM_VMLINUX overrides): Debian builds with CONFIG_PVH, so
 * it must load as PVH. Skipped when absent. */
static void test_pvh_real_vmlinux(void **state)
{
	const char *path = getenv("RINGVM_VMLINUX") ? getenv("RINGVM_VMLINUX") : "build/guest/vmlinux";
	struct guest_mem *m;
	struct boot_state st;
	char err[256];
	uint8_t *img, rd[4096] = { 7 }, *si;
	size_t len;

	if (file_read_all(path, &img, &len)) {
		skip();
		return;
	}
	m = tb_mem(256 * MiB);
	assert_int_equal(tb_load(m, img, len, rd, sizeof(rd), "console=ttyS0", &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "pvh");
	tb_check_flat32(&st);
	/* pvh_start_xen lives in the kernel's low text, above 16 MiB. */
	assert_true(st.regs.rip >= 0x1000000 && st.regs.rip < 0x8000000);
	si = tb_ptr(m, st.regs.rbx, 56);
	assert_int_equal(get_le32(si), 0x336ec578);
	assert_int_equal(get_le32(si + 12), 1);
	free(img);
	tb_mem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pvh_elf64),
		cmocka_unit_test(test_pvh_elf32),
		cmocka_unit_test(test_pvh_no_initrd),
		cmocka_unit_test(test_pvh_truncated),
		cmocka_unit_test(test_pvh_bad_segments),
		cmocka_unit_test(test_pvh_bad_note_and_sizes),
		cmocka_unit_test(test_pvh_real_vmlinux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
