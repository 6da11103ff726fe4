/* 16550A UART (National Semiconductor PC16550D datasheet, June 1995).
 *
 * Transmission is instantaneous: a byte written to THR goes straight to the
 * console, so THR and the transmitter are always empty and LSR.THRE/TEMT
 * always read 1. Reception has the chip's receive FIFO (16 bytes, 1 byte
 * in 16450 mode) in front of a host-side backlog: the backlog stands in for
 * the serial line and host flow control, so a pasted line or a test
 * harness typing a command does not lose bytes a real person could not
 * have typed faster than the guest reads. Only when the backlog is full
 * too are bytes dropped and LSR.OE set. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/bus.h"
#include "ringvm/console.h"
#include "ringvm/hw.h"
#include "ringvm/irq.h"
#include "ringvm/log.h"
#include "ringvm/vm.h"

/* Register offsets (datasheet Table II). */
#define UART_RBR 0  /* read, DLAB=0 */
#define UART_THR 0  /* write, DLAB=0 */
#define UART_DLL 0  /* DLAB=1 */
#define UART_IER 1  /* DLAB=0 */
#define UART_DLM 1  /* DLAB=1 */
#define UART_IIR 2  /* read */
#define UART_FCR 2  /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_ERBFI 0x01  /* received data available */
#define IER_ETBEI 0x02  /* THR empty */
#define IER_ELSI  0x04  /* receiver line status */
#define IER_EDSSI 0x08  /* modem status */

#define IIR_NONE  0x01
#define IIR_MSI   0x00
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_RLSI  0x06
#define IIR_CTI   0x0c
#define IIR_FIFO  0xc0  /* bits 7:6 set while FCR0 = 1 */

#define FCR_ENABLE   0x01
#define FCR_RX_RESET 0x02
#define FCR_TX_RESET 0x04
#define FCR_TRIGGER  0xc0

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_DELTAS 0x0f

#define UART_FIFO_SIZE 16
#define UART_BACKLOG   4096

struct uart {
	struct vm *vm;
	struct console *con;
	struct irq_line irq;
	uint16_t base;
	int level;               /* what we last drove on the IRQ line */

	uint8_t ier, lcr, mcr, msr, scr, fcr;
	uint8_t lsr_errs;        /* OE/PE/FE/BI, cleared by reading LSR */
	uint16_t divisor;
	bool thr_ipending;       /* THRE interrupt armed (datasheet Table IV) */

	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;

	uint8_t backlog[UART_BACKLOG];
	unsigned bl_head, bl_count;
};

static unsigned uart_rx_capacity(const struct uart *u)
{
	/* With FCR0 = 0 the chip is a 16450: one receiver buffer register. */
	return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

static unsigned uart_rx_trigger(const struct uart *u)
{
	static const unsigned level[4] = { 1, 4, 8, 14 }; /* FCR bits 7:6 */

	return (u->fcr & FCR_ENABLE) ? level[u->fcr >> 6] : 1;
}

/* Put a byte in the receive FIFO; false if it is full. */
static bool uart_rx_push(struct uart *u, uint8_t ch)
{
	if (u->rx_count >= uart_rx_capacity(u))
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = ch;
	u->rx_count++;
	return true;
}

/* Move bytes waiting on the "line" into the FIFO as room appears. */
static void uart_refill(struct uart *u)
{
	while (u->bl_count && uart_rx_push(u, u->backlog[u->bl_head])) {
		u->bl_head = (u->bl_head + 1) % UART_BACKLOG;
		u->bl_count--;
	}
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Interrupt identification in priority order (datasheet Table IV): line
 * status, received data (or character timeout in FIFO mode), THR empty,
 * modem status. */
static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_ELSI) && (u->lsr_errs & LSR_ERRS))
		return fifo | IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		/* Below the trigger level a real 16550 waits four character
		 * times before the timeout interrupt; with nothing more in
		 * flight the result is the same, so report it at once. */
		if ((u->fcr & FCR_ENABLE) && u->rx_count < uart_rx_trigger(u))
			return fifo | IIR_CTI;
		return fifo | IIR_RDI;
	}
	if ((u->ier & IER_ETBEI) && u->thr_ipending)
		return fifo | IIR_THRI;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return fifo | IIR_MSI;
	return fifo | IIR_NONE;
}

/* On PCs the 8250's INTRPT output reaches the PIC through a buffer enabled
 * by the OUT2 pin (IBM PC/AT Technical Reference, asynchronous adapter),
 * which is why drivers set MCR.OUT2 before they expect interrupts. In
 * loopback mode the chip forces OUT2 inactive (PC16550D, MCR bit 4), so the
 * interrupt is cut off from the PIC there as well. */
static int uart_compute_level(const struct uart *u)
{
	if (!(u->mcr & MCR_OUT2) || (u->mcr & MCR_LOOP))
		return 0;
	return !(uart_iir(u) & IIR_NONE);
}

static void uart_update_irq(struct uart *u)
{
	int level = uart_compute_level(u);

	if (level == u->level)
		return;
	u->level = level;
	irq_line_set(&u->irq, level);
}

int uart_irq_level(struct uart *u)
{
	return u->level;
}

/* Modem status inputs. With loopback the outputs feed the inputs (DTR→DSR,
 * RTS→CTS, OUT1→RI, OUT2→DCD, PC16550D MCR bit 4); otherwise the other end
 * of the "cable" is always ready with carrier up. Delta bits latch changes
 * until MSR is read; TERI latches only RI's trailing edge. */
static void uart_update_msr(struct uart *u)
{
	uint8_t old = u->msr, now;

	if (u->mcr & MCR_LOOP) {
		now = 0;
		if (u->mcr & MCR_DTR)
			now |= MSR_DSR;
		if (u->mcr & MCR_RTS)
			now |= MSR_CTS;
		if (u->mcr & MCR_OUT1)
			now |= MSR_RI;
		if (u->mcr & MCR_OUT2)
			now |= MSR_DCD;
	} else {
		now = MSR_CTS | MSR_DSR | MSR_DCD;
	}
	u->msr = (uint8_t)(now | (old & MSR_DELTAS));
	if ((old ^ now) & MSR_CTS)
		u->msr |= MSR_DCTS;
	if ((old ^ now) & MSR_DSR)
		u->msr |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		u->msr |= MSR_TERI;
	if ((old ^ now) & MSR_DCD)
		u->msr |= MSR_DDCD;
}

static void uart_transmit(struct uart *u, uint8_t ch)
{
	if (u->mcr & MCR_LOOP) {
		/* The transmitter output is wired to the receiver input. */
		if (!uart_rx_push(u, ch))
			u->lsr_errs |= LSR_OE;
	} else {
		console_write(u->con, &ch, 1);
	}
	/* Writing THR clears a pending THRE interrupt; the byte leaves at
	 * once, THR is empty again, and the interrupt re-arms. */
	u->thr_ipending = true;
}

static uint8_t uart_read_reg(struct uart *u, unsigned reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB)
			return (uint8_t)u->divisor;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
		uart_refill(u);
		return v;
	case UART_IER:
		if (u->lcr & LCR_DLAB)
			return (uint8_t)(u->divisor >> 8);
		return u->ier;
	case UART_IIR:
		v = uart_iir(u);
		/* Reading IIR while it reports THRE is what clears the THRE
		 * interrupt (Table IV, "reset control"). */
		if ((v & 0x0f) == IIR_THRI)
			u->thr_ipending = false;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = (uint8_t)(u->lsr_errs | LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0));
		u->lsr_errs = 0;
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= (uint8_t)~MSR_DELTAS;
		return v;
	default:
		return u->scr;
	}
}

static void uart_write_reg(struct uart *u, unsigned reg, uint8_t val)
{
	uint8_t old;

	switch (reg) {
	case UART_THR:
		if (u->lcr & LCR_DLAB)
			u->divisor = (uint16_t)((u->divisor & 0xff00) | val);
		else
			uart_transmit(u, val);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->divisor = (uint16_t)((u->divisor & 0x00ff) | val << 8);
			break;
		}
		old = u->ier;
		u->ier = val & 0x0f;
		/* Enabling ETBEI with THR already empty raises the interrupt
		 * right away; Linux's 8250 startup probes exactly this. */
		if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
			u->thr_ipending = true;
		break;
	case UART_FCR:
		/* Changing FCR0 empties both FIFOs (datasheet, FCR bit 0). */
		if ((val ^ u->fcr) & FCR_ENABLE)
			uart_rx_clear(u);
		if (val & FCR_RX_RESET)
			uart_rx_clear(u);
		/* FCR_TX_RESET: the transmit FIFO is always empty. */
		u->fcr = val & (FCR_ENABLE | FCR_TRIGGER);
		if (!(u->fcr & FCR_ENABLE))
			u->fcr = 0;
		uart_refill(u);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & MCR_MASK;
		uart_update_msr(u);
		break;
	case UART_LSR:
		/* Writable only in factory test mode; ignored, as on QEMU. */
		break;
	case UART_MSR:
		break;
	default:
		u->scr = val;
		break;
	}
}

/* The registers are byte-wide; a wider access touches only the register
 * at its first port, the way the bus would drive a byte-lane device. */
static uint64_t uart_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct uart *u = opaque;
	uint8_t v = uart_read_reg(u, (unsigned)off & 7);

	uart_update_irq(u);
	return v;
}

static void uart_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct uart *u = opaque;

	uart_write_reg(u, (unsigned)off & 7, (uint8_t)val);
	uart_update_irq(u);
}

static const struct bus_ops uart_ops = {
	.read = uart_io_read,
	.write = uart_io_write,
};

void uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t dropped = 0;

	if (!u || !len)
		return;
	vm_lock(u->vm);
	/* In loopback mode the serial input pin is disconnected. */
	if (!(u->mcr & MCR_LOOP)) {
		for (size_t i = 0; i < len; i++) {
			if (!u->bl_count && uart_rx_push(u, buf[i]))
				continue;
			if (u->bl_count < UART_BACKLOG) {
				u->backlog[(u->bl_head + u->bl_count) % UART_BACKLOG] = buf[i];
				u->bl_count++;
				continue;
			}
			dropped++;
		}
		if (dropped)
			u->lsr_errs |= LSR_OE;
		uart_update_irq(u);
	}
	vm_unlock(u->vm);
	if (dropped)
		pr_guest("uart %#x: guest not reading input, %zu bytes dropped", u->base, dropped);
}

struct uart *uart_init(struct vm *vm, uint16_t base, unsigned gsi, struct console *con)
{
	struct uart *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return NULL;
	u->vm = vm;
	u->con = con;
	u->base = base;
	irq_line_init(&u->irq, vm, gsi);
	/* Power-on values (datasheet Table VI): LSR = 0x60, MSR inputs as
	 * the cable presents them, everything else 0. */
	u->msr = MSR_CTS | MSR_DSR | MSR_DCD;
	/* 115200 baud with the PC's 1.8432 MHz crystal, as firmware leaves it. */
	u->divisor = 1;
	ret = bus_register(vm, BUS_PIO, base, 8, &uart_ops, u);
	if (ret < 0) {
		pr_err("uart: cannot claim ports %#x-%#x: %s", base, base + 7, strerror(-ret));
		free(u);
		errno = -ret;
		return NULL;
	}
	return u;
}

void uart_free(struct uart *u)
{
	free(u);
}
