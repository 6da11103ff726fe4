/* Internals of the emulated platform (src/hw/platform.c and the devices it
 * owns). Not a public header: only platform.c, the devices and their unit
 * tests include it. */
#ifndef RINGVM_HW_PLATFORM_PRIV_H
#define RINGVM_HW_PLATFORM_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "ringvm/platform.h"

struct vm;

/* ---- i8259A pair (pic8259.c) ---- */

struct pic_chip {
	uint8_t irr;          /* interrupt request register */
	uint8_t isr;          /* in-service register */
	uint8_t imr;          /* interrupt mask register (OCW1) */
	uint8_t line;         /* current level of the IR inputs */
	uint8_t elcr;         /* PIIX edge/level control: 1 = level */
	uint8_t elcr_mask;    /* ELCR bits that exist on this chip */
	uint8_t vector_base;  /* ICW2 T7-T3 */
	uint8_t icw3;
	uint8_t lowest;       /* IR line with the lowest priority (rotation) */
	uint8_t init_step;    /* 0 ready, else the ICW (2..4) expected next */
	bool icw4_needed, single, ltim;
	bool auto_eoi, rotate_on_aeoi, sfnm;
	bool special_mask;
	bool read_isr;        /* OCW3 RR/RIS: next even-port read gives ISR */
	bool poll;            /* OCW3 P: next even-port read is a poll */
	bool output;          /* INT pin */
};

struct pic {
	struct pic_chip chip[2];          /* [0] master, [1] slave */
	int last_ack_irq;                 /* ISA IRQ of the last INTA, -1 spurious */
	/* Called when the master's INT output changes level. */
	void (*out_changed)(void *opaque, bool level);
	void *opaque;
};

/* Registers 0x20/0x21, 0xa0/0xa1, 0x4d0/0x4d1 (vm may be a bare unit-test
 * VM). */
int pic_init(struct pic *pic, struct vm *vm);
void pic_reset(struct pic *pic);
/* ISA IRQ 0-15 input level; IRQ 2 is the cascade and ignored. */
void pic_set_irq(struct pic *pic, unsigned irq, int level);
/* INTA cycle: the vector the pair puts on the bus (spurious IR7/IR15
 * vectors included, as the hardware does). */
int pic_intr_ack(struct pic *pic);
/* Port-level access (bus glue, and unit tests without a bus). */
uint64_t pic_io_read(struct pic *pic, uint16_t port);
void pic_io_write(struct pic *pic, uint16_t port, uint8_t val);

/* ---- i8254 PIT (pit8254.c) ---- */

#define PIT_HZ 1193182ULL

struct pit_channel {
	uint32_t count;       /* count in use, 1..0x10000 (binary units) */
	uint32_t reload;      /* count last written (modes 1/5: next trigger) */
	uint64_t reload_at;   /* modes 2/3: tick the written count takes over */
	bool reload_pending;  /* reload waits for the end of the period */
	uint64_t start;       /* tick counting (re)started at */
	uint64_t frozen;      /* ticks elapsed when the gate stopped counting */
	uint16_t latch;       /* latched count */
	uint8_t status;       /* latched status byte */
	uint8_t ctrl;         /* control word bits 5:0 (RW, mode, BCD) */
	uint8_t mode;         /* 0-5 */
	uint8_t rw;           /* 1 lo, 2 hi, 3 lo then hi */
	bool bcd;
	bool gate;
	bool have_count;      /* an initial count was written */
	bool counting;        /* has a count and (modes 1/5) was triggered */
	bool null_count;      /* count written but not yet loaded */
	bool latched;         /* latch holds a count not fully read */
	bool latch_hi;        /* lohi latch: next read is the high byte */
	bool status_latched;
	bool read_hi;         /* lohi read flip-flop */
	bool write_hi;        /* lohi write flip-flop */
	uint8_t write_lo;     /* low byte waiting for its high byte */
};

struct pit {
	struct vm *vm;
	struct pit_channel ch[3];
	uint8_t port61;       /* bits 0-3 as last written */
	bool refresh;         /* port 0x61 bit 4 */
	int tfd;              /* channel 0 timerfd, -1 if none */
	int rtfd;             /* timerfd spacing out replayed ticks, -1 if none */
	bool in_loop;         /* tfd and rtfd registered in vm->loop */
	bool replay_armed;    /* rtfd will replay an owed tick */
	uint64_t irq_count;   /* IRQ0 pulses delivered (tests, debugging) */
	uint64_t missed;      /* ticks dropped for good (backlog full) */
	unsigned backlog;     /* ticks owed to the guest, PIT_MAX_BACKLOG at most */
	bool unacked;         /* the last IRQ0 pulse is not acknowledged yet */
	/* Virtual time source in ns; CLOCK_MONOTONIC unless a test swaps it. */
	uint64_t (*clock_ns)(void);
	/* Channel 0 OUT edges; called with the device lock held. */
	void (*irq)(void *opaque, int level);
	void *opaque;
};

int pit_init(struct pit *pit, struct vm *vm);
void pit_exit(struct pit *pit);
void pit_reset(struct pit *pit);
uint64_t pit_io_read(struct pit *pit, uint16_t port);
void pit_io_write(struct pit *pit, uint16_t port, uint8_t val);
/* Current OUT of a channel and its counting element (for tests). */
bool pit_out(struct pit *pit, int ch);
uint16_t pit_counter(struct pit *pit, int ch);
/* The timerfd handler (event loop thread; takes the device lock). */
void pit_timer_cb(void *opaque, uint32_t events);
/* A CPU acknowledged IRQ0 (PIC INTA or the IOAPIC's vector): replay one
 * owed tick, if any. Device lock held. */
void pit_irq_acked(struct pit *pit);
/* The replay timerfd's handler (event loop thread; takes the lock). */
void pit_replay_cb(void *opaque, uint32_t events);
#define PIT_MAX_BACKLOG 4

/* ---- APIC messages (lapic.c), shared by the IOAPIC and the ICR ---- */

enum apic_dm {                /* delivery mode, SDM Vol. 3A 11.6.1 */
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_SIPI = 6,
	APIC_DM_EXTINT = 7,
};

struct apic_msg {
	uint8_t vector;
	uint8_t dm;           /* enum apic_dm */
	bool logical;         /* destination mode */
	bool level;           /* trigger mode: level (TMR set, EOI broadcast) */
	bool assert;          /* ICR level bit (INIT de-assert is a no-op) */
	uint8_t dest;         /* APIC ID, or logical destination */
	uint8_t shorthand;    /* ICR 19:18: 0 none, 1 self, 2 all, 3 others */
	int src;              /* sending CPU for shorthands, -1 for the IOAPIC */
};

struct platform;
struct lapic;

/* Delivers msg to every local APIC it addresses; returns how many
 * accepted it. Device lock held. */
int apic_deliver(struct platform *p, const struct apic_msg *msg);

struct lapic *lapic_new(struct platform *p, struct vm *vm, int cpu);
void lapic_free(struct lapic *l);
void lapic_reset(struct lapic *l);
/* Register access at offset off (0-0xfff) of the APIC page. */
uint32_t lapic_read(struct lapic *l, uint32_t off);
void lapic_write(struct lapic *l, uint32_t off, uint32_t val);
/* True when the CPU's INTR input is asserted (APIC vector or ExtINT). */
bool lapic_pending(struct lapic *l);
int lapic_intr_ack(struct lapic *l);
int lapic_msr_read(struct lapic *l, uint32_t idx, uint64_t *val);
int lapic_msr_write(struct lapic *l, uint32_t idx, uint64_t val);
uint8_t lapic_get_tpr(struct lapic *l);
void lapic_set_tpr(struct lapic *l, uint8_t tpr);
/* The lapic's timerfd handler (event loop thread; takes the device lock). */
void lapic_timer_cb(void *opaque, uint32_t events);
int lapic_timer_fd(struct lapic *l);

/* ---- 82093AA IOAPIC (ioapic.c) ---- */

#define IOAPIC_PINS 24
#define IOAPIC_BASE 0xfec00000ULL

struct ioapic;
struct ioapic *ioapic_new(struct platform *p, struct vm *vm, uint8_t id);
void ioapic_free(struct ioapic *io);
void ioapic_reset(struct ioapic *io);
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);
/* A local APIC's EOI of a level-triggered vector. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* The vector pin raises as a fixed/lowest-priority interrupt, or -1 when
 * it is masked or sends something else. */
int ioapic_pin_vector(const struct ioapic *io, unsigned pin);
uint32_t ioapic_mmio_read(struct ioapic *io, uint64_t off);
void ioapic_mmio_write(struct ioapic *io, uint64_t off, uint32_t val);

/* ---- platform.c services for the controllers ---- */

#define LAPIC_BASE 0xfee00000ULL

int platform_ncpus(const struct platform *p);
struct lapic *platform_lapic(struct platform *p, int cpu);
/* The master 8259A's INT output, and its INTA cycle. */
bool platform_pic_output(struct platform *p);
int platform_pic_ack(struct platform *p);
/* Recompute cpu's INTR and tell the accelerator if it changed. */
void platform_update_cpu(struct platform *p, int cpu);
void platform_eoi_broadcast(struct platform *p, uint8_t vector);
void platform_cpu_event(struct platform *p, int cpu, enum platform_cpu_event ev, uint8_t vector);
/* The guest TSC of cpu and its rate (TSC-deadline mode). */
uint64_t platform_tsc(struct platform *p, int cpu);
uint64_t platform_tsc_hz(struct platform *p);
uint64_t platform_clock_ns(void);

#endif
