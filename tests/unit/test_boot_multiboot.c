/* Multiboot v1 loader: ELF32 kernels, a.out-kludge kernels, the boot
 * information structure, and malformed headers. */
#include <errno.h>
#include "test_boot_common.h"

#define MB_MAGIC 0x1BADB002U
#define KADDR 0x100000ULL

/* A multiboot header followed by some "code". */
static void mb_header(uint8_t *p, uint32_t flags)
{
	put_le32(p, MB_MAGIC);
	put_le32(p + 4, flags);
	put_le32(p + 8, (uint32_t)-(MB_MAGIC + flags));
}

static uint8_t *mb_elf(uint32_t flags, size_t *len)
{
	static uint8_t text[0x200];
	struct tb_seg seg = { .type = 1, .paddr = KADDR, .memsz = 0x4000, .data = text,
			      .filesz = sizeof(text), .offset = -1 };

	memset(text, 0x90, sizeof(text));
	mb_header(text, flags);
	return tb_elf(0, KADDR + 0x20, &seg, 1, len);
}

static void test_mb_elf(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = mb_elf(0x3, &len), *mbi, rd[3000];
	uint32_t flags, mods, mod_start, mod_end, mmap, mmap_len;
	uint64_t ram = 0;
	struct e820_map map;

	memset(rd, 0x61, sizeof(rd));
	assert_int_equal(tb_load(m, img, len, rd, sizeof(rd), "hello world", &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "multiboot");
	tb_check_flat32(&st);
	assert_int_equal(st.regs.rax, 0x2BADB002);
	assert_int_equal(st.regs.rip, KADDR + 0x20);
	assert_int_equal(get_le32(tb_ptr(m, KADDR, 4)), MB_MAGIC);
	assert_int_equal(*(uint8_t *)tb_ptr(m, KADDR + 0x3fff, 1), 0);  /* bss */

	mbi = tb_ptr(m, st.regs.rbx, 0x74);
	flags = get_le32(mbi);
	assert_int_equal(flags & 0x4d, 0x4d);     /* MEM, CMDLINE, MODS, MMAP */
	assert_int_equal(get_le32(mbi + 4), 639);
	assert_int_equal(get_le32(mbi + 8), 15 * 1024);
	assert_string_equal((char *)tb_ptr(m, get_le32(mbi + 16), 12), "hello world");
	/* No framebuffer/VBE info is claimed. */
	assert_int_equal(flags & (3 << 11), 0);

	assert_int_equal(get_le32(mbi + 20), 1);
	mods = get_le32(mbi + 24);
	mod_start = get_le32(tb_ptr(m, mods, 4));
	mod_end = get_le32(tb_ptr(m, mods + 4, 4));
	assert_int_equal(mod_start & 0xfff, 0);
	assert_int_equal(mod_end - mod_start, sizeof(rd));
	assert_true(mod_start >= KADDR + 0x4000);
	assert_memory_equal(tb_ptr(m, mod_start, sizeof(rd)), rd, sizeof(rd));
	assert_non_null(memchr(tb_ptr(m, get_le32(tb_ptr(m, mods + 8, 4)), 16), 0, 16));

	/* mmap: size field first (20), entries match e820, RAM adds up. */
	mmap_len = get_le32(mbi + 44);
	mmap = get_le32(mbi + 48);
	e820_build(m, &map);
	assert_int_equal(mmap_len, map.nr * 24);
	for (uint32_t off = 0, i = 0; off < mmap_len; i++) {
		uint8_t *e = tb_ptr(m, mmap + off, 24);

		assert_int_equal(get_le32(e), 20);
		assert_int_equal(get_le64(e + 4), map.e[i].addr);
		if (get_le32(e + 20) == 1)
			ram += get_le64(e + 12);
		off += get_le32(e) + 4;
	}
	assert_int_equal(ram, 16 * MiB - (0x100000 - 0x9fc00));
	free(img);
	tb_mem_free(m);
}

/* Bit 2 (video mode) is honoured gracefully: load, report no video. */
/* ELF multiboot kernel cut short: before the header nobody claims it;
 * after it, the segment data is missing. */
static void test_mb_elf_truncated(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = mb_elf(0x3, &len);
	static const struct { size_t cut; const char *what; } cuts[] = {
		{ 30, "nor a multiboot header" }, { 0x60, "nor a multiboot header" },
		{ 0x6c, "beyond the end of the file" }, { 0x100, "beyond the end of the file" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++)
		tb_expect_fail(tb_load(m, img, cuts[i].cut, NULL, 0, "", &st, err, sizeof(err)),
			       err, cuts[i].what);
	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	free(img);
	tb_mem_free(m);
}

static void test_mb_video_flag(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = mb_elf(0x7, &len);

	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_int_equal(get_le32(tb_ptr(m, st.regs.rbx, 4)) & (3 << 11), 0);
	assert_int_equal(get_le32(tb_ptr(m, st.regs.rbx + 20, 4)), 0);
	free(img);
	tb_mem_free(m);
}

static void test_mb_bad_flags(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = mb_elf(0x3 | (1 << 3), &len);

	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "unsupported");
	free(img);
	/* Optional bits 17-31 are fine. */
	img = mb_elf(0x3 | (1u << 20), &len);
	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	/* A wrong checksum is no header at all. */
	put_le32(img + 0x60 + 8, 0x12345678);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "neither");
	free(img);
	tb_mem_free(m);
}

/* Raw binary with the a.out kludge: header at file offset 0x40, image
 * loaded at 0x200000 from file offset 0. */
static uint8_t *mb_aout(size_t *len, uint32_t load_end, uint32_t bss_end)
{
	uint8_t *b = calloc(1, 0x1000);
	const uint32_t base = 0x200000;

	for (int i = 0; i < 0x1000; i++)
		b[i] = (uint8_t)(i * 3);
	mb_header(b + 0x40, 0x10003);
	put_le32(b + 0x40 + 12, base + 0x40);  /* header_addr */
	put_le32(b + 0x40 + 16, base);         /* load_addr */
	put_le32(b + 0x40 + 20, load_end);
	put_le32(b + 0x40 + 24, bss_end);
	put_le32(b + 0x40 + 28, base + 0x100); /* entry */
	*len = 0x1000;
	return b;
}

static void test_mb_aout(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = mb_aout(&len, 0x200800, 0x203000);

	assert_int_equal(tb_load(m, img, len, NULL, 0, "x", &st, err, sizeof(err)), 0);
	assert_int_equal(st.regs.rip, 0x200100);
	assert_memory_equal(tb_ptr(m, 0x200000, 0x800), img, 0x800);
	for (uint64_t a = 0x200800; a < 0x203000; a += 0x100)
		assert_int_equal(*(uint8_t *)tb_ptr(m, a, 1), 0);
	assert_int_equal(*(uint8_t *)tb_ptr(m, 0x203000, 1), 0xaa);
	free(img);

	/* load_end 0: the whole file; bss_end 0: no bss. */
	img = mb_aout(&len, 0, 0);
	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_memory_equal(tb_ptr(m, 0x200000, 0x1000), img, 0x1000);
	free(img);
	tb_mem_free(m);
}

static void test_mb_aout_bad(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img;

	img = mb_aout(&len, 0x210000, 0);       /* load_end past the file */
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "load_end_addr");
	free(img);
	img = mb_aout(&len, 0x200800, 0x200400); /* bss_end inside the image */
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "bss_end_addr");
	free(img);
	img = mb_aout(&len, 0x1ff000, 0);       /* load_end below load_addr */
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "load_end_addr");
	free(img);
	img = mb_aout(&len, 0, 0x2000000);      /* bss past RAM */
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "outside guest RAM");
	free(img);
	img = mb_aout(&len, 0, 0);              /* header_addr below load_addr */
	put_le32(img + 0x40 + 12, 0x1fff00);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "before the start");
	put_le32(img + 0x40 + 12, 0x200100);    /* load_addr would be before the file */
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "before the start");
	free(img);
	img = mb_aout(&len, 0, 0);              /* loaded into the BIOS area */
	put_le32(img + 0x40 + 12, 0xf0040);
	put_le32(img + 0x40 + 16, 0xf0000);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "reserved");
	free(img);
	img = mb_aout(&len, 0, 0);              /* entry outside RAM */
	put_le32(img + 0x40 + 28, 0x7000000);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "entry point");
	/* Truncated right after the magic/flags/checksum. */
	tb_expect_fail(tb_load(m, img, 0x40 + 16, NULL, 0, "", &st, err, sizeof(err)), err, "truncated");
	/* Truncated before the header: nothing recognises it. */
	tb_expect_fail(tb_load(m, img, 0x40, NULL, 0, "", &st, err, sizeof(err)), err, "no known magic");
	free(img);
	tb_mem_free(m);
}

static void test_mb_header_search(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256];
	uint8_t *b = calloc(1, 0x3000);
	size_t len = 0x3000;

	/* Past the first 8 KiB: not found. */
	mb_header(b + 0x2000, 0x10003);
	tb_expect_fail(tb_load(m, b, len, NULL, 0, "", &st, err, sizeof(err)), err, "no known magic");
	/* Unaligned: not found either. */
	memset(b, 0, len);
	mb_header(b + 0x102, 0x10003);
	tb_expect_fail(tb_load(m, b, len, NULL, 0, "", &st, err, sizeof(err)), err, "no known magic");
	/* Multiboot flag 16 clear but not ELF. */
	memset(b, 0, len);
	mb_header(b + 0x100, 0x3);
	tb_expect_fail(tb_load(m, b, len, NULL, 0, "", &st, err, sizeof(err)), err, "not ELF");
	free(b);
	tb_mem_free(m);
}

static void test_mb_sizes(void **state)
{
	struct guest_mem *m = tb_mem(16 * MiB);
	struct boot_state st;
	char err[256], *cmd;
	size_t len, rdlen = 15 * MiB;
	uint8_t *img = mb_elf(0x3, &len), *rd = calloc(1, rdlen);

	assert_int_equal(tb_load(m, img, len, rd, rdlen, "", &st, err, sizeof(err)), -ENOMEM);
	tb_expect_fail(-ENOMEM, err, "initrd");
	cmd = malloc(70000);
	memset(cmd, 'z', 69999);
	cmd[69999] = 0;
	assert_int_equal(tb_load(m, img, len, NULL, 0, cmd, &st, err, sizeof(err)), -E2BIG);
	tb_expect_fail(-E2BIG, err, "command line");
	free(cmd);
	free(rd);
	free(img);
	tb_mem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mb_elf),
		cmocka_unit_test(test_mb_elf_truncated),
		cmocka_unit_test(test_mb_video_flag),
		cmocka_unit_test(test_mb_bad_flags),
		cmocka_unit_test(test_mb_aout),
		cmocka_unit_test(test_mb_aout_bad),
		cmocka_unit_test(test_mb_header_search),
		cmocka_unit_test(test_mb_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
