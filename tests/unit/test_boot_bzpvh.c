/* bzImage fast path: a bzImage carrying a compressed PVH vmlinux is
 * unpacked on the host and entered through PVH, for every compression the
 * kernel build offers that we unpack; anything else falls back to the
 * 64-bit boot protocol. */
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include "test_boot_common.h"

#define ENTRY 0x100040ULL

/* A PVH ELF64: one PT_LOAD at 1 MiB and the Xen PHYS32_ENTRY note. */
static uint8_t *vmlinux(size_t *len, int with_note)
{
	static uint8_t code[0x300], note[24];
	struct tb_seg segs[2] = {
		{ .type = 1, .paddr = 0x100000, .memsz = 0x2000, .data = code, .filesz = sizeof(code), .offset = -1 },
		{ .type = 4, .data = note, .filesz = sizeof(note), .offset = -1 },
	};

	for (size_t i = 0; i < sizeof(code); i++)
		code[i] = (uint8_t)(i * 5 + 1);
	put_le32(note, 4);
	put_le32(note + 4, 8);
	put_le32(note + 8, with_note ? 18 : 6);
	memcpy(note + 12, "Xen", 4);
	put_le64(note + 16, ENTRY);
	return tb_elf(1, 0xffffffff81000000ULL, segs, 2, len);
}

enum fmt { F_GZIP, F_XZ, F_LZMA, F_ZSTD, F_LZ4, F_RAW };

static size_t pack(enum fmt f, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;

	switch (f) {
	case F_GZIP: {
		z_stream z = { 0 };

		assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (Bytef *)in;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		n = z.total_out;
		deflateEnd(&z);
		break;
	}
	case F_XZ:
		assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, out, &n, cap), LZMA_OK);
		break;
	case F_LZMA: {
		lzma_stream s = LZMA_STREAM_INIT;
		lzma_options_lzma o;

		lzma_lzma_preset(&o, 6);
		assert_int_equal(lzma_alone_encoder(&s, &o), LZMA_OK);
		s.next_in = in;
		s.avail_in = len;
		s.next_out = out;
		s.avail_out = cap;
		assert_int_equal(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
		n = s.total_out;
		lzma_end(&s);
		break;
	}
	case F_ZSTD:
		n = ZSTD_compress(out, cap, in, len, 19);
		assert_false(ZSTD_isError(n));
		break;
	case F_LZ4: {
		/* Legacy frame: magic, then [size][block]. */
		int c;

		put_le32(out, 0x184c2102);
		c = LZ4_compress_default((const char *)in, (char *)out + 8, (int)len, (int)cap - 8);
		assert_true(c > 0);
		put_le32(out + 4, (uint32_t)c);
		n = 8 + (size_t)c;
		break;
	}
	case F_RAW:
		memcpy(out, "BZh91AY&SY", 10);   /* bzip2: not unpacked by us */
		n = 10;
		break;
	}
	return n;
}

/* bzImage with the given payload; protocol 2.15, payload at 0x100 into
 * the protected-mode part, uncompressed size appended. */
static uint8_t *bz_wrap(enum fmt f, const uint8_t *vm, size_t vlen, size_t *len)
{
	size_t cap = vlen * 2 + 1024, n;
	uint8_t *b = calloc(1, 5 * 512 + 0x100 + cap + 4 + 512);

	n = pack(f, vm, vlen, b + 5 * 512 + 0x100, cap);
	put_le32(b + 5 * 512 + 0x100 + n, (uint32_t)vlen);
	b[0x1f1] = 4;
	put_le16(b + 0x1fe, 0xaa55);
	b[0x201] = 0x66;
	memcpy(b + 0x202, "HdrS", 4);
	put_le16(b + 0x206, 0x20f);
	b[0x211] = 1;
	put_le32(b + 0x22c, 0x7fffffff);
	put_le32(b + 0x230, 0x200000);
	b[0x234] = 1;
	put_le16(b + 0x236, 3);
	put_le32(b + 0x238, 100);
	put_le32(b + 0x248, 0x100);
	put_le32(b + 0x24c, (uint32_t)n + 4);
	put_le64(b + 0x258, 0x1000000);
	put_le32(b + 0x260, 0x100000);
	*len = 5 * 512 + 0x100 + n + 4 + 512;
	return b;
}

static void check_fmt(enum fmt f)
{
	struct guest_mem *m = tb_mem(64 * MiB);
	struct boot_state st;
	char err[256];
	size_t vlen, len;
	uint8_t *vm = vmlinux(&vlen, 1), *bz = bz_wrap(f, vm, vlen, &len), rd[100] = { 9 };

	assert_int_equal(tb_load(m, bz, len, rd, sizeof(rd), "console=ttyS0", &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "pvh");
	tb_check_flat32(&st);
	assert_int_equal(st.regs.rip, ENTRY);
	assert_int_equal(get_le32(tb_ptr(m, st.regs.rbx, 4)), 0x336ec578);
	assert_int_equal(get_le32(tb_ptr(m, st.regs.rbx + 12, 4)), 1);
	assert_string_equal((char *)tb_ptr(m, get_le64(tb_ptr(m, st.regs.rbx + 24, 8)), 14), "console=ttyS0");
	/* The vmlinux segment, straight from the unpacked ELF. */
	assert_int_equal(*(uint8_t *)tb_ptr(m, 0x100000, 1), 1);
	assert_int_equal(*(uint8_t *)tb_ptr(m, 0x100001, 1), 6);
	assert_int_equal(*(uint8_t *)tb_ptr(m, 0x101fff, 1), 0);

	/* Turned off: the same file boots through the 64-bit protocol. */
	boot_prefer_pvh = false;
	assert_int_equal(tb_load(m, bz, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	boot_prefer_pvh = true;
	assert_string_equal(st.protocol, "linux");
	assert_int_equal(st.regs.rip, 0x100200);
	free(bz);
	free(vm);
	tb_mem_free(m);
}

static void test_bzpvh_gzip(void **state) { check_fmt(F_GZIP); }
static void test_bzpvh_xz(void **state) { check_fmt(F_XZ); }
static void test_bzpvh_lzma(void **state) { check_fmt(F_LZMA); }
static void test_bzpvh_zstd(void **state) { check_fmt(F_ZSTD); }
static void test_bzpvh_lz4(void **state) { check_fmt(F_LZ4); }

/* Everything that cannot take the fast path boots the normal way. */
static void test_bzpvh_fallback(void **state)
{
	struct guest_mem *m = tb_mem(64 * MiB);
	struct boot_state st;
	char err[256];
	size_t vlen, len;
	uint8_t *vm, *bz;

	/* No PVH note in the vmlinux. */
	vm = vmlinux(&vlen, 0);
	bz = bz_wrap(F_ZSTD, vm, vlen, &len);
	assert_int_equal(tb_load(m, bz, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "linux");
	free(bz);
	free(vm);

	vm = vmlinux(&vlen, 1);
	/* A format we leave to the guest. */
	bz = bz_wrap(F_RAW, vm, vlen, &len);
	assert_int_equal(tb_load(m, bz, len, NULL, 0, "", &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "linux");
	free(bz);
	/* Corrupt compressed data, a wrong size trailer, a payload past the
	 * end of the file, a too-old protocol for payload fields. */
	for (int c = 0; c < 4; c++) {
		bz = bz_wrap(F_GZIP, vm, vlen, &len);
		if (c == 0)
			memset(bz + 5 * 512 + 0x100 + 20, 0x55, 40);
		else if (c == 1)
			put_le32(bz + 5 * 512 + 0x100 + get_le32(bz + 0x24c) - 4, (uint32_t)vlen + 1);
		else if (c == 2)
			put_le32(bz + 0x24c, 0x7fffffff);
		else
			put_le16(bz + 0x206, 0x206);
		err[0] = 0;
		if (c == 3) {
			/* 2.06 has no 64-bit entry either: a clean error. */
			tb_expect_fail(tb_load(m, bz, len, NULL, 0, "", &st, err, sizeof(err)), err, "64-bit");
		} else {
			assert_int_equal(tb_load(m, bz, len, NULL, 0, "", &st, err, sizeof(err)), 0);
			assert_string_equal(st.protocol, "linux");
		}
		free(bz);
	}
	/* vmlinux bigger than guest RAM: not even unpacked. */
	tb_mem_free(m);
	m = tb_mem(2 * MiB);
	bz = bz_wrap(F_GZIP, vm, vlen, &len);
	put_le32(bz + 5 * 512 + 0x100 + get_le32(bz + 0x24c) - 4, 3 * MiB);
	tb_expect_fail(tb_load(m, bz, len, NULL, 0, "", &st, err, sizeof(err)), err, "RAM");
	free(bz);
	free(vm);
	tb_mem_free(m);
}

/* The command line limit of the bzImage header still applies. */
static void test_bzpvh_cmdline(void **state)
{
	struct guest_mem *m = tb_mem(64 * MiB);
	struct boot_state st;
	char err[256], cmd[200];
	size_t vlen, len;
	uint8_t *vm = vmlinux(&vlen, 1), *bz = bz_wrap(F_XZ, vm, vlen, &len);

	memset(cmd, 'a', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = 0;
	assert_int_equal(tb_load(m, bz, len, NULL, 0, cmd, &st, err, sizeof(err)), -E2BIG);
	tb_expect_fail(-E2BIG, err, "command line");
	cmd[100] = 0;
	assert_int_equal(tb_load(m, bz, len, NULL, 0, cmd, &st, err, sizeof(err)), 0);
	assert_string_equal(st.protocol, "pvh");
	free(bz);
	free(vm);
	tb_mem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzpvh_gzip),
		cmocka_unit_test(test_bzpvh_xz),
		cmocka_unit_test(test_bzpvh_lzma),
		cmocka_unit_test(test_bzpvh_zstd),
		cmocka_unit_test(test_bzpvh_lz4),
		cmocka_unit_test(test_bzpvh_fallback),
		cmocka_unit_test(test_bzpvh_cmdline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
