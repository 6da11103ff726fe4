/* The PC/AT pair of Intel 8259A programmable interrupt controllers: master
 * at 0x20/0x21, slave at 0xa0/0xa1 cascaded into master IR2, plus the PIIX
 * edge/level control registers (ELCR) at 0x4d0/0x4d1.
 *
 * References: Intel 8259A datasheet (order 231468), sections "Interrupt
 * Sequence", "Programming the 8259A" (ICW1-4, OCW1-3), "Priority modes";
 * Intel 82371AB (PIIX4) datasheet 4.1.11 for the ELCR. */
#include <errno.h>
#include <string.h>
#include "ringvm/bus.h"
#include "ringvm/log.h"
#include "ringvm/vm.h"
#include "hw/platform-priv.h"

#define PIC_CASCADE_IR 2

static bool chip_is_master(const struct pic *pic, const struct pic_chip *c)
{
	return c == &pic->chip[0];
}

/* Inputs whose IRR bit follows the input level instead of latching a
 * rising edge: LTIM (ICW1 bit 3) makes every input level-sensitive, the
 * ELCR does it per input. The master's cascade input is treated as level
 * too: the slave holds INT until its INTA, and an edge latch there would
 * lose a second slave request that arrives while the first is in service
 * (the slave's INT never drops in between). */
static uint8_t chip_level_mask(const struct pic *pic, const struct pic_chip *c)
{
	uint8_t m = c->ltim ? 0xff : c->elcr;

	if (chip_is_master(pic, c) && !c->single)
		m |= 1u << PIC_CASCADE_IR;
	return m;
}

/* Rank of an IR line: 0 is the highest priority. After rotation the line
 * following `lowest` has the highest priority (8259A "Rotating priority"). */
static unsigned chip_rank(const struct pic_chip *c, unsigned ir)
{
	return (ir - c->lowest - 1) & 7;
}

/* The highest-priority line set in mask, or -1. */
static int chip_highest(const struct pic_chip *c, uint8_t mask)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned ir = (c->lowest + 1 + i) & 7;
		if (mask & (1u << ir))
			return (int)ir;
	}
	return -1;
}

/* The line this chip would present on INTA now, or -1 (priority
 * resolver, 8259A "Priority Resolver" and "Special Mask Mode"). */
static int chip_pending(const struct pic *pic, const struct pic_chip *c)
{
	uint8_t req = c->irr & ~c->imr;
	uint8_t in = c->isr;
	int r, s;

	if (c->special_mask) {
		/* Special mask mode: an in-service level inhibits only itself;
		 * lower priorities are enabled too. */
		return chip_highest(c, req & ~in);
	}
	r = chip_highest(c, req);
	if (r < 0)
		return -1;
	/* Special fully nested mode: the master lets a higher-priority request
	 * of the slave through although the cascade line is in service. */
	if (chip_is_master(pic, c) && c->sfnm)
		in &= ~(1u << PIC_CASCADE_IR);
	s = chip_highest(c, in);
	if (s >= 0 && chip_rank(c, (unsigned)r) >= chip_rank(c, (unsigned)s))
		return -1;
	return r;
}

static void chip_set_line(const struct pic *pic, struct pic_chip *c, unsigned ir, int level)
{
	uint8_t bit = 1u << ir;

	if (level) {
		if (!(c->line & bit) || (chip_level_mask(pic, c) & bit))
			c->irr |= bit;
		c->line |= bit;
	} else {
		c->line &= ~bit;
		/* A level request that goes away before INTA is withdrawn; the
		 * INTA then gets the spurious IR7 vector. Edge requests stay
		 * latched (devices pulse them). */
		if (chip_level_mask(pic, c) & bit)
			c->irr &= ~bit;
	}
}

/* Recompute both INT outputs; the slave's feeds master IR2. */
static void pic_update(struct pic *pic)
{
	struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	bool out;

	s->output = chip_pending(pic, s) >= 0;
	if (!m->single)
		chip_set_line(pic, m, PIC_CASCADE_IR, s->output);
	out = chip_pending(pic, m) >= 0;
	if (out != m->output) {
		m->output = out;
		if (pic->out_changed)
			pic->out_changed(pic->opaque, out);
	}
}

void pic_set_irq(struct pic *pic, unsigned irq, int level)
{
	if (irq >= 16 || irq == PIC_CASCADE_IR)
		return;
	chip_set_line(pic, &pic->chip[irq >> 3], irq & 7, level);
	pic_update(pic);
}

/* Second INTA pulse: the line goes in service (unless auto-EOI) and an
 * edge request is consumed. */
static void chip_ack(const struct pic *pic, struct pic_chip *c, unsigned ir)
{
	uint8_t bit = 1u << ir;

	if (!(chip_level_mask(pic, c) & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->lowest = (uint8_t)ir;
	} else {
		c->isr |= bit;
	}
}

int pic_intr_ack(struct pic *pic)
{
	struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	int ir = chip_pending(pic, m), vec;

	pic->last_ack_irq = -1;
	if (ir < 0) {
		/* No request left at INTA: the 8259A answers IR7's vector and
		 * sets no ISR bit ("spurious interrupt"). */
		vec = m->vector_base | 7;
	} else {
		chip_ack(pic, m, (unsigned)ir);
		if (ir == PIC_CASCADE_IR && !m->single) {
			int sir = chip_pending(pic, s);
			if (sir < 0) {
				/* The slave's spurious IR15: the master's
				 * cascade line stays in service. */
				vec = s->vector_base | 7;
			} else {
				chip_ack(pic, s, (unsigned)sir);
				vec = s->vector_base | sir;
				pic->last_ack_irq = 8 + sir;
			}
		} else {
			vec = m->vector_base | ir;
			pic->last_ack_irq = ir;
		}
	}
	pic_update(pic);
	return vec;
}

static void chip_reset(struct pic_chip *c, uint8_t elcr_mask)
{
	uint8_t line = c->line;

	memset(c, 0, sizeof(*c));
	c->line = line;           /* the wires keep their level */
	c->elcr_mask = elcr_mask;
	c->lowest = 7;
	/* The 8259A's state before ICW1 is undefined; keep it quiet until
	 * the guest initializes it, so a guest that only uses the APICs
	 * never sees vectors from an unprogrammed PIC through LINT0. */
	c->imr = 0xff;
}

void pic_reset(struct pic *pic)
{
	/* ELCR bits for IRQ 0, 1, 2, 8 and 13 are reserved (PIIX4 4.1.11). */
	chip_reset(&pic->chip[0], 0xf8);
	chip_reset(&pic->chip[1], 0xde);
	pic_update(pic);
}

static void chip_icw1(const struct pic *pic, struct pic_chip *c, uint8_t val)
{
	/* ICW1 clears IMR and ISR, gives IR7 the lowest priority, clears
	 * special mask, selects IRR for status reads and resets the edge
	 * sense latches, and with IC4=0 zeroes the ICW4 functions (8259A
	 * "Initialization Command Words"). */
	if (val & 0xe0)
		pr_debug("pic: ICW1 %#x: MCS-80 address bits ignored", val);
	c->ltim = val & 0x08;
	c->single = val & 0x02;
	c->icw4_needed = val & 0x01;
	c->imr = 0;
	c->isr = 0;
	c->irr = c->line & chip_level_mask(pic, c);
	c->lowest = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	c->sfnm = false;
	c->init_step = 2;
}

static void chip_icw(struct pic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = val & 0xf8;
		c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
		break;
	case 3:
		c->icw3 = val;
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		if (!(val & 0x01))
			pr_guest("pic: ICW4 selects MCS-80/85 mode; x86 mode kept");
		c->auto_eoi = val & 0x02;
		c->sfnm = val & 0x10;
		c->init_step = 0;
		break;
	}
}

static void chip_ocw2(struct pic_chip *c, uint8_t val)
{
	unsigned ir = val & 7;
	int h;

	switch (val >> 5) {
	case 0: /* clear rotate in automatic EOI mode */
		c->rotate_on_aeoi = false;
		break;
	case 4: /* set rotate in automatic EOI mode */
		c->rotate_on_aeoi = true;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		h = chip_highest(c, c->isr);
		if (h < 0)
			break;
		c->isr &= ~(1u << h);
		if (val >> 5 == 5)
			c->lowest = (uint8_t)h;
		break;
	case 3: /* specific EOI */
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << ir);
		if (val >> 5 == 7)
			c->lowest = (uint8_t)ir;
		break;
	case 6: /* set priority: ir becomes the lowest */
		c->lowest = (uint8_t)ir;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & 0x04)
		c->poll = true;
	if (val & 0x02)
		c->read_isr = val & 0x01;
	if (val & 0x40)
		c->special_mask = val & 0x20;
}

/* Poll command: the read acts as an INTA of this chip alone and returns
 * I (bit 7) and the level (8259A "The Poll Command"). */
static uint8_t chip_poll(struct pic *pic, struct pic_chip *c)
{
	int ir = chip_pending(pic, c);

	c->poll = false;
	if (ir < 0)
		return 0;
	chip_ack(pic, c, (unsigned)ir);
	pic_update(pic);
	return (uint8_t)(0x80 | ir);
}

uint64_t pic_io_read(struct pic *pic, uint16_t port)
{
	struct pic_chip *c;

	switch (port) {
	case 0x4d0:
		return pic->chip[0].elcr;
	case 0x4d1:
		return pic->chip[1].elcr;
	case 0x20: case 0x21: case 0xa0: case 0xa1:
		break;
	default:
		return 0xff;
	}
	c = &pic->chip[port >> 7];
	if (c->poll)
		return chip_poll(pic, c);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

void pic_io_write(struct pic *pic, uint16_t port, uint8_t val)
{
	struct pic_chip *c;

	switch (port) {
	case 0x4d0:
	case 0x4d1:
		c = &pic->chip[port & 1];
		c->elcr = val & c->elcr_mask;
		/* A line switched to level: IRR now mirrors its input. */
		c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->line & c->elcr));
		pic_update(pic);
		return;
	case 0x20: case 0x21: case 0xa0: case 0xa1:
		break;
	default:
		return;
	}
	c = &pic->chip[port >> 7];
	if (!(port & 1)) {
		if (val & 0x10)
			chip_icw1(pic, c, val);
		else if (val & 0x08)
			chip_ocw3(c, val);
		else
			chip_ocw2(c, val);
	} else if (c->init_step) {
		chip_icw(c, val);
	} else {
		c->imr = val;
	}
	pic_update(pic);
}

/* Bus glue: one range per chip; wider accesses go byte by byte. */
static uint64_t pic_bus_read(struct pic *pic, uint16_t base, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (pic_io_read(pic, (uint16_t)(base + off + i)) & 0xff) << (8 * i);
	return v;
}

static void pic_bus_write(struct pic *pic, uint16_t base, uint64_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size; i++)
		pic_io_write(pic, (uint16_t)(base + off + i), (uint8_t)(val >> (8 * i)));
}

#define PIC_OPS(name, base)                                                          \
	static uint64_t name##_read(void *o, uint64_t off, unsigned size)            \
	{ return pic_bus_read(o, base, off, size); }                                 \
	static void name##_write(void *o, uint64_t off, unsigned size, uint64_t val) \
	{ pic_bus_write(o, base, off, size, val); }                                  \
	static const struct bus_ops name##_ops = {                                   \
		.read = name##_read,                                                 \
		.write = name##_write,                                               \
	}

PIC_OPS(pic_master, 0x20);
PIC_OPS(pic_slave, 0xa0);
PIC_OPS(pic_elcr, 0x4d0);

int pic_init(struct pic *pic, struct vm *vm)
{
	int ret;

	memset(pic->chip, 0, sizeof(pic->chip));
	pic_reset(pic);
	if ((ret = bus_register(vm, BUS_PIO, 0x20, 2, &pic_master_ops, pic)) < 0 ||
	    (ret = bus_register(vm, BUS_PIO, 0xa0, 2, &pic_slave_ops, pic)) < 0 ||
	    (ret = bus_register(vm, BUS_PIO, 0x4d0, 2, &pic_elcr_ops, pic)) < 0)
		return ret;
	return 0;
}
