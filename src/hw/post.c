/* POST diagnostic port 0x80. Firmware writes progress codes here, and
 * Linux writes it as a short I/O delay (outb_p, arch/x86/include/asm/io.h:
 * "slow_down_io"), so it must be claimed and cheap. Reads return all ones
 * like the unclaimed port on PCs, which is also what QEMU returns. */
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/vm.h"

#define POST_PORT 0x80

static uint64_t post_read(void *opaque, uint64_t off, unsigned size)
{
	return ~0ULL;
}

static void post_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	/* Deliberately silent: Linux writes here thousands of times. */
}

static const struct bus_ops post_ops = {
	.read = post_read,
	.write = post_write,
};

int post_init(struct vm *vm)
{
	return bus_register(vm, BUS_PIO, POST_PORT, 1, &post_ops, NULL);
}
