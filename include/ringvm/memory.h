/* Guest physical memory: one anonymous mmap, split around the PCI hole.
 *
 * RAM below 3 GiB maps at GPA 0; anything beyond that goes above 4 GiB so
 * [3 GiB, 4 GiB) stays free for MMIO (PCI BARs, IOAPIC, LAPIC, HPET). */
#ifndef RINGVM_MEMORY_H
#define RINGVM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_HOLE_START 0xC0000000ULL /* 3 GiB */
#define MEM_HOLE_END   0x100000000ULL /* 4 GiB */
#define MEM_MAX_REGIONS 2

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	uint8_t *host;          /* the whole allocation */
	uint64_t ram_size;      /* bytes of guest RAM */
	int nr;                 /* regions in use */
	struct mem_region r[MEM_MAX_REGIONS];
};

/* Allocate ram_size bytes of guest RAM. Returns 0 or -errno. */
int mem_init(struct guest_mem *m, uint64_t ram_size);
void mem_exit(struct guest_mem *m);

/* Host pointer for [gpa, gpa+len), or NULL unless the whole range is RAM.
 * Every guest-supplied address goes through this check. */
void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Copy helpers: 0 on success, -EFAULT when the range is not all RAM. */
int mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);
int mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len);

/* Last RAM address below the hole, plus one. */
uint64_t mem_low_end(const struct guest_mem *m);

#endif
