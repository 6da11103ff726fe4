/* e820_build(): layouts for small, hole-sized and above-4G guests. */
#include "test_boot_common.h"

/* Regions by hand, as mem_init() lays them out; e820_build() never
 * touches host memory. */
static void layout(struct guest_mem *m, uint64_t ram)
{
	memset(m, 0, sizeof(*m));
	m->ram_size = ram;
	m->r[0].size = ram < MEM_HOLE_START ? ram : MEM_HOLE_START;
	m->nr = 1;
	if (ram > MEM_HOLE_START) {
		m->r[1].gpa = MEM_HOLE_END;
		m->r[1].size = ram - MEM_HOLE_START;
		m->nr = 2;
	}
}

static int covers(const struct e820_map *map, uint64_t a, uint32_t type)
{
	for (int i = 0; i < map->nr; i++)
		if (a >= map->e[i].addr && a - map->e[i].addr < map->e[i].size)
			return map->e[i].type == type;
	return 0;
}

/* Sorted, non-empty, non-overlapping; nothing in the PCI hole; RAM
 * totals what the guest has minus the legacy window. */
static void check_common(const struct e820_map *map, uint64_t ram)
{
	uint64_t total = 0;

	assert_true(map->nr > 0 && map->nr <= E820_MAX);
	for (int i = 0; i < map->nr; i++) {
		assert_true(map->e[i].size > 0);
		if (i)
			assert_true(map->e[i - 1].addr + map->e[i - 1].size <= map->e[i].addr);
		assert_false(map->e[i].addr < MEM_HOLE_END &&
			     map->e[i].addr + map->e[i].size > MEM_HOLE_START);
		if (map->e[i].type == E820_RAM)
			total += map->e[i].size;
	}
	assert_int_equal(total, ram - (0x100000 - 0x9fc00));
	assert_true(covers(map, 0, E820_RAM));
	assert_true(covers(map, 0x9fbff, E820_RAM));
	assert_true(covers(map, 0x9fc00, E820_RESERVED));
	assert_true(covers(map, 0xe0000, E820_RESERVED));   /* BIOS area */
	assert_true(covers(map, 0xf0000, E820_RESERVED));   /* MP tables */
	assert_true(covers(map, 0xfffff, E820_RESERVED));
	assert_false(covers(map, 0xa0000, E820_RAM));
	assert_true(covers(map, 0x100000, E820_RAM));
}

static void test_e820_256m(void **state)
{
	struct guest_mem m;
	struct e820_map map;

	layout(&m, 256 * MiB);
	e820_build(&m, &map);
	check_common(&map, 256 * MiB);
	assert_int_equal(map.nr, 4);
	assert_true(covers(&map, 256 * MiB - 1, E820_RAM));
	assert_false(covers(&map, 256 * MiB, E820_RAM));
}

static void test_e820_3g(void **state)
{
	struct guest_mem m;
	struct e820_map map;

	layout(&m, 3 * GiB);
	e820_build(&m, &map);
	check_common(&map, 3 * GiB);
	assert_true(covers(&map, MEM_HOLE_START - 1, E820_RAM));
	assert_false(covers(&map, MEM_HOLE_START, E820_RAM));
	assert_false(covers(&map, MEM_HOLE_END, E820_RAM));
}

static void test_e820_5g(void **state)
{
	struct guest_mem m;
	struct e820_map map;

	layout(&m, 5 * GiB);
	e820_build(&m, &map);
	check_common(&map, 5 * GiB);
	assert_int_equal(map.nr, 5);
	assert_int_equal(map.e[4].addr, MEM_HOLE_END);
	assert_int_equal(map.e[4].size, 2 * GiB);
	assert_int_equal(map.e[4].type, E820_RAM);
	assert_false(covers(&map, MEM_HOLE_START + 0x1000, E820_RAM));
	assert_false(covers(&map, 0xfec00000, E820_RAM));
	assert_false(covers(&map, 6 * GiB, E820_RAM));
}

/* Less than 640 KiB: one RAM entry and the BIOS area, nothing above. */
static void test_e820_tiny(void **state)
{
	struct guest_mem m;
	struct e820_map map;

	layout(&m, 512 * KiB);
	e820_build(&m, &map);
	assert_int_equal(map.nr, 2);
	assert_int_equal(map.e[0].size, 512 * KiB);
	assert_int_equal(map.e[0].type, E820_RAM);
	assert_int_equal(map.e[1].type, E820_RESERVED);
}

/* The entry layout is the one the zero page and PVH expect (20 bytes). */
static void test_e820_entry_layout(void **state)
{
	assert_int_equal(sizeof(struct e820_entry), 20);
	assert_int_equal(offsetof(struct e820_entry, type), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_256m),
		cmocka_unit_test(test_e820_3g),
		cmocka_unit_test(test_e820_5g),
		cmocka_unit_test(test_e820_tiny),
		cmocka_unit_test(test_e820_entry_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
