/* One bus for port I/O and MMIO. Devices claim [base, base+len) and get
 * offsets relative to base. Accesses to unclaimed addresses read as all ones
 * and writes are dropped, like an ISA bus with nothing on it. */
#ifndef RINGVM_BUS_H
#define RINGVM_BUS_H

#include <stdbool.h>
#include <stdint.h>

enum bus_space { BUS_PIO, BUS_MMIO, BUS_NR };

struct bus_ops {
	/* size is 1, 2, 4 or 8; the result is zero-extended. */
	uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
	void (*write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
};

struct bus_range {
	uint64_t base, len;
	const struct bus_ops *ops;
	void *opaque;
};

struct bus {
	int nr, cap;
	struct bus_range *r; /* sorted by base, never overlapping */
};

struct vm;

/* Returns 0, -EBUSY if the range overlaps a claimed one, -ENOMEM. */
int bus_register(struct vm *vm, enum bus_space sp, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque);
/* data is little-endian, len 1..8. Returns 0, or -ENOENT when nobody claims
 * addr (reads then fill data with 0xff). Takes the VM's device lock. */
int bus_dispatch(struct vm *vm, enum bus_space sp, uint64_t addr, void *data,
		 unsigned len, bool is_write);

/* The lock-free core, on a bare struct bus (unit tests use this). */
int bus_add(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops, void *opaque);
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);
int bus_access(const struct bus *b, uint64_t addr, void *data, unsigned len, bool is_write);
void bus_free(struct bus *b);

#endif
