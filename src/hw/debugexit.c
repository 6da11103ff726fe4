/* Debug exit port 0xf4, compatible with QEMU's isa-debug-exit device: a
 * write of v stops the VM with status (v << 1) | 1, so a test guest can
 * report pass or fail and can never fake ringvm's own success (0).
 * Reads return 0, as QEMU's device does; a guest can tell the port is
 * there because an empty ISA port would read all ones. */
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/log.h"
#include "ringvm/vm.h"

static uint64_t debugexit_read(void *opaque, uint64_t off, unsigned size)
{
	return 0;
}

/* QEMU registers the port with iosize 1, 2 or 4 depending on its command
 * line; test suites write it with outb, outw or outl. One claimed port
 * taking any width serves them all without claiming 0xf5-0xf7, which
 * on PCs belong to the x87 coprocessor range. */
static void debugexit_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct vm *vm = opaque;
	uint32_t v = size >= 4 ? (uint32_t)val : (uint32_t)val & ((1u << (size * 8)) - 1);
	int status = (int)((v << 1) | 1);

	pr_debug("debug-exit: guest wrote %#x, exit status %d", v, status & 0xff);
	vm_request_stop(vm, status);
}

static const struct bus_ops debugexit_ops = {
	.read = debugexit_read,
	.write = debugexit_write,
};

int debugexit_init(struct vm *vm)
{
	return bus_register(vm, BUS_PIO, DEBUGEXIT_PORT, 1, &debugexit_ops, vm);
}
