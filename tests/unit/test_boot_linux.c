/* bzImage loader: a synthetic image with a real setup header, the 64-bit
 * entry state, the zero page, initrd placement and malformed images. */
#include <errno.h>
#include "test_boot_common.h"

#define SETUP_SECTS 4
#define PM_OFF ((SETUP_SECTS + 1) * 512)
#define PM_LEN 4096

struct lnx_opts {
	uint16_t version;
	uint16_t xloadflags;
	uint32_t initrd_max;
	uint32_t init_size;
	uint64_t pref;
	uint8_t setup_sects;
};

static const struct lnx_opts lnx_def = {
	.version = 0x20f, .xloadflags = 0x3, .initrd_max = 0x7fffffff,
	.init_size = 0x100000, .pref = 0x1000000, .setup_sects = SETUP_SECTS,
};

/* A minimal bzImage: boot sector + setup header, setup sectors, then a
 * protected-mode "kernel" filled with a byte pattern. */
static uint8_t *lnx_image(const struct lnx_opts *o, size_t *len)
{
	uint8_t *b = calloc(1, PM_OFF + PM_LEN);

	assert_non_null(b);
	b[0x1f1] = o->setup_sects;
	put_le16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x66;                   /* header ends at 0x268 */
	memcpy(b + 0x202, "HdrS", 4);
	put_le16(b + 0x206, o->version);
	put_le16(b + 0x1fa, 0xffff);       /* vid_mode: must be copied */
	b[0x211] = 0x01;                   /* LOADED_HIGH */
	put_le32(b + 0x214, 0x100000);
	put_le32(b + 0x22c, o->initrd_max);
	put_le32(b + 0x230, 0x200000);
	b[0x234] = 1;
	put_le16(b + 0x236, o->xloadflags);
	put_le32(b + 0x238, 2047);
	put_le64(b + 0x258, o->pref);
	put_le32(b + 0x260, o->init_size);
	for (int i = 0; i < PM_LEN; i++)
		b[PM_OFF + i] = (uint8_t)(i * 7 + 3);
	*len = PM_OFF + PM_LEN;
	return b;
}

static void test_linux_good(void **state)
{
	struct guest_mem *m = tb_mem(64 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img = lnx_image(&lnx_def, &len), *zp, *rd = malloc(100000);
	uint64_t rd_addr;
	int ret;

	for (int i = 0; i < 100000; i++)
		rd[i] = (uint8_t)(i ^ 0x5a);
	ret = tb_load(m, img, len, rd, 100000, "console=ttyS0 quiet", &st, err, sizeof(err));
	assert_int_equal(ret, 0);
	assert_string_equal(st.protocol, "linux");

	/* 64-bit boot protocol entry state (boot.rst). */
	assert_int_equal(st.regs.rip, 0x100200);
	assert_int_equal(st.regs.rsi, 0x7000);
	assert_int_equal(st.regs.rflags, 2);
	assert_true(st.sregs.cr0 & X86_CR0_PE);
	assert_true(st.sregs.cr0 & X86_CR0_PG);
	assert_int_equal(st.sregs.cr4 & X86_CR4_PAE, X86_CR4_PAE);
	assert_int_equal(st.sregs.efer & (X86_EFER_LME | X86_EFER_LMA), X86_EFER_LME | X86_EFER_LMA);
	assert_int_equal(st.sregs.cs.selector, 0x10);
	assert_int_equal(st.sregs.cs.l, 1);
	assert_int_equal(st.sregs.cs.db, 0);
	assert_int_equal(st.sregs.ds.selector, 0x18);
	assert_int_equal(st.sregs.ss.selector, 0x18);
	assert_int_equal(st.sregs.tr.type, 0xb);
	/* The in-memory GDT matches: flat 64-bit code, flat data. */
	assert_int_equal(tb_gdt_entry(m, &st, 0x10), 0x00af9b000000ffffULL);
	assert_int_equal(tb_gdt_entry(m, &st, 0x18), 0x00cf93000000ffffULL);

	/* Walk the page tables for a few addresses: identity, 2 MiB pages. */
	{
		uint64_t addrs[] = { 0x100200, 0x7000, 0x3fffffff, 0xbfe01234, 0xfee00000 };

		for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
			uint64_t a = addrs[i];
			uint64_t pml4e = get_le64(tb_ptr(m, st.sregs.cr3 + ((a >> 39) & 511) * 8, 8));
			uint64_t pdpte, pde;

			assert_true(pml4e & 1);
			pdpte = get_le64(tb_ptr(m, (pml4e & ~0xfffULL) + ((a >> 30) & 511) * 8, 8));
			assert_true(pdpte & 1);
			pde = get_le64(tb_ptr(m, (pdpte & ~0xfffULL) + ((a >> 21) & 511) * 8, 8));
			assert_int_equal(pde & 0x83, 0x83);
			assert_int_equal((pde & ~0x1fffffULL) | (a & 0x1fffff), a);
		}
	}

	/* The kernel proper at 1 MiB. */
	assert_memory_equal(tb_ptr(m, 0x100000, PM_LEN), img + PM_OFF, PM_LEN);

	/* Zero page. */
	zp = tb_ptr(m, 0x7000, 4096);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(get_le16(zp + 0x1fa), 0xffff);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(zp[0x211], 0x81);
	assert_int_equal(get_le32(zp + 0x228), 0x20000);
	assert_string_equal((char *)tb_ptr(m, 0x20000, 20), "console=ttyS0 quiet");
	assert_int_equal(zp[0x0], 0);                 /* rest of zero page cleared */
	assert_int_equal(zp[0x1e8], 4);               /* e820 entries */
	assert_int_equal(get_le64(zp + 0x2d0), 0);
	assert_int_equal(get_le64(zp + 0x2d0 + 8), 0x9fc00);
	assert_int_equal(get_le32(zp + 0x2d0 + 16), E820_RAM);
	assert_int_equal(get_le64(zp + 0x2d0 + 3 * 20), 0x100000);
	assert_int_equal(get_le64(zp + 0x2d0 + 3 * 20 + 8), 63 * MiB);

	/* initrd: page aligned, above the kernel's decompression area
	 * (pref_address + init_size), as high as possible in RAM. */
	rd_addr = get_le32(zp + 0x218) | (uint64_t)get_le32(zp + 0x0c0) << 32;
	assert_int_equal(get_le32(zp + 0x21c), 100000);
	assert_int_equal(rd_addr & 0xfff, 0);
	assert_true(rd_addr >= 0x1100000);
	assert_true(rd_addr + 100000 <= 64 * MiB);
	assert_true(rd_addr + 100000 + 4096 > 64 * MiB);
	assert_memory_equal(tb_ptr(m, rd_addr, 100000), rd, 100000);

	/* The MP table and the ACPI RSDP are there for the SMP guest. */
	assert_memory_equal(tb_ptr(m, 0xf0000, 4), "_MP_", 4);
	assert_int_equal(get_le64(zp + 0x070), ACPI_RSDP_ADDR);
	assert_memory_equal(tb_ptr(m, ACPI_RSDP_ADDR, 8), "RSD PTR ", 8);

	free(rd);
	free(img);
	tb_mem_free(m);
}

/* initrd_addr_max caps the initrd even when RAM goes higher. */
static void test_linux_initrd_max(void **state)
{
	struct lnx_opts o = lnx_def;
	struct guest_mem *m = tb_mem(128 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img, rd[5000];
	uint64_t a;

	o.initrd_max = 0x2000000 - 1;
	img = lnx_image(&o, &len);
	memset(rd, 0x77, sizeof(rd));
	assert_int_equal(tb_load(m, img, len, rd, sizeof(rd), "", &st, err, sizeof(err)), 0);
	a = get_le32(tb_ptr(m, 0x7218, 4));
	assert_true(a + sizeof(rd) <= 0x2000000);
	assert_true(a + sizeof(rd) + 4096 > 0x2000000);
	/* An empty command line is still a valid NUL-terminated string. */
	assert_int_equal(*(char *)tb_ptr(m, 0x20000, 1), 0);
	free(img);
	tb_mem_free(m);
}

/* With little low RAM, an initrd that says XLF_CAN_BE_LOADED_ABOVE_4G goes
 * above 4 GiB through ext_ramdisk_image; without the flag it fails. */
static void test_linux_initrd_high(void **state)
{
	struct guest_mem *m = tb_mem_split(24 * MiB, 16 * MiB);
	struct boot_state st;
	char err[256];
	size_t len, rdlen = 10 * MiB;
	uint8_t *img = lnx_image(&lnx_def, &len), *rd = calloc(1, rdlen), *zp;
	uint64_t a;
	struct lnx_opts o = lnx_def;

	rd[0] = 0x42;
	rd[rdlen - 1] = 0x43;
	assert_int_equal(tb_load(m, img, len, rd, rdlen, "", &st, err, sizeof(err)), 0);
	zp = tb_ptr(m, 0x7000, 4096);
	a = get_le32(zp + 0x218) | (uint64_t)get_le32(zp + 0x0c0) << 32;
	assert_int_equal(get_le32(zp + 0x0c0), 1);
	assert_true(a >= MEM_HOLE_END);
	assert_int_equal(a + rdlen, MEM_HOLE_END + 16 * MiB - (16 * MiB - rdlen) % 4096);
	assert_int_equal(*(uint8_t *)tb_ptr(m, a, 1), 0x42);
	assert_int_equal(*(uint8_t *)tb_ptr(m, a + rdlen - 1, 1), 0x43);
	/* e820 lists the high RAM. */
	assert_int_equal(zp[0x1e8], 5);
	assert_int_equal(get_le64(zp + 0x2d0 + 4 * 20), MEM_HOLE_END);
	free(img);

	o.xloadflags = 0x1;
	img = lnx_image(&o, &len);
	tb_expect_fail(tb_load(m, img, len, rd, rdlen, "", &st, err, sizeof(err)), err, "initrd");
	free(img);
	free(rd);
	tb_mem_split_free(m);
}

static void test_linux_bad_header(void **state)
{
	struct guest_mem *m = tb_mem(64 * MiB);
	struct boot_state st;
	char err[256];
	size_t len;
	uint8_t *img;
	struct lnx_opts o;
	static const struct { size_t cut; const char *what; } cuts[] = {
		{ 0x206, "truncated" }, { 0x220, "truncated" }, { 0x263, "truncated" },
		{ 0x266, "truncated" }, { PM_OFF, "beyond the end" }, { PM_OFF - 100, "setup_sects" },
	};

	img = lnx_image(&lnx_def, &len);
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		int ret = tb_load(m, img, cuts[i].cut, NULL, 0, "", &st, err, sizeof(err));

		tb_expect_fail(ret, err, cuts[i].what);
	}
	/* Too short to carry the magic: nobody claims it. */
	tb_expect_fail(tb_load(m, img, 0x100, NULL, 0, "", &st, err, sizeof(err)), err, "no known magic");
	tb_expect_fail(tb_load(m, img, 0, NULL, 0, "", &st, err, sizeof(err)), err, "empty");

	img[0x203] = 'X';
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "no known magic");
	free(img);

	o = lnx_def;
	o.version = 0x205;
	img = lnx_image(&o, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "too old");
	free(img);

	o.version = 0x20a;
	img = lnx_image(&o, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "64-bit entry");
	free(img);

	o = lnx_def;
	o.xloadflags = 0;
	img = lnx_image(&o, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "XLF_KERNEL_64");
	free(img);

	o = lnx_def;
	o.setup_sects = 200;
	img = lnx_image(&o, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "setup_sects 200");
	free(img);

	img = lnx_image(&lnx_def, &len);
	img[0x1fe] = 0;
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "boot_flag");
	img[0x1fe] = 0x55;
	img[0x211] = 0;
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "LOADED_HIGH");
	free(img);
	tb_mem_free(m);
}

static void test_linux_too_big(void **state)
{
	struct guest_mem *m = tb_mem(64 * MiB);
	struct boot_state st;
	char err[256], *cmd;
	size_t len, rdlen = 60 * MiB;
	uint8_t *img, *rd;
	struct lnx_opts o = lnx_def;

	/* init_size beyond RAM. */
	o.init_size = 0x7fffffff;
	img = lnx_image(&o, &len);
	assert_int_equal(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), -ENOMEM);
	tb_expect_fail(-ENOMEM, err, "init_size");
	free(img);
	/* pref_address beyond RAM. */
	o = lnx_def;
	o.pref = 0x80000000;
	img = lnx_image(&o, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "init_size");
	free(img);

	/* An initrd bigger than what is left above the kernel. */
	img = lnx_image(&lnx_def, &len);
	rd = calloc(1, rdlen);
	assert_non_null(rd);
	assert_int_equal(tb_load(m, img, len, rd, rdlen, "", &st, err, sizeof(err)), -ENOMEM);
	tb_expect_fail(-ENOMEM, err, "initrd");
	free(rd);

	/* A command line longer than cmdline_size (2047). */
	cmd = malloc(3000);
	memset(cmd, 'x', 2999);
	cmd[2999] = 0;
	assert_int_equal(tb_load(m, img, len, NULL, 0, cmd, &st, err, sizeof(err)), -E2BIG);
	tb_expect_fail(-E2BIG, err, "command line");
	cmd[2047] = 0;
	assert_int_equal(tb_load(m, img, len, NULL, 0, cmd, &st, err, sizeof(err)), 0);
	free(cmd);
	free(img);
	tb_mem_free(m);

	/* RAM smaller than the kernel's needs. */
	m = tb_mem(8 * MiB);
	img = lnx_image(&lnx_def, &len);
	tb_expect_fail(tb_load(m, img, len, NULL, 0, "", &st, err, sizeof(err)), err, "RAM");
	free(img);
	tb_mem_free(m);
}

/* The Debian cloud kernel, when tools/mkguest.sh has fetched it. */
static void test_linux_real_kernel(void **state)
{
	const char *path = getenv("RINGVM_KERNEL") ? getenv("RINGVM_KERNEL") : "build/guest/vmlinuz";
	struct guest_mem *m;
	struct boot_state st;
	char err[256];
	uint8_t *img, rd[4096] = { 1 };
	size_t len;
	uint8_t *zp;
	int ret;

	if (file_read_all(path, &img, &len)) {
		skip();
		return;
	}
	m = tb_mem(256 * MiB);
	/* The 64-bit boot protocol. */
	boot_prefer_pvh = false;
	ret = tb_load(m, img, len, rd, sizeof(rd), "console=ttyS0", &st, err, sizeof(err));
	boot_prefer_pvh = true;
	assert_int_equal(ret, 0);
	assert_string_equal(st.protocol, "linux");
	assert_int_equal(st.regs.rip, 0x100200);
	zp = tb_ptr(m, 0x7000, 4096);
	assert_true(get_le16(zp + 0x206) >= 0x20c);
	assert_int_equal(zp[0x210], 0xff);
	assert_true(get_le32(zp + 0x218) >= get_le64(zp + 0x258) + get_le32(zp + 0x260));
	/* Debian's kernels are built with CONFIG_PVH and a payload we can
	 * unpack (lz4 for 6.1 cloud), so the default is the PVH fast path. */
	assert_int_equal(tb_load(m, img, len, rd, sizeof(rd), "console=ttyS0", &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "pvh");
	assert_int_equal(get_le32(tb_ptr(m, st.regs.rbx, 4)), 0x336ec578);
	assert_true(st.regs.rip >= 0x1000000 && st.regs.rip < 0x4000000);
	free(img);
	tb_mem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_good),
		cmocka_unit_test(test_linux_initrd_max),
		cmocka_unit_test(test_linux_initrd_high),
		cmocka_unit_test(test_linux_bad_header),
		cmocka_unit_test(test_linux_too_big),
		cmocka_unit_test(test_linux_real_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
