/* A bare VM for the device unit tests (test_hw_*.c): no accelerator, no
 * vCPU, only the devices a test registers, and IN/OUT straight through
 * the PIO bus the way a vCPU's port access reaches it. Each test file
 * includes this once; the_vm is its VM. */
#ifndef TEST_HW_FIXTURE_H
#define TEST_HW_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/vm.h"

static struct vm the_vm;

/* cmocka setup: a zeroed VM in the running state (debug-exit, S5 and the
 * like move it on, and the tests look at that). */
static inline int hw_setup(void **state)
{
	(void)state;
	memset(&the_vm, 0, sizeof(the_vm));
	atomic_store(&the_vm.state, VM_RUNNING);
	return 0;
}

/* cmocka teardown: the ISA devices and the PCI host free themselves if a
 * test created them (hw_exit skips the others), then the bus ranges. */
static inline int hw_teardown(void **state)
{
	(void)state;
	hw_exit(&the_vm);
	bus_free(&the_vm.bus[BUS_PIO]);
	return 0;
}

static inline uint32_t in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	bus_dispatch(&the_vm, BUS_PIO, port, &v, size, false);
	return v;
}

static inline void out(uint16_t port, unsigned size, uint32_t v)
{
	bus_dispatch(&the_vm, BUS_PIO, port, &v, size, true);
}

#endif
