/* Local APIC (xAPIC, memory-mapped at 0xfee00000), one per CPU: interrupt
 * acceptance and priority (IRR/ISR/TMR, TPR/PPR), EOI with broadcast to the
 * IOAPIC, inter-processor interrupts through the ICR, the local vector
 * table (timer, LINT0/LINT1, error...) and the APIC timer in one-shot,
 * periodic and TSC-deadline modes.
 *
 * Also the KVM paravirtual EOI (Linux Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_PV_EOI_EN): its MSR here, the rest in lapic-pveoi.c.
 *
 * Reference: Intel SDM Vol. 3A chapter 11 "Advanced Programmable Interrupt
 * Controller (APIC)" (chapter 10 in editions before 2023); section numbers
 * below are from that chapter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "ringvm/bus.h"
#include "ringvm/log.h"
#include "ringvm/loop.h"
#include "ringvm/vm.h"
#include "hw/lapic-priv.h"

#define APIC_VERSION   0x00050014u  /* integrated APIC, 6 LVT entries (11.4.8) */

#define MSR_APIC_BASE      0x1b
#define MSR_TSC_DEADLINE   0x6e0
#define APIC_BASE_BSP      (1ULL << 8)
#define APIC_BASE_EXTD     (1ULL << 10)
#define APIC_BASE_ENABLE   (1ULL << 11)

#define SVR_ENABLE         0x100u
#define LVT_MASK           (1u << 16)
#define LVT_DM(v)          (((v) >> 8) & 7)
#define LVT_TIMER_MODE(v)  (((v) >> 17) & 3)
#define TIMER_ONESHOT      0
#define TIMER_PERIODIC     1
#define TIMER_DEADLINE     2
#define ESR_SEND_ILLEGAL   0x20u
#define ESR_RECV_ILLEGAL   0x40u
#define ESR_ILLEGAL_REG    0x80u

/* Periodic APIC timer interrupts no faster than this (host protection;
 * the current-count register stays exact). */
#define LAPIC_MIN_PERIOD_NS 50000ULL
/* Periodic ticks replayed after the event loop or the guest fell behind. */
#define LAPIC_MAX_BACKLOG 4


/* Writable bits of each LVT entry (11.5.1, figure "Local Vector Table"). */
static const uint32_t lvt_writable[LVT_NR] = {
	[LVT_TIMER] = 0x700ff,
	[LVT_THERMAL] = 0x107ff,
	[LVT_PERF] = 0x107ff,
	[LVT_LINT0] = 0x1a7ff,
	[LVT_LINT1] = 0x1a7ff,
	[LVT_ERROR] = 0x100ff,
};



/* ---- priority and delivery ---- */

static bool lapic_hw_enabled(const struct lapic *l)
{
	return l->apic_base & APIC_BASE_ENABLE;
}

/* Processor priority (11.8.3.1): the TPR, or the in-service class if
 * that is higher. */
static uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

/* The PIC reaches this CPU through LINT0 programmed as ExtINT ("virtual
 * wire mode", MP spec 3.6.2.2), or directly when the APIC is disabled in
 * IA32_APIC_BASE and the CPU behaves as if it had none (11.4.3). */
static bool lapic_extint(const struct lapic *l)
{
	uint32_t lint0 = l->lvt[LVT_LINT0];

	if (!lapic_hw_enabled(l))
		return l->cpu == 0;
	return !(lint0 & LVT_MASK) && LVT_DM(lint0) == APIC_DM_EXTINT;
}

static int lapic_deliverable(const struct lapic *l)
{
	int v;

	if (!lapic_hw_enabled(l) || !(l->svr & SVR_ENABLE))
		return -1;
	v = vec_highest(l->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (lapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

/* EOI of the highest in-service vector, without re-evaluating INTR. */
void lapic_eoi_isr(struct lapic *l)
{
	int v = vec_highest(l->isr);

	if (v < 0)
		return;
	vec_set(l->isr, (unsigned)v, false);
	/* Level-triggered: the IOAPIC must clear its remote IRR (11.8.5). */
	if (vec_test(l->tmr, (unsigned)v))
		platform_eoi_broadcast(l->p, (uint8_t)v);
}

bool lapic_pending(struct lapic *l)
{
	if (lapic_extint(l) && platform_pic_output(l->p)) {
		l->extint_seen = true;
		return true;
	}
	lapic_pv_eoi_sync(l);
	/* Something waits behind a vector whose PV EOI we cannot see yet:
	 * the INTA (vCPU thread) settles it, see lapic_pv_eoi_revoke. */
	if (l->pv_eoi_armed && vec_highest(l->irr) >= 0)
		return true;
	return lapic_deliverable(l) >= 0;
}

static void lapic_update(struct lapic *l)
{
	platform_update_cpu(l->p, l->cpu);
}

static void lapic_accept(struct lapic *l, uint8_t vec, bool level);

/* Errors latch in an internal register that a write to ESR copies out,
 * and raise the error LVT (11.5.3). */
static void lapic_error(struct lapic *l, uint32_t bits)
{
	uint32_t lvt = l->lvt[LVT_ERROR];

	l->esr_pending |= bits;
	if (!(lvt & LVT_MASK) && (lvt & 0xff) >= 16)
		lapic_accept(l, (uint8_t)lvt, false);
}

/* A fixed interrupt arrives: IRR, and TMR for its trigger mode (11.8.4). */
static void lapic_accept(struct lapic *l, uint8_t vec, bool level)
{
	if (vec < 16) {
		/* Vectors 0-15 are reserved: "received illegal vector". */
		lapic_error(l, ESR_RECV_ILLEGAL);
		return;
	}
	vec_set(l->irr, vec, true);
	vec_set(l->tmr, vec, level);
	lapic_update(l);
}

int lapic_intr_ack(struct lapic *l)
{
	bool seen = l->extint_seen;
	int v;

	l->extint_seen = false;
	/* The guest may have EOIed through its PV EOI word: see that first,
	 * so the vector it retires no longer blocks what is pending. */
	lapic_pv_eoi_revoke(l);
	v = lapic_deliverable(l);
	/* The 8259 supplies the vector; if its request went away after the
	 * CPU saw INTR, its INTA gives the spurious IR7 vector. */
	if (lapic_extint(l) && (platform_pic_output(l->p) || (v < 0 && seen)))
		return platform_pic_ack(l->p);
	if (v < 0) {
		lapic_update(l);
		return -1;
	}
	vec_set(l->irr, (unsigned)v, false);
	vec_set(l->isr, (unsigned)v, true);
	/* An owed timer tick goes back into IRR; it is delivered after this
	 * one's EOI, as a tick that fired meanwhile would be. */
	if (l->timer_backlog && (unsigned)v == (l->lvt[LVT_TIMER] & 0xff) &&
	    !(l->lvt[LVT_TIMER] & LVT_MASK)) {
		l->timer_backlog--;
		vec_set(l->irr, (unsigned)v, true);
		vec_set(l->tmr, (unsigned)v, false);
	}
	lapic_pv_eoi_arm(l, (unsigned)v);
	lapic_update(l);
	return v;
}

/* A write to the EOI register (vCPU thread). If a PV EOI is armed, the
 * guest either did it already (retire that one first: this write is
 * another EOI) or EOIs through the register after all (take the bit back,
 * so that it cannot retire a second vector later). */
static void lapic_eoi(struct lapic *l)
{
	lapic_pv_eoi_revoke(l);
	lapic_eoi_isr(l);
	lapic_update(l);
}

static void lapic_soft_reset(struct lapic *l);

/* Does l accept a message with this destination (11.6.2)? */
static bool lapic_match(const struct lapic *l, const struct apic_msg *m)
{
	uint8_t ldr = (uint8_t)(l->ldr >> 24);

	switch (m->shorthand) {
	case 1: return l->cpu == m->src;
	case 2: return true;
	case 3: return l->cpu != m->src;
	}
	if (m->dest == 0xff)
		return true;                        /* broadcast */
	if (!m->logical)
		return m->dest == l->id;
	if ((l->dfr >> 28) == 0xf)
		return ldr & m->dest;               /* flat model */
	/* cluster model: 4-bit cluster, 4-bit member mask */
	return (ldr >> 4) == (m->dest >> 4) && (ldr & m->dest & 0x0f);
}

static void lapic_receive(struct lapic *l, const struct apic_msg *m)
{
	switch (m->dm) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		lapic_accept(l, m->vector, m->level);
		break;
	case APIC_DM_NMI:
		platform_cpu_event(l->p, l->cpu, PLATFORM_EV_NMI, 2);
		break;
	case APIC_DM_INIT:
		/* INIT level de-assert only synchronizes arbitration IDs. */
		if (m->level && !m->assert)
			break;
		lapic_soft_reset(l);
		/* The CPU starts over without the guest's PV EOI word, which a
		 * new kernel may use for something else. */
		l->pv_eoi_msr = 0;
		lapic_update(l);
		platform_cpu_event(l->p, l->cpu, PLATFORM_EV_INIT, 0);
		break;
	case APIC_DM_SIPI:
		platform_cpu_event(l->p, l->cpu, PLATFORM_EV_SIPI, m->vector);
		break;
	default:
		pr_guest("lapic: delivery mode %u to cpu %d not supported", m->dm, l->cpu);
		break;
	}
}

int apic_deliver(struct platform *p, const struct apic_msg *m)
{
	int n = platform_ncpus(p), got = 0;
	struct lapic *best = NULL;

	for (int i = 0; i < n; i++) {
		struct lapic *l = platform_lapic(p, i);
		if (!l || !lapic_hw_enabled(l) || !lapic_match(l, m))
			continue;
		if (m->dm != APIC_DM_LOWEST || m->shorthand) {
			lapic_receive(l, m);
			got++;
			continue;
		}
		/* Lowest priority: the CPU with the lowest PPR (11.6.2.4),
		 * counting EOIs done through the PV EOI word. */
		if (lapic_pv_eoi_sync(l))
			lapic_update(l);
		if (!best || lapic_ppr(l) < lapic_ppr(best))
			best = l;
	}
	if (best) {
		lapic_receive(best, m);
		got++;
	}
	return got;
}

static void lapic_send_ipi(struct lapic *l)
{
	struct apic_msg m = {
		.vector = (uint8_t)l->icr_lo,
		.dm = (uint8_t)LVT_DM(l->icr_lo),
		.logical = l->icr_lo & (1u << 11),
		.assert = l->icr_lo & (1u << 14),
		.level = l->icr_lo & (1u << 15),
		.dest = (uint8_t)(l->icr_hi >> 24),
		.shorthand = (uint8_t)((l->icr_lo >> 18) & 3),
		.src = l->cpu,
	};

	if ((m.dm == APIC_DM_FIXED || m.dm == APIC_DM_LOWEST) && m.vector < 16) {
		lapic_error(l, ESR_SEND_ILLEGAL);
		return;
	}
	if (!apic_deliver(l->p, &m))
		pr_debug("lapic: IPI %#x from cpu %d reached no CPU", l->icr_lo, l->cpu);
}

/* ---- timer (11.5.4) ---- */

static unsigned lapic_divider(const struct lapic *l)
{
	/* DCR bits 3,1:0: 000 = /2 ... 110 = /128, 111 = /1. */
	unsigned v = ((l->timer_dcr & 8) >> 1) | (l->timer_dcr & 3);

	return 1u << ((v + 1) & 7);
}

static uint64_t lapic_tick_ns(const struct lapic *l)
{
	return lapic_divider(l) * (1000000000ULL / PLATFORM_APIC_BUS_HZ);
}

static uint32_t lapic_current_count(const struct lapic *l)
{
	uint64_t ticks;
	unsigned mode = LVT_TIMER_MODE(l->lvt[LVT_TIMER]);

	if (!l->timer_icr || mode == TIMER_DEADLINE)
		return 0;
	ticks = (platform_clock_ns() - l->timer_start) / lapic_tick_ns(l);
	if (mode == TIMER_PERIODIC)
		return l->timer_icr - (uint32_t)(ticks % l->timer_icr);
	return ticks >= l->timer_icr ? 0 : l->timer_icr - (uint32_t)ticks;
}

static void lapic_timer_set(struct lapic *l, uint64_t when_ns)
{
	struct itimerspec its = { 0 };

	l->timer_next = when_ns;
	if (l->tfd < 0)
		return;
	if (when_ns) {
		its.it_value.tv_sec = (time_t)(when_ns / 1000000000ULL);
		its.it_value.tv_nsec = (long)(when_ns % 1000000000ULL);
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Arm the timerfd for the next expiry after now, or disarm. */
static void lapic_timer_arm(struct lapic *l)
{
	uint64_t now = platform_clock_ns(), tsc, hz, period, k;

	switch (LVT_TIMER_MODE(l->lvt[LVT_TIMER])) {
	case TIMER_ONESHOT:
		if (!l->timer_icr) {
			lapic_timer_set(l, 0);
			return;
		}
		lapic_timer_set(l, l->timer_start + (uint64_t)l->timer_icr * lapic_tick_ns(l));
		return;
	case TIMER_PERIODIC:
		if (!l->timer_icr) {
			lapic_timer_set(l, 0);
			return;
		}
		period = (uint64_t)l->timer_icr * lapic_tick_ns(l);
		k = now > l->timer_start ? (now - l->timer_start) / period + 1 : 1;
		lapic_timer_set(l, l->timer_start + k * period);
		return;
	case TIMER_DEADLINE:
		if (!l->tsc_deadline) {
			lapic_timer_set(l, 0);
			return;
		}
		tsc = platform_tsc(l->p, l->cpu);
		hz = platform_tsc_hz(l->p);
		if (l->tsc_deadline <= tsc) {
			lapic_timer_set(l, now);
		} else {
			unsigned __int128 ns = (unsigned __int128)(l->tsc_deadline - tsc) *
					       1000000000ULL / hz;
			/* A deadline centuries away is "never" for us. */
			lapic_timer_set(l, ns > (1ULL << 62) ? 0 : now + (uint64_t)ns);
		}
		return;
	default: /* mode 3 is reserved */
		lapic_timer_set(l, 0);
		return;
	}
}

static void lapic_timer_fire(struct lapic *l)
{
	uint32_t lvt = l->lvt[LVT_TIMER];
	unsigned mode = LVT_TIMER_MODE(lvt);
	uint64_t now = platform_clock_ns(), period = 0, lost = 0;

	if (mode == TIMER_PERIODIC) {
		period = (uint64_t)l->timer_icr * lapic_tick_ns(l);
		/* Periods that passed while the event loop ran late, and a tick
		 * that merges into one the guest has not taken yet, are owed
		 * (a few at most) and replayed on acknowledge; Linux counts
		 * timer ticks and checks them against the PIT's. */
		if (period >= LAPIC_MIN_PERIOD_NS && now > l->timer_next)
			lost = (now - l->timer_next) / period;
		if (!(lvt & LVT_MASK) && vec_test(l->irr, lvt & 0xff))
			lost++;
		if (!(lvt & LVT_MASK))
			l->timer_backlog = (unsigned)(l->timer_backlog + lost > LAPIC_MAX_BACKLOG ?
						      LAPIC_MAX_BACKLOG : l->timer_backlog + lost);
	}
	if (!(lvt & LVT_MASK))
		lapic_accept(l, (uint8_t)lvt, false);
	switch (mode) {
	case TIMER_PERIODIC:
		/* The next period boundary after now. */
		if (period < LAPIC_MIN_PERIOD_NS) {
			lapic_timer_set(l, now + LAPIC_MIN_PERIOD_NS);
			return;
		}
		lapic_timer_arm(l);
		return;
	case TIMER_DEADLINE:
		/* The deadline MSR clears when the timer fires (11.5.4.1). */
		l->tsc_deadline = 0;
		lapic_timer_set(l, 0);
		return;
	default:
		lapic_timer_set(l, 0);
		return;
	}
}

void lapic_timer_cb(void *opaque, uint32_t events)
{
	struct lapic *l = opaque;
	uint64_t n;

	vm_lock(l->vm);
	if (l->tfd >= 0 && read(l->tfd, &n, sizeof(n)) == sizeof(n) && l->timer_next &&
	    platform_clock_ns() >= l->timer_next)
		lapic_timer_fire(l);
	vm_unlock(l->vm);
}

int lapic_timer_fd(struct lapic *l)
{
	return l->tfd;
}

/* ---- registers (11.4.1, table "Local APIC Register Address Map") ---- */

static void lapic_write_lvt(struct lapic *l, int i, uint32_t val)
{
	uint32_t old = l->lvt[i];

	val &= lvt_writable[i];
	/* While software-disabled, the mask bits cannot be cleared (11.4.7.2). */
	if (!(l->svr & SVR_ENABLE))
		val |= LVT_MASK;
	l->lvt[i] = val | (old & ~lvt_writable[i]);
	if (i == LVT_TIMER && LVT_TIMER_MODE(old) != LVT_TIMER_MODE(val)) {
		/* Switching timer modes disarms the timer (11.5.4.1). */
		l->timer_icr = 0;
		l->tsc_deadline = 0;
		l->timer_backlog = 0;
		lapic_timer_set(l, 0);
	}
	lapic_update(l);
}

uint32_t lapic_read(struct lapic *l, uint32_t off)
{
	uint32_t reg = off & 0xff0;

	/* ISR and PPR show an EOI the guest made through its PV EOI word. */
	if (lapic_pv_eoi_sync(l))
		lapic_update(l);

	if (reg >= 0x100 && reg < 0x280) {
		const uint32_t *set = reg < 0x180 ? l->isr : reg < 0x200 ? l->tmr : l->irr;
		return set[(reg >> 4) & 7];
	}
	if (reg >= 0x320 && reg <= 0x370)
		return l->lvt[(reg - 0x320) >> 4];
	switch (reg) {
	case 0x020: return (uint32_t)l->id << 24;
	case 0x030: return APIC_VERSION;
	case 0x080: return l->tpr;
	case 0x090: return 0;              /* APR: no bus arbitration here */
	case 0x0a0: return lapic_ppr(l);
	case 0x0d0: return l->ldr;
	case 0x0e0: return l->dfr;
	case 0x0f0: return l->svr;
	case 0x280: return l->esr;
	case 0x300: return l->icr_lo;
	case 0x310: return l->icr_hi;
	case 0x380: return l->timer_icr;
	case 0x390: return lapic_current_count(l);
	case 0x3e0: return l->timer_dcr;
	default:    return 0;              /* EOI and reserved read as 0 */
	}
}

void lapic_write(struct lapic *l, uint32_t off, uint32_t val)
{
	uint32_t reg = off & 0xff0;

	if (reg >= 0x320 && reg <= 0x370) {
		lapic_write_lvt(l, (int)((reg - 0x320) >> 4), val);
		return;
	}
	switch (reg) {
	case 0x020:
		l->id = (uint8_t)(val >> 24);
		break;
	case 0x080:
		l->tpr = val & 0xff;
		lapic_update(l);
		break;
	case 0x0b0:
		lapic_eoi(l);
		break;
	case 0x0d0:
		l->ldr = val & 0xff000000u;
		break;
	case 0x0e0:
		l->dfr = val | 0x0fffffffu;
		break;
	case 0x0f0:
		/* Bits 7:0 vector, 8 enable, 9 focus check; EOI-broadcast
		 * suppression (bit 12) is not offered by the version register. */
		l->svr = val & 0x3ff;
		if (!(l->svr & SVR_ENABLE))
			for (int i = 0; i < LVT_NR; i++)
				l->lvt[i] |= LVT_MASK;
		lapic_update(l);
		break;
	case 0x280:
		/* A write moves the errors seen since the last write into
		 * ESR (11.5.3). */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		break;
	case 0x300:
		l->icr_lo = val & ~(1u << 12);   /* delivery is instant: idle */
		lapic_send_ipi(l);
		break;
	case 0x310:
		l->icr_hi = val & 0xff000000u;
		break;
	case 0x380:
		if (LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_DEADLINE)
			break;      /* ignored in TSC-deadline mode */
		l->timer_icr = val;
		l->timer_backlog = 0;
		l->timer_start = platform_clock_ns();
		lapic_timer_arm(l);
		break;
	case 0x3e0:
		l->timer_dcr = val & 0xb;
		break;
	case 0x030: case 0x090: case 0x0a0: case 0x390:
		break;      /* read-only */
	default:
		if (reg >= 0x100 && reg < 0x280)
			break;  /* ISR/TMR/IRR are read-only */
		lapic_error(l, ESR_ILLEGAL_REG);
		pr_guest("lapic: write %#x to reserved register %#x", val, reg);
		break;
	}
}

/* ---- MSRs ---- */

int lapic_msr_read(struct lapic *l, uint32_t idx, uint64_t *val)
{
	switch (idx) {
	case MSR_APIC_BASE:
		*val = l->apic_base;
		return 0;
	case MSR_TSC_DEADLINE:
		*val = l->tsc_deadline;
		return 0;
	case MSR_KVM_PV_EOI_EN:
		*val = l->pv_eoi_msr;
		return 0;
	default:
		return -ENOENT;
	}
}

int lapic_msr_write(struct lapic *l, uint32_t idx, uint64_t val)
{
	switch (idx) {
	case MSR_APIC_BASE:
		/* Reserved bits, and x2APIC which CPUID does not offer. */
		if (val & ~(0xffffff000ULL | APIC_BASE_ENABLE | APIC_BASE_BSP) || (val & APIC_BASE_EXTD))
			return -EINVAL;
		if ((val & 0xffffff000ULL) != LAPIC_BASE)
			pr_guest("lapic: relocation to %#llx not supported, stays at %#llx",
				 (unsigned long long)(val & 0xffffff000ULL), LAPIC_BASE);
		/* Clearing the enable flag returns the APIC to its power-up
		 * state (11.4.3); the BSP flag is read-only here. */
		if (!(val & APIC_BASE_ENABLE) && lapic_hw_enabled(l))
			lapic_soft_reset(l);
		l->apic_base = (l->apic_base & APIC_BASE_BSP) | (val & 0xffffff000ULL) |
			       (val & APIC_BASE_ENABLE);
		lapic_update(l);
		return 0;
	case MSR_TSC_DEADLINE:
		/* Writes count only in TSC-deadline mode (11.5.4.1). */
		if (LVT_TIMER_MODE(l->lvt[LVT_TIMER]) != TIMER_DEADLINE)
			return 0;
		l->tsc_deadline = val;
		lapic_timer_arm(l);
		return 0;
	case MSR_KVM_PV_EOI_EN:
		/* Bits 63:2 address a 4-byte-aligned word, bit 1 is reserved;
		 * KVM refuses a misaligned word, and one it cannot map, with
		 * #GP (Documentation/virt/kvm/x86/msr.rst). */
		if (val & 2)
			return -EINVAL;
		if ((val & PV_EOI_ENABLE) && !mem_ptr(&l->vm->mem, val & ~3ULL, 4)) {
			pr_guest("lapic: cpu %d: PV EOI word %#llx is not RAM -> #GP", l->cpu,
				 (unsigned long long)(val & ~3ULL));
			return -EINVAL;
		}
		/* Settle an armed EOI with the old word (MSR writes run on
		 * the vCPU's thread). */
		lapic_pv_eoi_revoke(l);
		if ((val ^ l->pv_eoi_msr) & PV_EOI_ENABLE)
			pr_debug("lapic: cpu %d: PV EOI %s (word at %#llx)", l->cpu,
				 val & PV_EOI_ENABLE ? "enabled" : "disabled",
				 (unsigned long long)(val & ~3ULL));
		l->pv_eoi_msr = val;
		lapic_update(l);
		return 0;
	default:
		return -ENOENT;
	}
}

uint8_t lapic_get_tpr(struct lapic *l)
{
	return (uint8_t)l->tpr;
}

void lapic_set_tpr(struct lapic *l, uint8_t tpr)
{
	l->tpr = tpr;
	lapic_update(l);
}

/* ---- life cycle ---- */

/* INIT state (11.4.7.3): as at power-up except the APIC ID and the
 * IA32_APIC_BASE MSR. */
static void lapic_soft_reset(struct lapic *l)
{
	uint32_t *w = lapic_pv_eoi_word(l);

	/* ISR empties: no EOI is owed, and the guest must not find the PV
	 * EOI bit set for a vector that is gone. */
	if (l->pv_eoi_armed && w)
		__atomic_fetch_and(w, ~PV_EOI_PENDING, __ATOMIC_ACQ_REL);
	l->pv_eoi_armed = false;
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffffu;
	l->svr = 0xff;
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	for (int i = 0; i < LVT_NR; i++)
		l->lvt[i] = LVT_MASK;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->timer_icr = l->timer_dcr = 0;
	l->tsc_deadline = 0;
	l->timer_backlog = 0;
	lapic_timer_set(l, 0);
}

void lapic_reset(struct lapic *l)
{
	l->id = (uint8_t)l->cpu;
	l->pv_eoi_armed = false;       /* guest memory is reloaded anyway */
	l->pv_eoi_msr = 0;
	l->apic_base = LAPIC_BASE | APIC_BASE_ENABLE | (l->cpu == 0 ? APIC_BASE_BSP : 0);
	lapic_soft_reset(l);
	/* No firmware runs before the guest, so the boot CPU starts the way
	 * a PC BIOS leaves it, in virtual wire mode: LINT0 = ExtINT, so the
	 * 8259's interrupts reach a guest that never touches the APIC. KVM
	 * resets its BSP the same way. */
	if (l->cpu == 0)
		l->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
	lapic_update(l);
}

struct lapic *lapic_new(struct platform *p, struct vm *vm, int cpu)
{
	struct lapic *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->p = p;
	l->vm = vm;
	l->cpu = cpu;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->tfd < 0)
		goto err;
	if (vm->loop) {
		if (loop_add_fd(vm->loop, l->tfd, EPOLLIN, lapic_timer_cb, l) < 0)
			goto err;
		l->in_loop = true;
	}
	l->id = (uint8_t)cpu;
	l->apic_base = LAPIC_BASE | APIC_BASE_ENABLE | (cpu == 0 ? APIC_BASE_BSP : 0);
	lapic_soft_reset(l);
	if (cpu == 0)
		l->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
	return l;
err:
	lapic_free(l);
	return NULL;
}

void lapic_free(struct lapic *l)
{
	if (!l)
		return;
	if (l->in_loop && l->vm->loop)
		loop_del_fd(l->vm->loop, l->tfd);
	if (l->tfd >= 0)
		close(l->tfd);
	free(l);
}
