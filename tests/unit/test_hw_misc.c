/* The small ISA devices on a bare VM: i8042 (probe sequence, reset, port
 * 0x61), debug-exit, boot-timer and the POST port. */
#include <errno.h>
#include "hw-fixture.h"

/* Linux's i8042_command(): send, then poll OBF for each result byte. */
static int kbc_read(void)
{
	for (int i = 0; i < 10; i++)
		if (in(0x64, 1) & 0x01)
			return (int)in(0x60, 1);
	return -1;
}

static void test_i8042_probe_sequence(void **state)
{
	uint8_t ctr;

	assert_int_equal(i8042_init(&the_vm), 0);
	/* Not locked, nothing to read. */
	assert_int_equal(in(0x64, 1) & 0x11, 0x10);
	out(0x64, 1, 0xaa);
	assert_int_equal(kbc_read(), 0x55);
	assert_true(in(0x64, 1) & 0x04);       /* system flag after self-test */
	/* Read again with OBF clear: the buffer still holds the old byte. */
	assert_int_equal(in(0x64, 1) & 0x01, 0);
	assert_int_equal(in(0x60, 1), 0x55);
	out(0x64, 1, 0xab);
	assert_int_equal(kbc_read(), 0x00);
	out(0x64, 1, 0x20);
	ctr = (uint8_t)kbc_read();
	assert_int_equal(ctr & 0x04, 0x04);
	/* Write the command byte back with interrupts off, read it again. */
	out(0x64, 1, 0x60);
	assert_true(in(0x64, 1) & 0x08);       /* last write was a command */
	out(0x60, 1, 0x74);
	assert_false(in(0x64, 1) & 0x08);
	out(0x64, 1, 0x20);
	assert_int_equal(kbc_read(), 0x74);
	/* Disable/enable bits as Linux's i8042_toggle_aux() checks them. */
	out(0x64, 1, 0xa8);
	out(0x64, 1, 0x20);
	assert_int_equal(kbc_read() & 0x20, 0);
	out(0x64, 1, 0xa7);
	out(0x64, 1, 0x20);
	assert_int_equal(kbc_read() & 0x20, 0x20);
	out(0x64, 1, 0xae);
	out(0x64, 1, 0x20);
	assert_int_equal(kbc_read() & 0x10, 0);
	out(0x64, 1, 0xad);
	out(0x64, 1, 0x20);
	assert_int_equal(kbc_read() & 0x10, 0x10);
	/* Nothing left over. */
	assert_int_equal(kbc_read(), -1);
}

static void test_i8042_aux_loop_and_no_mouse(void **state)
{
	assert_int_equal(i8042_init(&the_vm), 0);
	out(0x64, 1, 0xd3);
	out(0x60, 1, 0x5a);
	assert_int_equal(in(0x64, 1) & 0x21, 0x21);  /* OBF from the AUX side */
	assert_int_equal(in(0x60, 1), 0x5a);
	out(0x64, 1, 0xa9);
	assert_int_equal(kbc_read(), 0x00);
	/* A byte for the (absent) mouse times out at once. */
	out(0x64, 1, 0xd4);
	out(0x60, 1, 0xff);
	assert_int_equal(in(0x64, 1) & 0x61, 0x61);
	assert_int_equal(in(0x60, 1), 0xfe);
}

static void test_i8042_keyboard_answers(void **state)
{
	assert_int_equal(i8042_init(&the_vm), 0);
	out(0x60, 1, 0xf2);                    /* identify */
	assert_int_equal(kbc_read(), 0xfa);
	assert_int_equal(kbc_read(), 0xab);
	assert_int_equal(kbc_read(), 0x83);
	out(0x60, 1, 0xed);                    /* LEDs, then the parameter */
	assert_int_equal(kbc_read(), 0xfa);
	out(0x60, 1, 0x07);
	assert_int_equal(kbc_read(), 0xfa);
	out(0x60, 1, 0xee);                    /* echo */
	assert_int_equal(kbc_read(), 0xee);
	out(0x60, 1, 0xff);                    /* reset: ACK, BAT passed */
	assert_int_equal(kbc_read(), 0xfa);
	assert_int_equal(kbc_read(), 0xaa);
	assert_int_equal(kbc_read(), -1);
}

static void test_i8042_reset(void **state)
{
	assert_int_equal(i8042_init(&the_vm), 0);
	out(0x64, 1, 0xd0);
	assert_int_equal(kbc_read() & 0x03, 0x03);  /* not in reset, A20 on */
	out(0x64, 1, 0xff);                          /* pulse nothing */
	assert_int_equal(atomic_load(&the_vm.state), VM_RUNNING);
	out(0x64, 1, 0xfe);                          /* Linux reboot=k */
	assert_int_equal(atomic_load(&the_vm.state), VM_RESETTING);
}

static void test_i8042_reset_by_output_port(void **state)
{
	assert_int_equal(i8042_init(&the_vm), 0);
	out(0x64, 1, 0xd1);
	out(0x60, 1, 0x03);
	assert_int_equal(atomic_load(&the_vm.state), VM_RUNNING);
	out(0x64, 1, 0xd1);
	out(0x60, 1, 0x02);                          /* bit 0 low: reset */
	assert_int_equal(atomic_load(&the_vm.state), VM_RESETTING);
}

static void test_port61_toggles(void **state)
{
	uint32_t a, b;

	assert_int_equal(i8042_init(&the_vm), 0);
	out(0x61, 1, 0x03);
	a = in(0x61, 1);
	b = in(0x61, 1);
	assert_int_equal(a & 0x0f, 0x03);
	assert_int_not_equal(a & 0x10, b & 0x10);
	assert_int_not_equal(a & 0x20, b & 0x20);
}

static uint64_t other61_read(void *opaque, uint64_t off, unsigned size)
{
	return 0x42;
}

static const struct bus_ops other61_ops = { .read = other61_read };

static void test_port61_left_to_pit(void **state)
{
	/* A PIT model that registered 0x61 first keeps it. */
	assert_int_equal(bus_register(&the_vm, BUS_PIO, 0x61, 1, &other61_ops, NULL), 0);
	assert_int_equal(i8042_init(&the_vm), 0);
	assert_int_equal(in(0x61, 1), 0x42);
	out(0x64, 1, 0xaa);
	assert_int_equal(kbc_read(), 0x55);
}

static void test_debugexit(void **state)
{
	assert_int_equal(debugexit_init(&the_vm), 0);
	assert_int_equal(in(DEBUGEXIT_PORT, 1), 0);  /* like QEMU: reads 0 */
	out(DEBUGEXIT_PORT, 4, 0x10);
	assert_int_equal(atomic_load(&the_vm.state), VM_STOPPING);
	assert_int_equal(the_vm.exit_status, 0x21);
}

static void test_debugexit_widths(void **state)
{
	assert_int_equal(debugexit_init(&the_vm), 0);
	out(DEBUGEXIT_PORT, 1, 0x1ff);               /* only the low byte */
	assert_int_equal(the_vm.exit_status, (0xff << 1) | 1);
}

static void test_boottimer(void **state)
{
	const struct boottimer_mark *m;
	uint32_t t1, t2;

	assert_int_equal(boottimer_init(&the_vm), 0);
	assert_int_equal(boottimer_marks(&the_vm, &m), 0);
	t1 = in(BOOTTIMER_PORT, 4);
	out(BOOTTIMER_PORT, 4, 7);
	out(BOOTTIMER_PORT, 1, 9);
	t2 = in(BOOTTIMER_PORT, 4);
	assert_true(t2 >= t1);
	assert_int_equal(boottimer_marks(&the_vm, &m), 2);
	assert_int_equal(m[0].value, 7);
	assert_int_equal(m[1].value, 9);
	assert_true(m[0].us <= m[1].us);
	assert_true(m[1].us <= t2 + 1);
}

static void test_post_port(void **state)
{
	assert_int_equal(post_init(&the_vm), 0);
	out(0x80, 1, 0x12);
	assert_int_equal(in(0x80, 1), 0xff);
	/* Claimed: a second owner is refused. */
	assert_int_equal(post_init(&the_vm), -EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_i8042_probe_sequence, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_i8042_aux_loop_and_no_mouse, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_i8042_keyboard_answers, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_i8042_reset, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_i8042_reset_by_output_port, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_port61_toggles, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_port61_left_to_pit, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_debugexit, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_debugexit_widths, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_boottimer, hw_setup, hw_teardown),
		cmocka_unit_test_setup_teardown(test_post_port, hw_setup, hw_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
