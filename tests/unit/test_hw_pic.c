/* The emulated 8259A pair through its I/O ports: initialization, priority,
 * masking, EOI, rotation, poll, special mask, auto-EOI, spurious IR7,
 * cascade and edge versus level (ELCR). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ringvm/platform.h"
#include "ringvm/vm.h"

static struct vm vm;
static struct platform *plat;
static int notify_calls;
static bool intr;

static void on_notify(void *opaque, int cpu, bool pending)
{
	assert_ptr_equal(opaque, &vm);
	assert_int_equal(cpu, 0);
	notify_calls++;
	intr = pending;
}

static void outb(uint16_t port, uint8_t v)
{
	assert_int_equal(bus_dispatch(&vm, BUS_PIO, port, &v, 1, true), 0);
}

static uint8_t inb(uint16_t port)
{
	uint8_t v = 0;

	assert_int_equal(bus_dispatch(&vm, BUS_PIO, port, &v, 1, false), 0);
	return v;
}

static void pulse(unsigned irq)
{
	platform_set_irq(plat, irq, 1);
	platform_set_irq(plat, irq, 0);
}

static uint8_t read_isr(uint16_t base)
{
	outb(base, 0x0b);
	return inb(base);
}

static uint8_t read_irr(uint16_t base)
{
	outb(base, 0x0a);
	return inb(base);
}

/* The sequence Linux's init_8259A uses: vectors 0x30/0x38, slave on IR2,
 * 8086 mode, icw4 as given for the master. */
static void init_pics(uint8_t master_icw4)
{
	outb(0x20, 0x11);
	outb(0x21, 0x30);
	outb(0x21, 0x04);
	outb(0x21, master_icw4);
	outb(0xa0, 0x11);
	outb(0xa1, 0x38);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	plat = platform_new(&vm);
	if (!plat)
		return -1;
	platform_set_notify(plat, on_notify, &vm);
	notify_calls = 0;
	intr = false;
	init_pics(0x01);
	return 0;
}

static int teardown(void **state)
{
	platform_free(plat);
	for (int i = 0; i < BUS_NR; i++)
		bus_free(&vm.bus[i]);
	return 0;
}

static void test_init_clears_state(void **state)
{
	outb(0x21, 0x58);
	assert_int_equal(inb(0x21), 0x58);
	pulse(1);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x31);
	assert_int_equal(read_isr(0x20), 0x02);
	/* ICW1 clears IMR and ISR (8259A datasheet, ICW1). */
	init_pics(0x01);
	assert_int_equal(inb(0x21), 0x00);
	assert_int_equal(read_isr(0x20), 0x00);
	assert_false(intr);
}

static void test_edge_delivery_and_eoi(void **state)
{
	assert_false(intr);
	pulse(1);
	assert_true(intr);
	assert_int_equal(notify_calls, 1);
	assert_int_equal(read_irr(0x20), 0x02);
	assert_int_equal(platform_intr_ack(plat, 0), 0x31);
	assert_false(intr);
	assert_int_equal(read_irr(0x20), 0x00);
	assert_int_equal(read_isr(0x20), 0x02);
	outb(0x20, 0x20);                    /* non-specific EOI */
	assert_int_equal(read_isr(0x20), 0x00);
	/* An edge request is consumed by its INTA: no second interrupt. */
	assert_false(intr);
}

static void test_priority_and_nesting(void **state)
{
	pulse(5);
	pulse(3);
	assert_int_equal(platform_intr_ack(plat, 0), 0x33);
	/* IR5 is lower than the in-service IR3: held back. */
	assert_false(intr);
	assert_int_equal(read_irr(0x20), 0x20);
	/* IR1 is higher: it nests. */
	pulse(1);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x31);
	assert_int_equal(read_isr(0x20), 0x0a);
	outb(0x20, 0x20);                    /* ends IR1, the highest */
	assert_int_equal(read_isr(0x20), 0x08);
	assert_false(intr);
	outb(0x20, 0x63);                    /* specific EOI for IR3 */
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x35);
}

static void test_mask(void **state)
{
	outb(0x21, 0x10);
	pulse(4);
	assert_false(intr);
	assert_int_equal(read_irr(0x20), 0x10);  /* latched though masked */
	outb(0x21, 0x00);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x34);
}

static void test_spurious_ir7(void **state)
{
	/* Level request withdrawn before INTA. */
	outb(0x4d0, 0x20);
	platform_set_irq(plat, 5, 1);
	assert_true(intr);
	platform_set_irq(plat, 5, 0);
	assert_false(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x37);
	assert_int_equal(read_isr(0x20), 0x00);  /* spurious: no ISR bit */
	/* Edge request masked after INT went up. */
	pulse(6);
	assert_true(intr);
	outb(0x21, 0x40);
	assert_false(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x37);
	assert_int_equal(read_isr(0x20), 0x00);
	assert_int_equal(read_irr(0x20), 0x40);
}

static void test_cascade(void **state)
{
	pulse(12);
	assert_true(intr);
	assert_int_equal(read_irr(0xa0), 0x10);
	assert_int_equal(platform_intr_ack(plat, 0), 0x3c);
	assert_int_equal(read_isr(0x20), 0x04);
	assert_int_equal(read_isr(0xa0), 0x10);
	assert_false(intr);
	/* Another slave request waits for the master's cascade EOI. */
	pulse(9);
	assert_false(intr);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x39);
	/* Masked slave line: nothing reaches the master. */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	outb(0xa1, 0x08);
	pulse(11);
	assert_false(intr);
	outb(0xa1, 0x00);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x3b);
	/* Masking the cascade input on the master hides the whole slave. */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	outb(0x21, 0x04);
	pulse(14);
	assert_false(intr);
}

static void test_level_vs_edge(void **state)
{
	outb(0x4d1, 0x08);                   /* IRQ11 level */
	assert_int_equal(inb(0x4d1), 0x08);
	platform_set_irq(plat, 11, 1);
	assert_int_equal(platform_intr_ack(plat, 0), 0x3b);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* Still asserted: interrupts again after EOI. */
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x3b);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	platform_set_irq(plat, 11, 0);
	assert_false(intr);
	/* Edge: a line held high interrupts once. */
	platform_set_irq(plat, 3, 1);
	assert_int_equal(platform_intr_ack(plat, 0), 0x33);
	outb(0x20, 0x20);
	assert_false(intr);
	platform_set_irq(plat, 3, 1);            /* no new edge */
	assert_false(intr);
	platform_set_irq(plat, 3, 0);
	platform_set_irq(plat, 3, 1);            /* new edge */
	assert_true(intr);
}

static void test_elcr_reserved_bits(void **state)
{
	outb(0x4d0, 0xff);
	outb(0x4d1, 0xff);
	assert_int_equal(inb(0x4d0), 0xf8);
	assert_int_equal(inb(0x4d1), 0xde);
}

static void test_auto_eoi(void **state)
{
	init_pics(0x03);
	pulse(4);
	assert_int_equal(platform_intr_ack(plat, 0), 0x34);
	assert_int_equal(read_isr(0x20), 0x00);
	/* No ISR bit, so a lower priority is not held back. */
	pulse(6);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x36);
}

static void test_rotation(void **state)
{
	outb(0x20, 0xc3);                    /* set priority: IR3 lowest */
	pulse(1);
	pulse(4);
	assert_int_equal(platform_intr_ack(plat, 0), 0x34);
	outb(0x20, 0x20);
	assert_int_equal(platform_intr_ack(plat, 0), 0x31);
	/* Rotate on non-specific EOI: IR1 becomes the lowest, so IR0 now
	 * loses to IR2..7. */
	outb(0x20, 0xa0);
	pulse(0);
	pulse(7);
	assert_int_equal(platform_intr_ack(plat, 0), 0x37);
	outb(0x20, 0x20);
	assert_int_equal(platform_intr_ack(plat, 0), 0x30);
}

static void test_poll(void **state)
{
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x00);   /* nothing requesting */
	pulse(3);
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x83);
	/* The poll read acknowledged it. */
	assert_int_equal(read_isr(0x20), 0x08);
	assert_false(intr);
	/* The next read is a normal status read again. */
	assert_int_equal(inb(0x20), 0x08);
}

static void test_special_mask(void **state)
{
	pulse(1);
	assert_int_equal(platform_intr_ack(plat, 0), 0x31);
	pulse(6);
	assert_false(intr);                  /* held back by ISR bit 1 */
	outb(0x21, 0x02);                    /* mask IR1 */
	outb(0x20, 0x68);                    /* set special mask mode */
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x36);
	outb(0x20, 0x48);                    /* reset special mask mode */
	outb(0x20, 0x66);
	outb(0x20, 0x61);
	assert_int_equal(read_isr(0x20), 0x00);
}

static void test_sfnm(void **state)
{
	init_pics(0x11);                     /* master in SFNM */
	pulse(12);
	assert_int_equal(platform_intr_ack(plat, 0), 0x3c);
	/* A higher slave request gets through the in-service cascade line. */
	pulse(9);
	assert_true(intr);
	assert_int_equal(platform_intr_ack(plat, 0), 0x39);
	assert_int_equal(read_isr(0xa0), 0x12);
}

static void test_unwired_cpu(void **state)
{
	pulse(1);
	assert_int_equal(platform_intr_ack(plat, 1), -1);
	assert_int_equal(read_irr(0x20), 0x02);
}

static void test_reset(void **state)
{
	pulse(1);
	assert_true(intr);
	platform_reset(plat);
	assert_false(intr);
	assert_int_equal(read_irr(0x20), 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_clears_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_delivery_and_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_and_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spurious_ir7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_vs_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elcr_reserved_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sfnm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwired_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
