/* Private to the local APIC (lapic.c) and its KVM paravirtual EOI
 * (lapic-pveoi.c). */
#ifndef RINGVM_HW_LAPIC_PRIV_H
#define RINGVM_HW_LAPIC_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/platform-priv.h"

#define MSR_KVM_PV_EOI_EN  0x4b564d04
#define PV_EOI_ENABLE      1ULL       /* MSR bit 0; bit 1 reserved (alignment) */
#define PV_EOI_PENDING     1u         /* bit 0 of the guest's word */

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_NR };

struct lapic {
	struct platform *p;
	struct vm *vm;
	int cpu;
	uint8_t id;
	uint64_t apic_base;
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LVT_NR];
	uint32_t irr[8], isr[8], tmr[8];
	/* Timer. */
	uint32_t timer_icr, timer_dcr;
	uint64_t timer_start;     /* ns the initial count was written */
	uint64_t timer_next;      /* ns of the armed expiry, 0 if none */
	uint64_t tsc_deadline;
	unsigned timer_backlog;   /* periodic ticks owed, see lapic_timer_fire */
	int tfd;
	bool in_loop;
	/* INTR was last raised for the PIC: an INTA that finds the PIC's
	 * request gone is the PIC's spurious IR7, not "nothing". */
	bool extint_seen;
	/* PV EOI: the MSR as written, and whether we set the guest's pending
	 * bit for the (single) vector in service and have not yet seen the
	 * guest clear it or taken it back. The bit is never left set in
	 * guest memory while pv_eoi_armed is false. */
	uint64_t pv_eoi_msr;
	bool pv_eoi_armed;
};

/* 256-bit vector sets (IRR, ISR, TMR). */
static inline int vec_highest(const uint32_t *v)
{
	for (int i = 7; i >= 0; i--)
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

static inline void vec_set(uint32_t *v, unsigned n, bool on)
{
	if (on)
		v[n / 32] |= 1u << (n % 32);
	else
		v[n / 32] &= ~(1u << (n % 32));
}

static inline bool vec_test(const uint32_t *v, unsigned n)
{
	return v[n / 32] & (1u << (n % 32));
}

/* EOI of the highest in-service vector, without re-evaluating INTR. */
void lapic_eoi_isr(struct lapic *l);

/* PV EOI (lapic-pveoi.c): retire the armed vector if the guest has
 * cleared its bit (any thread); end it on the vCPU thread, taking the bit
 * back if still set (true: an EOI was done); offer the EOI of a just
 * acknowledged vector through the guest's word. */
bool lapic_pv_eoi_sync(struct lapic *l);
/* The guest's PV EOI word, or NULL (off, or not in RAM). */
uint32_t *lapic_pv_eoi_word(const struct lapic *l);
bool lapic_pv_eoi_revoke(struct lapic *l);
void lapic_pv_eoi_arm(struct lapic *l, unsigned vec);

#endif
