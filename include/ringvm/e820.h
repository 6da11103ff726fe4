/* The BIOS-style memory map given to the guest (Linux zero page, PVH
 * start_info, multiboot mmap). */
#ifndef RINGVM_E820_H
#define RINGVM_E820_H

#include <stdint.h>
#include "memory.h"

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3
#define E820_MAX      16

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct e820_map {
	int nr;
	struct e820_entry e[E820_MAX];
};

/* Build the map for this guest memory layout: low RAM up to the EBDA at
 * 0x9fc00, the legacy BIOS area 0xe0000-0xfffff reserved (MP/ACPI tables
 * live there), RAM from 1 MiB to the hole, RAM above 4 GiB. */
void e820_build(const struct guest_mem *m, struct e820_map *map);

#endif
