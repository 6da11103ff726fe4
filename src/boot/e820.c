/* The guest's BIOS-style memory map (ACPI spec 6.5, 15 "System Address Map
 * Interfaces"; the classic INT 15h E820h layout). */
#include <string.h>
#include "ringvm/e820.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

static void e820_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type)
{
	if (!size || map->nr >= E820_MAX)
		return;
	map->e[map->nr].addr = addr;
	map->e[map->nr].size = size;
	map->e[map->nr].type = type;
	map->nr++;
}

void e820_build(const struct guest_mem *m, struct e820_map *map)
{
	uint64_t low_end = 0;

	memset(map, 0, sizeof(*map));
	/* Only the region mapped at GPA 0 counts as low memory. */
	for (int i = 0; i < m->nr; i++)
		if (m->r[i].gpa == 0)
			low_end = m->r[i].size;

	/* Conventional memory ends where the EBDA starts, 1 KiB below
	 * 640 KiB; [0xa0000, 0xe0000) is VGA and option ROM space and is not
	 * listed at all, like on a PC. */
	e820_add(map, 0, low_end < BOOT_EBDA_START ? low_end : BOOT_EBDA_START, E820_RAM);
	if (low_end > BOOT_EBDA_START)
		e820_add(map, BOOT_EBDA_START, 0xa0000 - BOOT_EBDA_START, E820_RESERVED);
	/* The BIOS area holds the MP floating pointer and config table;
	 * the guest must not reuse it as RAM. */
	e820_add(map, 0xe0000, BOOT_HIGH_START - 0xe0000, E820_RESERVED);
	if (low_end > BOOT_HIGH_START)
		e820_add(map, BOOT_HIGH_START, low_end - BOOT_HIGH_START, E820_RAM);
	/* RAM that memory.c moved above the PCI hole. */
	for (int i = 0; i < m->nr; i++)
		if (m->r[i].gpa != 0)
			e820_add(map, m->r[i].gpa, m->r[i].size, E820_RAM);
}
