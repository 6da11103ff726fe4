/* Runtime for the freestanding test guests. Everything here must behave the
 * same under every accelerator, so it prints nothing that depends on
 * timing or host CPU model. */
#include "rt.h"
#include "guest-asm.h"

/* 16550A registers (National Semiconductor PC16550D datasheet, Table 2). */
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20

static void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);     /* no interrupts: we poll */
	outb(COM1 + UART_LCR, 0x80);     /* DLAB on to reach the divisor */
	outb(COM1 + UART_DLL, 0x01);     /* 115200 baud */
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, 0x03);     /* 8N1, DLAB off */
	outb(COM1 + UART_FCR, 0x07);     /* FIFO on, both cleared */
	outb(COM1 + UART_MCR, 0x03);     /* DTR, RTS */
}

void serial_putc(char c)
{
	unsigned spins = 0;

	if (c == '\n')
		serial_putc('\r');
	/* Wait for room, but not forever: a missing UART reads 0xff (THRE set)
	 * and a broken one must not hang the guest silently. */
	while (!(inb(COM1 + UART_LSR) & LSR_THRE) && ++spins < 100000)
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void put_num(uint64_t v, unsigned base, int width, char pad, int neg, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;

	/* 64-bit division would need libgcc; only base 16 takes 64-bit
	 * values, and that is a shift. Decimal is always 32-bit. */
	if (base == 16) {
		do {
			buf[n++] = digits[v & 0xf];
			v >>= 4;
		} while (v);
	} else {
		uint32_t w = (uint32_t)v;
		do {
			buf[n++] = digits[w % 10];
			w /= 10;
		} while (w);
	}
	if (neg)
		buf[n++] = '-';
	while (n < width)
		serial_putc(pad), width--;
	while (n)
		serial_putc(buf[--n]);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		switch (*fmt) {
		case 'c': serial_putc((char)va_arg(ap, int)); break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			serial_puts(s ? s : "(null)");
			break;
		}
		case 'd': {
			int32_t v = va_arg(ap, int32_t);
			put_num(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, width, pad, v < 0, 0);
			break;
		}
		case 'u': put_num(va_arg(ap, uint32_t), 10, width, pad, 0, 0); break;
		case 'p': serial_puts("0x"); lng = 0; /* fall through */
		case 'x':
		case 'X': {
			uint64_t v = lng >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
			put_num(v, 16, width, pad, 0, *fmt == 'X');
			break;
		}
		case '%': serial_putc('%'); break;
		case 0: return;
		default: serial_putc('%'); serial_putc(*fmt); break;
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void guest_exit(uint8_t code)
{
	outb(DEBUGEXIT, code);
	/* No debug-exit device: park the CPU with interrupts off. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void pass(void)
{
	serial_puts("PASS\n");
	guest_exit(EXIT_PASS);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	serial_puts("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
	guest_exit(EXIT_FAIL);
}

uint8_t cmos_read(uint8_t idx)
{
	outb(CMOS_INDEX, idx);
	return inb(CMOS_DATA);
}

void cmos_write(uint8_t idx, uint8_t v)
{
	outb(CMOS_INDEX, idx);
	outb(CMOS_DATA, v);
}

/* ---- IDT ---------------------------------------------------------------- */

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[48];
static isr_fn handlers[48];
extern const uint32_t isr_stub_table[48];

void idt_init(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;

	for (unsigned i = 0; i < 48; i++) {
		uint32_t a = isr_stub_table[i];
		/* 32-bit interrupt gate, DPL 0, present (SDM Vol. 3A, 6.11). */
		idt[i] = (struct idt_gate){ .off_lo = a & 0xffff, .sel = SEL_CODE32,
					    .type = 0x8e, .off_hi = a >> 16 };
	}
	d.limit = sizeof(idt) - 1;
	d.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" :: "m"(d));
}

void idt_set_handler(unsigned vec, isr_fn fn)
{
	if (vec < 48)
		handlers[vec] = fn;
}

void isr_dispatch(struct isr_frame *f);
void isr_dispatch(struct isr_frame *f)
{
	if (f->vector < 48 && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	fail("unexpected vector %u error %x at eip %x", f->vector, f->error, f->eip);
}

/* ---- 8259 PIC (Intel 8259A datasheet, ICW1-ICW4) ------------------------- */

#define PIC1 0x20
#define PIC2 0xa0

void pic_remap(uint8_t base_master, uint8_t base_slave)
{
	outb(PIC1, 0x11);            /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, base_master); /* ICW2: vector base */
	outb(PIC2 + 1, base_slave);
	outb(PIC1 + 1, 0x04);        /* ICW3: slave on IR2 */
	outb(PIC2 + 1, 0x02);        /* ICW3: slave identity 2 */
	outb(PIC1 + 1, 0x01);        /* ICW4: 8086 mode, normal EOI */
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, 0xfb);        /* OCW1: mask all but the cascade */
	outb(PIC2 + 1, 0xff);
}

void pic_unmask(unsigned irq)
{
	uint16_t port = irq < 8 ? PIC1 + 1 : PIC2 + 1;

	outb(port, inb(port) & ~(1u << (irq & 7)));
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);    /* OCW2: non-specific EOI */
	outb(PIC1, 0x20);
}

/* ---- 8254 PIT (Intel 8254 datasheet) -------------------------------------- */

#define PIT_HZ 1193182u

void pit_periodic(unsigned hz)
{
	uint32_t div = (PIT_HZ + hz / 2) / hz;

	if (div > 0xffff)
		div = 0xffff;
	outb(0x43, 0x34);            /* channel 0, lobyte/hibyte, mode 2, binary */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
}

/* ---- string helpers the compiler may call ---------------------------------- */

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Called by entry.S. */
void guest_start(uint32_t magic, const uint32_t *info);
void guest_start(uint32_t magic, const uint32_t *info)
{
	serial_init();
	guest_main(magic, info);
	fail("guest_main returned");
}
