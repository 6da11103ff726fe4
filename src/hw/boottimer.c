/* Boot-timer port 0x440: a guest (or its init script) writes a marker
 * value at interesting points of its boot; ringvm logs each with the time
 * since ringvm started, and keeps them for the CLI to print at exit.
 * Reading the port gives the low 32 bits of the same microsecond clock, so
 * a guest-side benchmark can time itself against the host. */
#include <errno.h>
#include <stdlib.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/log.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"
#include "hw/hw-priv.h"

/* A guest writing in a loop must not eat host memory. */
#define BOOTTIMER_MAX_MARKS 4096

struct boottimer {
	struct boottimer_mark *marks;
	size_t nr, cap;
};

static uint64_t boottimer_read(void *opaque, uint64_t off, unsigned size)
{
	return (uint32_t)time_us_since_start();
}

static void boottimer_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct boottimer *bt = opaque;
	uint64_t us = time_us_since_start();
	uint32_t v = (uint32_t)val;

	pr_info("boot-timer: %u at %llu us", v, (unsigned long long)us);
	if (bt->nr == bt->cap) {
		size_t cap = bt->cap ? bt->cap * 2 : 16;
		struct boottimer_mark *n;

		if (cap > BOOTTIMER_MAX_MARKS) {
			pr_guest("boot-timer: more than %d marks, not recording", BOOTTIMER_MAX_MARKS);
			return;
		}
		n = realloc(bt->marks, cap * sizeof(*n));
		if (!n)
			return;
		bt->marks = n;
		bt->cap = cap;
	}
	bt->marks[bt->nr++] = (struct boottimer_mark){ .value = v, .us = us };
}

static const struct bus_ops boottimer_ops = {
	.read = boottimer_read,
	.write = boottimer_write,
};

int boottimer_init(struct vm *vm)
{
	struct boottimer *bt = calloc(1, sizeof(*bt));
	int ret;

	if (!bt)
		return -ENOMEM;
	/* 4 ports so an outl at 0x440 stays inside the claim. */
	ret = bus_register(vm, BUS_PIO, BOOTTIMER_PORT, 4, &boottimer_ops, bt);
	if (ret < 0)
		free(bt);
	return ret;
}

static struct boottimer *boottimer_find(struct vm *vm)
{
	const struct bus_range *r = bus_find(&vm->bus[BUS_PIO], BOOTTIMER_PORT);

	return r && r->ops == &boottimer_ops ? r->opaque : NULL;
}

size_t boottimer_marks(struct vm *vm, const struct boottimer_mark **marks)
{
	struct boottimer *bt = boottimer_find(vm);
	size_t nr = 0;

	*marks = NULL;
	if (!bt)
		return 0;
	vm_lock(vm);
	*marks = bt->marks;
	nr = bt->nr;
	vm_unlock(vm);
	return nr;
}

void boottimer_exit(struct vm *vm)
{
	struct boottimer *bt = boottimer_find(vm);

	if (!bt)
		return;
	free(bt->marks);
	free(bt);
}
