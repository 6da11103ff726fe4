/* Bus dispatch: registration rules, lookup, offsets, unclaimed accesses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "ringvm/bus.h"

struct probe {
	uint64_t last_off, last_val;
	unsigned last_size;
	int reads, writes;
};

static uint64_t probe_read(void *opaque, uint64_t off, unsigned size)
{
	struct probe *p = opaque;
	p->reads++;
	p->last_off = off;
	p->last_size = size;
	return 0x1122334455667788ULL + off;
}

static void probe_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct probe *p = opaque;
	p->writes++;
	p->last_off = off;
	p->last_size = size;
	p->last_val = val;
}

static const struct bus_ops probe_ops = { .read = probe_read, .write = probe_write };

static void test_overlap_rejected(void **state)
{
	struct bus b = { 0 };
	struct probe p = { 0 };

	assert_int_equal(bus_add(&b, 0x3f8, 8, &probe_ops, &p), 0);
	assert_int_equal(bus_add(&b, 0x3f0, 9, &probe_ops, &p), -EBUSY);   /* tail overlaps */
	assert_int_equal(bus_add(&b, 0x3ff, 1, &probe_ops, &p), -EBUSY);   /* last byte */
	assert_int_equal(bus_add(&b, 0x3f0, 8, &probe_ops, &p), 0);        /* adjacent below */
	assert_int_equal(bus_add(&b, 0x400, 8, &probe_ops, &p), 0);        /* adjacent above */
	assert_int_equal(bus_add(&b, 0x10, 0, &probe_ops, &p), -EINVAL);   /* empty */
	assert_int_equal(bus_add(&b, ~0ULL - 1, 4, &probe_ops, &p), -EINVAL); /* wraps */
	assert_int_equal(b.nr, 3);
	bus_free(&b);
}

static void test_dispatch_offsets(void **state)
{
	struct bus b = { 0 };
	struct probe a = { 0 }, c = { 0 };
	uint8_t data[8];
	uint32_t v32 = 0xdeadbeef;

	/* Registered out of order on purpose: lookup must not depend on it. */
	assert_int_equal(bus_add(&b, 0xfee00000, 0x1000, &probe_ops, &c), 0);
	assert_int_equal(bus_add(&b, 0xd0000000, 0x100, &probe_ops, &a), 0);
	assert_int_equal(bus_access(&b, 0xd0000010, data, 4, false), 0);
	assert_int_equal(a.reads, 1);
	assert_int_equal(a.last_off, 0x10);
	assert_int_equal(a.last_size, 4);
	assert_int_equal(*(uint32_t *)data, (uint32_t)(0x1122334455667788ULL + 0x10));
	assert_int_equal(bus_access(&b, 0xfee000b0, &v32, 4, true), 0);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.last_off, 0xb0);
	assert_int_equal(c.last_val, 0xdeadbeef);
	assert_int_equal(a.writes, 0);
	bus_free(&b);
}

static void test_unclaimed(void **state)
{
	struct bus b = { 0 };
	struct probe a = { 0 };
	uint8_t data[8] = { 0 };
	uint64_t v = 0x55;

	assert_int_equal(bus_add(&b, 0x100, 0x10, &probe_ops, &a), 0);
	assert_int_equal(bus_access(&b, 0x110, data, 2, false), -ENOENT);
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[1], 0xff);
	assert_int_equal(data[2], 0);      /* only len bytes touched */
	assert_int_equal(bus_access(&b, 0xff, &v, 1, true), -ENOENT);
	assert_int_equal(a.writes, 0);
	assert_null(bus_find(&b, 0x110));
	assert_non_null(bus_find(&b, 0x10f));
	bus_free(&b);
}

static void test_many_ranges(void **state)
{
	struct bus b = { 0 };
	struct probe p[64];

	memset(p, 0, sizeof(p));
	for (int i = 63; i >= 0; i--)
		assert_int_equal(bus_add(&b, 0x1000 + (uint64_t)i * 0x10, 8, &probe_ops, &p[i]), 0);
	for (int i = 0; i < 64; i++) {
		const struct bus_range *r = bus_find(&b, 0x1000 + (uint64_t)i * 0x10 + 7);
		assert_non_null(r);
		assert_ptr_equal(r->opaque, &p[i]);
		assert_null(bus_find(&b, 0x1000 + (uint64_t)i * 0x10 + 8));
	}
	bus_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap_rejected),
		cmocka_unit_test(test_dispatch_offsets),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_many_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
