/* 16550A UART: registers driven through the PIO bus of a bare VM (no
 * accelerator), output captured through a file console. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "ringvm/bus.h"
#include "ringvm/console.h"
#include "ringvm/hw.h"
#include "ringvm/vm.h"

#define COM1 0x3f8
#define RBR 0
#define THR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fixture {
	struct vm vm;
	struct console *con;
	struct uart *u;
	char path[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char spec[80];
	int fd;

	if (!f)
		return -1;
	strcpy(f->path, "/tmp/ringvm-uart-XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(spec, sizeof(spec), "file:%s", f->path);
	f->con = console_open(spec, &f->vm);
	if (!f->con)
		return -1;
	f->u = uart_init(&f->vm, COM1, 4, f->con);
	if (!f->u)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uart_free(f->u);
	console_close(f->con);
	bus_free(&f->vm.bus[BUS_PIO]);
	unlink(f->path);
	free(f);
	return 0;
}

static uint8_t in8(struct fixture *f, unsigned reg)
{
	uint8_t v = 0;

	assert_int_equal(bus_dispatch(&f->vm, BUS_PIO, COM1 + reg, &v, 1, false), 0);
	return v;
}

static void out8(struct fixture *f, unsigned reg, uint8_t v)
{
	assert_int_equal(bus_dispatch(&f->vm, BUS_PIO, COM1 + reg, &v, 1, true), 0);
}

static size_t read_output(struct fixture *f, char *buf, size_t len)
{
	FILE *fp = fopen(f->path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len, fp);
	fclose(fp);
	return n;
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(in8(f, LSR), 0x60);         /* THRE | TEMT, no data */
	assert_int_equal(in8(f, IIR), 0x01);         /* nothing pending, no FIFO */
	assert_int_equal(in8(f, IER), 0x00);
	assert_int_equal(in8(f, MSR) & 0xf0, 0xb0);  /* DCD, DSR, CTS */
	assert_int_equal(uart_irq_level(f->u), 0);
}

static void test_transmit_to_console(void **state)
{
	struct fixture *f = *state;
	char buf[16];

	out8(f, THR, 'o');
	out8(f, THR, 'k');
	out8(f, THR, '\n');
	assert_int_equal(read_output(f, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "ok\n", 3);
	assert_int_equal(in8(f, LSR) & 0x60, 0x60);
}

static void test_scratch_and_ier_mask(void **state)
{
	struct fixture *f = *state;

	out8(f, SCR, 0xa5);
	assert_int_equal(in8(f, SCR), 0xa5);
	out8(f, IER, 0xff);
	assert_int_equal(in8(f, IER), 0x0f);  /* bits 7:4 are always 0 */
}

static void test_dlab_divisor(void **state)
{
	struct fixture *f = *state;

	out8(f, LCR, 0x83);                   /* DLAB, 8N1 */
	out8(f, 0, 0x0c);                     /* 9600 baud */
	out8(f, 1, 0x00);
	assert_int_equal(in8(f, 0), 0x0c);
	assert_int_equal(in8(f, 1), 0x00);
	out8(f, LCR, 0x03);
	/* With DLAB clear, offset 1 is IER again and offset 0 sends. */
	assert_int_equal(in8(f, IER), 0x00);
	assert_int_equal(in8(f, LCR), 0x03);
	out8(f, LCR, 0x83);
	assert_int_equal(in8(f, 0), 0x0c);
}

static void test_receive_fifo_and_trigger(void **state)
{
	struct fixture *f = *state;
	const uint8_t in[] = "abcdef";

	out8(f, FCR, 0x81);            /* FIFO on, trigger 8 */
	assert_int_equal(in8(f, IIR) & 0xc0, 0xc0);
	out8(f, MCR, 0x08);            /* OUT2 */
	out8(f, IER, 0x01);            /* RX data */
	uart_receive(f->u, in, 6);
	assert_true(in8(f, LSR) & 0x01);
	/* Below the trigger level: character timeout identification. */
	assert_int_equal(in8(f, IIR), 0xcc);
	assert_int_equal(uart_irq_level(f->u), 1);
	uart_receive(f->u, (const uint8_t *)"gh", 2);
	assert_int_equal(in8(f, IIR), 0xc4);  /* 8 bytes: trigger reached */
	for (int i = 0; i < 8; i++)
		assert_int_equal(in8(f, RBR), "abcdefgh"[i]);
	assert_false(in8(f, LSR) & 0x01);
	assert_int_equal(in8(f, IIR), 0xc1);
	assert_int_equal(uart_irq_level(f->u), 0);
}

static void test_fifo_reset_clears(void **state)
{
	struct fixture *f = *state;

	out8(f, FCR, 0x01);
	uart_receive(f->u, (const uint8_t *)"xyz", 3);
	assert_true(in8(f, LSR) & 0x01);
	out8(f, FCR, 0x03);            /* reset RX FIFO */
	assert_false(in8(f, LSR) & 0x01);
}

static void test_backlog_and_overrun(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[8192];
	unsigned got = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	out8(f, FCR, 0x01);
	/* 16 in the FIFO, 4096 waiting on the line, the rest lost. */
	uart_receive(f->u, big, sizeof(big));
	assert_int_equal(in8(f, LSR) & 0x03, 0x03);  /* DR | OE */
	assert_int_equal(in8(f, LSR) & 0x02, 0);     /* OE cleared by the read */
	while (in8(f, LSR) & 0x01) {
		assert_int_equal(in8(f, RBR), (uint8_t)got);
		got++;
	}
	assert_int_equal(got, 16 + 4096);
}

static void test_16450_mode_one_byte(void **state)
{
	struct fixture *f = *state;

	/* FIFO disabled: one holding register, the rest waits. */
	uart_receive(f->u, (const uint8_t *)"12", 2);
	assert_int_equal(in8(f, IIR) & 0xc0, 0);
	assert_int_equal(in8(f, RBR), '1');
	assert_true(in8(f, LSR) & 0x01);
	assert_int_equal(in8(f, RBR), '2');
	assert_false(in8(f, LSR) & 0x01);
}

static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;

	out8(f, MCR, 0x08);
	out8(f, IER, 0x02);
	/* Enabling ETBEI with THR empty raises the interrupt at once. */
	assert_int_equal(uart_irq_level(f->u), 1);
	assert_int_equal(in8(f, IIR), 0x02);
	/* Reading IIR with THRE as the source cleared it. */
	assert_int_equal(uart_irq_level(f->u), 0);
	assert_int_equal(in8(f, IIR), 0x01);
	/* A write re-arms it: the byte is gone at once. */
	out8(f, THR, '.');
	assert_int_equal(uart_irq_level(f->u), 1);
	out8(f, IER, 0x00);
	assert_int_equal(uart_irq_level(f->u), 0);
}

static void test_out2_gates_irq(void **state)
{
	struct fixture *f = *state;

	out8(f, IER, 0x01);
	uart_receive(f->u, (const uint8_t *)"q", 1);
	assert_int_equal(in8(f, IIR), 0x04);     /* pending inside the chip */
	assert_int_equal(uart_irq_level(f->u), 0); /* but OUT2 is off */
	out8(f, MCR, 0x08);
	assert_int_equal(uart_irq_level(f->u), 1);
	out8(f, MCR, 0x00);
	assert_int_equal(uart_irq_level(f->u), 0);
}

static void test_priority_line_status_first(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[5000];

	out8(f, MCR, 0x08);
	out8(f, IER, 0x07);            /* RX, THRE, line status */
	assert_int_equal(in8(f, IIR), 0x02);  /* consume the THRE */
	uart_receive(f->u, big, sizeof(big));  /* overflows: OE */
	assert_int_equal(in8(f, IIR), 0x06);   /* line status beats RX data */
	(void)in8(f, LSR);                     /* clears OE */
	assert_int_equal(in8(f, IIR), 0x04);   /* then RX data */
}

static void test_loopback(void **state)
{
	struct fixture *f = *state;
	char buf[8];

	out8(f, MCR, 0x10 | 0x0a);     /* LOOP | RTS | OUT2, as Linux probes */
	assert_int_equal(in8(f, MSR) & 0xf0, 0x90);  /* CTS | DCD */
	out8(f, MCR, 0x10 | 0x05);     /* LOOP | DTR | OUT1 */
	assert_int_equal(in8(f, MSR) & 0xf0, 0x60);  /* DSR | RI */
	out8(f, THR, 'L');
	assert_true(in8(f, LSR) & 0x01);
	assert_int_equal(in8(f, RBR), 'L');
	/* Nothing reached the console, and host input is disconnected. */
	assert_int_equal(read_output(f, buf, sizeof(buf)), 0);
	uart_receive(f->u, (const uint8_t *)"h", 1);
	assert_false(in8(f, LSR) & 0x01);
	/* Interrupts stay inside the chip: OUT2 is forced off in loopback. */
	out8(f, MCR, 0x10 | 0x08);
	out8(f, IER, 0x02);
	assert_int_equal(uart_irq_level(f->u), 0);
	assert_int_equal(in8(f, IIR) & 0x0f, 0x02);
	/* Leaving loopback with OUT2 set lets a pending interrupt out. */
	out8(f, IER, 0x00);
	out8(f, IER, 0x02);
	out8(f, MCR, 0x08);
	assert_int_equal(uart_irq_level(f->u), 1);
}

static void test_modem_status_deltas(void **state)
{
	struct fixture *f = *state;

	(void)in8(f, MSR);
	out8(f, MCR, 0x10);            /* loopback, all outputs off */
	/* CTS, DSR and DCD dropped: their delta bits latch. */
	assert_int_equal(in8(f, MSR), 0x0b);
	assert_int_equal(in8(f, MSR), 0x00);   /* read cleared them */
	out8(f, MCR, 0x10 | 0x04);     /* OUT1 -> RI rises: no TERI */
	assert_int_equal(in8(f, MSR), 0x40);
	out8(f, MCR, 0x10);            /* RI falls: TERI */
	assert_int_equal(in8(f, MSR), 0x04);
	out8(f, IER, 0x08);
	out8(f, MCR, 0x10 | 0x02);     /* CTS rises: modem status interrupt */
	assert_int_equal(in8(f, IIR), 0x00);
	(void)in8(f, MSR);
	assert_int_equal(in8(f, IIR), 0x01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transmit_to_console, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch_and_ier_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab_divisor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_fifo_and_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_reset_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_and_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_16450_mode_one_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out2_gates_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_line_status_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modem_status_deltas, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
