/* PIO/MMIO dispatch: a sorted array of claimed ranges per address space,
 * looked up by binary search. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/bus.h"
#include "ringvm/vm.h"

int bus_add(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops, void *opaque)
{
	int i;

	if (!len || base + len - 1 < base)
		return -EINVAL;
	for (i = 0; i < b->nr; i++) {
		const struct bus_range *r = &b->r[i];
		if (base <= r->base + r->len - 1 && r->base <= base + len - 1)
			return -EBUSY;
		if (r->base > base)
			break;
	}
	if (b->nr == b->cap) {
		int cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *n = realloc(b->r, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		b->r = n;
		b->cap = cap;
	}
	memmove(&b->r[i + 1], &b->r[i], (size_t)(b->nr - i) * sizeof(*b->r));
	b->r[i] = (struct bus_range){ .base = base, .len = len, .ops = ops, .opaque = opaque };
	b->nr++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
	int lo = 0, hi = b->nr - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct bus_range *r = &b->r[mid];
		if (addr < r->base)
			hi = mid - 1;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int bus_access(const struct bus *b, uint64_t addr, void *data, unsigned len, bool is_write)
{
	const struct bus_range *r = bus_find(b, addr);
	uint64_t v = 0;

	if (!r || len == 0 || len > 8) {
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
		return -ENOENT;
	}
	if (is_write) {
		memcpy(&v, data, len);
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, len, v);
	} else {
		v = r->ops->read ? r->ops->read(r->opaque, addr - r->base, len) : ~0ULL;
		memcpy(data, &v, len);
	}
	return 0;
}

void bus_free(struct bus *b)
{
	free(b->r);
	memset(b, 0, sizeof(*b));
}

int bus_register(struct vm *vm, enum bus_space sp, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque)
{
	int ret;

	if (sp >= BUS_NR)
		return -EINVAL;
	vm_lock(vm);
	ret = bus_add(&vm->bus[sp], base, len, ops, opaque);
	vm_unlock(vm);
	return ret;
}

int bus_dispatch(struct vm *vm, enum bus_space sp, uint64_t addr, void *data,
		 unsigned len, bool is_write)
{
	int ret;

	vm_lock(vm);
	ret = bus_access(&vm->bus[sp], addr, data, len, is_write);
	vm_unlock(vm);
	return ret;
}
