/* Intel 8254 programmable interval timer at 0x40-0x43, and the PC/AT
 * system control port B (0x61) that gates channel 2 and reads its OUT.
 *
 * Nothing ticks: each channel remembers the virtual tick its count was
 * loaded at, and counter values and OUT levels are computed from a
 * 1.193182 MHz clock derived from CLOCK_MONOTONIC whenever the guest looks.
 * Only channel 0's OUT, which drives IRQ0, needs a host timer (a timerfd in
 * the event loop), armed for the next rising edge.
 *
 * Reference: Intel 8254 datasheet (order 231164), "Operation" (modes 0-5,
 * gate behaviour), "Read Operations" (counter latch, read-back command,
 * status byte). Port 0x61: IBM PC/AT Technical Reference, system board I/O
 * "port B". */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "ringvm/bus.h"
#include "ringvm/log.h"
#include "ringvm/loop.h"
#include "ringvm/vm.h"
#include "hw/platform-priv.h"

#define NSEC 1000000000ULL
/* IRQ0 no faster than this whatever the guest programs: a count of 2 in
 * mode 2 would otherwise ask the host for 600k wake-ups a second. Counter
 * reads stay exact; only the interrupt rate is limited. */
#define PIT_MIN_PERIOD_NS 50000ULL

static uint64_t pit_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static uint64_t pit_now(const struct pit *pit)
{
	return (uint64_t)((unsigned __int128)pit->clock_ns() * PIT_HZ / NSEC);
}

/* The first host nanosecond at which tick t has begun. */
static uint64_t pit_tick_ns(uint64_t t)
{
	return (uint64_t)(((unsigned __int128)t * NSEC + PIT_HZ - 1) / PIT_HZ);
}

/* Modes 0, 2, 3 and 4 count only while GATE is high; modes 1 and 5 use
 * GATE's rising edge as a trigger and ignore its level. */
static bool ch_gate_counts(const struct pit_channel *c)
{
	return c->mode == 1 || c->mode == 5 || c->gate;
}

static uint64_t ch_elapsed(const struct pit_channel *c, uint64_t now)
{
	return ch_gate_counts(c) ? now - c->start : c->frozen;
}

/* OUT and the counting element at tick now. Counts are kept in binary
 * units; BCD only changes the modulus and the encoding on the ports. */
static void ch_state(const struct pit_channel *c, uint64_t now, bool *out, uint16_t *counter)
{
	uint64_t cnt = c->count, mod = c->bcd ? 10000 : 65536, d, ph, hi;
	uint64_t v = cnt;
	bool o;

	if (!c->counting) {
		/* After a control word OUT is low in mode 0 and high in every
		 * other mode until counting starts. */
		*out = c->mode != 0;
		*counter = (uint16_t)c->count;
		return;
	}
	d = ch_elapsed(c, now);
	switch (c->mode) {
	case 0: /* interrupt on terminal count: OUT rises at 0 and stays */
	case 1: /* hardware retriggerable one-shot */
		o = d >= cnt;
		v = (cnt % mod + mod - d % mod) % mod;
		break;
	case 4: /* software triggered strobe: OUT low for the one clock at 0 */
	case 5: /* hardware triggered strobe */
		o = d != cnt;
		v = (cnt % mod + mod - d % mod) % mod;
		break;
	case 2: /* rate generator: OUT low while the count is 1, then reload */
		ph = d % cnt;
		v = cnt - ph;
		o = cnt == 1 || v != 1 || !c->gate;
		break;
	default: /* 3, square wave: high for ceil(N/2), low for floor(N/2) */
		ph = d % cnt;
		hi = (cnt + 1) / 2;
		o = ph < hi || !c->gate;
		v = ph < hi ? cnt - 2 * ph : cnt - 2 * (ph - hi);
		break;
	}
	*out = o;
	*counter = (uint16_t)v;
}

static uint16_t bin_to_bcd(uint16_t v)
{
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static uint32_t bcd_to_bin(uint16_t v)
{
	uint32_t r = 0;

	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned digit = (v >> shift) & 0xf;
		if (digit > 9) {
			pr_guest("pit: invalid BCD count %#x, digit taken as 9", v);
			digit = 9;
		}
		r = r * 10 + digit;
	}
	return r;
}

/* The current tick, after letting a count written in mode 2 or 3 take
 * over at the end of the period it was written in ("the present period
 * will not be affected, but the subsequent period will reflect the new
 * value", 8254 datasheet, modes 2 and 3). */
static uint64_t ch_now(const struct pit *pit, struct pit_channel *c)
{
	uint64_t now = pit_now(pit);

	if (c->reload_pending && ch_gate_counts(c) && now >= c->reload_at) {
		c->start = c->reload_at;
		c->count = c->reload;
		c->reload_pending = false;
		c->null_count = false;
	}
	return now;
}

bool pit_out(struct pit *pit, int ch)
{
	struct pit_channel *c = &pit->ch[ch];
	bool out;
	uint16_t v;

	ch_state(c, ch_now(pit, c), &out, &v);
	return out;
}

uint16_t pit_counter(struct pit *pit, int ch)
{
	struct pit_channel *c = &pit->ch[ch];
	bool out;
	uint16_t v;

	ch_state(c, ch_now(pit, c), &out, &v);
	return v;
}

/* ---- channel 0 → IRQ0 ---- */

static void pit_disarm(struct pit *pit)
{
	struct itimerspec its = { 0 };

	if (pit->tfd >= 0)
		timerfd_settime(pit->tfd, 0, &its, NULL);
}

/* Arm the timerfd for channel 0's next rising OUT edge (the edge the PIC
 * latches): every period in modes 2 and 3, once at terminal count in
 * modes 0 and 4. Called after anything that changes channel 0. */
static void pit_arm(struct pit *pit)
{
	struct pit_channel *c = &pit->ch[0];
	struct itimerspec its = { 0 };
	uint64_t now, d, next, period_ns = 0;

	if (pit->tfd < 0)
		return;
	if (!c->counting || !ch_gate_counts(c)) {
		pit_disarm(pit);
		return;
	}
	now = ch_now(pit, c);
	d = ch_elapsed(c, now);
	switch (c->mode) {
	case 0:
	case 4:
		if (d >= c->count + (c->mode == 4)) {
			pit_disarm(pit);
			return;
		}
		next = c->start + c->count + (c->mode == 4);
		break;
	case 2:
	case 3:
		next = c->start + (d / c->count + 1) * c->count;
		period_ns = pit_tick_ns(c->count);
		if (period_ns < PIT_MIN_PERIOD_NS)
			period_ns = PIT_MIN_PERIOD_NS;
		break;
	default:
		/* Modes 1 and 5 wait for a gate edge channel 0 never sees. */
		pit_disarm(pit);
		return;
	}
	/* The virtual clock is CLOCK_MONOTONIC, so the edge's absolute time is
	 * an absolute timerfd expiry. A swapped test clock makes this merely
	 * approximate, which tests account for. */
	next = pit_tick_ns(next);
	its.it_value.tv_sec = (time_t)(next / NSEC);
	its.it_value.tv_nsec = (long)(next % NSEC);
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	its.it_interval.tv_sec = (time_t)(period_ns / NSEC);
	its.it_interval.tv_nsec = (long)(period_ns % NSEC);
	if (timerfd_settime(pit->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		pr_warn("pit: timerfd_settime: %s", strerror(errno));
}

static void pit_pulse(struct pit *pit)
{
	pit->irq_count++;
	pit->unacked = true;
	if (pit->irq) {
		pit->irq(pit->opaque, 1);
		pit->irq(pit->opaque, 0);
	}
}

static void pit_owe(struct pit *pit, uint64_t ticks)
{
	uint64_t room = PIT_MAX_BACKLOG - pit->backlog;

	if (ticks > room) {
		pit->missed += ticks - room;
		ticks = room;
	}
	pit->backlog += (unsigned)ticks;
}

void pit_timer_cb(void *opaque, uint32_t events)
{
	struct pit *pit = opaque;
	uint64_t n;

	vm_lock(pit->vm);
	/* Read under the lock: a reprogramming vCPU re-arms the fd under the
	 * same lock, which discards expirations of the old setting, so a read
	 * that finds nothing means this wake-up is stale. */
	if (pit->tfd < 0 || read(pit->tfd, &n, sizeof(n)) != sizeof(n) || !n)
		goto out;
	/* A period boundary: a count written during the last period starts
	 * now, with its own interval. */
	if (pit->ch[0].reload_pending) {
		ch_now(pit, &pit->ch[0]);
		if (!pit->ch[0].reload_pending)
			pit_arm(pit);
	}
	/* Several expirations at once mean the event loop ran late (a
	 * loaded host); an unacknowledged previous pulse means the guest has
	 * not taken the last tick yet, so this edge merges into it. Either
	 * way ticks are lost to the guest, and Linux counts jiffies by ticks
	 * (its APIC timer calibration compares them with the APIC timer).
	 * Owe up to PIT_MAX_BACKLOG of them and replay them after the guest
	 * acknowledges, the way KVM's PIT re-injects; drop the rest rather
	 * than pile up. */
	pit_owe(pit, n - 1 + pit->unacked);
	pit_pulse(pit);
out:
	vm_unlock(pit->vm);
}

/* Replays wait a fraction of a period after the acknowledge: a tick
 * replayed at once would run right after the previous handler, before
 * any code polling jiffies (Linux's APIC timer calibration) sees the
 * first increment. */
static void pit_replay_arm(struct pit *pit)
{
	struct itimerspec its = { 0 };
	uint64_t gap = pit_tick_ns(pit->ch[0].count) / 4;

	if (pit->rtfd < 0 || pit->replay_armed)
		return;
	if (gap < 20000)
		gap = 20000;
	if (gap > 1000000)
		gap = 1000000;
	its.it_value.tv_nsec = (long)gap;
	if (timerfd_settime(pit->rtfd, 0, &its, NULL) == 0)
		pit->replay_armed = true;
}

static void pit_replay_disarm(struct pit *pit)
{
	struct itimerspec its = { 0 };

	pit->replay_armed = false;
	if (pit->rtfd >= 0)
		timerfd_settime(pit->rtfd, 0, &its, NULL);
}

void pit_irq_acked(struct pit *pit)
{
	pit->unacked = false;
	if (pit->backlog)
		pit_replay_arm(pit);
}

void pit_replay_cb(void *opaque, uint32_t events)
{
	struct pit *pit = opaque;
	uint64_t n;

	vm_lock(pit->vm);
	if (pit->rtfd < 0 || read(pit->rtfd, &n, sizeof(n)) != sizeof(n))
		goto out;
	pit->replay_armed = false;
	/* A regular tick got in first: the next acknowledge re-arms. */
	if (!pit->backlog || pit->unacked)
		goto out;
	pit->backlog--;
	pit_pulse(pit);
out:
	vm_unlock(pit->vm);
}

/* ---- programming ---- */

static void ch_load(struct pit *pit, int i, uint32_t raw)
{
	struct pit_channel *c = &pit->ch[i];
	uint64_t now = ch_now(pit, c);
	uint32_t v = c->bcd ? bcd_to_bin((uint16_t)raw) : raw & 0xffff;

	if (!v)
		v = c->bcd ? 10000 : 0x10000;  /* 0 is the largest count */
	c->reload = v;
	c->have_count = true;
	/* Null count: written, not yet in the counting element (status
	 * byte bit 6, 8254 "Read-Back Command"). */
	c->null_count = true;
	/* Modes 1 and 5 load the count on the next gate trigger; a running
	 * one-shot or strobe is not disturbed. */
	if (c->mode == 1 || c->mode == 5)
		return;
	/* Modes 2 and 3 finish the period in progress with the old count. */
	if ((c->mode == 2 || c->mode == 3) && c->counting && c->gate) {
		c->reload_at = c->start + (ch_elapsed(c, now) / c->count + 1) * c->count;
		c->reload_pending = true;
		return;
	}
	/* Modes 0 and 4, or a counter not counting yet: start at once. */
	c->count = v;
	c->start = now;
	c->frozen = 0;
	c->counting = true;
	c->null_count = false;
	if (i == 0)
		pit_arm(pit);
}

static void ch_set_gate(struct pit *pit, int i, bool level)
{
	struct pit_channel *c = &pit->ch[i];
	uint64_t now = ch_now(pit, c);

	if (level == c->gate)
		return;
	if (!level) {
		if (ch_gate_counts(c))
			c->frozen = now - c->start;
		c->gate = false;
		return;
	}
	c->gate = true;
	switch (c->mode) {
	case 0:
	case 4: /* resume where it stopped */
		c->start = now - c->frozen;
		break;
	case 1:
	case 5: /* trigger: (re)load the count and start */
	case 2:
	case 3: /* a rising gate reloads the count */
		if (c->have_count) {
			c->count = c->reload;
			c->reload_pending = false;
			c->counting = true;
			c->null_count = false;
			c->start = now;
		}
		break;
	}
	if (i == 0)
		pit_arm(pit);
}

static void ch_latch_count(struct pit *pit, struct pit_channel *c)
{
	bool out;
	uint16_t v;

	/* A second latch before the first is read is ignored. */
	if (c->latched)
		return;
	ch_state(c, ch_now(pit, c), &out, &v);
	c->latch = c->bcd ? bin_to_bcd(v) : v;
	c->latched = true;
	c->latch_hi = false;
}

static void ch_latch_status(struct pit *pit, struct pit_channel *c)
{
	bool out;
	uint16_t v;

	if (c->status_latched)
		return;
	ch_state(c, ch_now(pit, c), &out, &v);
	c->status = (uint8_t)((out ? 0x80 : 0) | (c->null_count ? 0x40 : 0) | c->ctrl);
	c->status_latched = true;
}

static void pit_control(struct pit *pit, uint8_t val)
{
	unsigned sc = val >> 6, rw = (val >> 4) & 3;
	struct pit_channel *c;

	if (sc == 3) {
		/* Read-back: bit 5 = 0 latches counts, bit 4 = 0 latches
		 * status, bits 3:1 select counters 2:0. */
		for (int i = 0; i < 3; i++) {
			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x10))
				ch_latch_status(pit, &pit->ch[i]);
			if (!(val & 0x20))
				ch_latch_count(pit, &pit->ch[i]);
		}
		return;
	}
	c = &pit->ch[sc];
	if (!rw) {
		ch_latch_count(pit, c);
		return;
	}
	/* A control word resets the counter's logic: OUT to its initial
	 * state, counting stopped until a new count is written. */
	c->ctrl = val & 0x3f;
	c->rw = (uint8_t)rw;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;     /* 6 and 7 are aliases of 2 and 3 */
	c->bcd = val & 1;
	c->counting = false;
	c->have_count = false;
	c->reload_pending = false;
	c->null_count = true;
	c->latched = false;
	c->status_latched = false;
	c->read_hi = false;
	c->write_hi = false;
	c->frozen = 0;
	if (sc == 0) {
		/* Ticks owed at the old rate mean nothing at the new one. */
		pit->backlog = 0;
		pit->unacked = false;
		pit_replay_disarm(pit);
		pit_arm(pit);
	}
}

static void ch_write(struct pit *pit, int i, uint8_t val)
{
	struct pit_channel *c = &pit->ch[i];

	switch (c->rw) {
	case 1:
		ch_load(pit, i, val);
		break;
	case 2:
		ch_load(pit, i, (uint32_t)val << 8);
		break;
	case 3:
		if (!c->write_hi) {
			c->write_lo = val;
			c->write_hi = true;
			/* Mode 0: writing the first byte stops the count. */
			if (c->mode == 0) {
				c->counting = false;
				if (i == 0)
					pit_arm(pit);
			}
		} else {
			c->write_hi = false;
			ch_load(pit, i, c->write_lo | (uint32_t)val << 8);
		}
		break;
	default:
		pr_guest("pit: counter %d written before its control word", i);
		break;
	}
}

/* Byte of a 16-bit value per the channel's access mode; lo/hi alternates. */
static uint8_t ch_read_byte(struct pit_channel *c, uint16_t v, bool *done)
{
	uint8_t b;

	switch (c->rw) {
	case 2:
		*done = true;
		return (uint8_t)(v >> 8);
	case 3:
		b = c->read_hi ? (uint8_t)(v >> 8) : (uint8_t)v;
		c->read_hi = !c->read_hi;
		*done = !c->read_hi;
		return b;
	default:
		*done = true;
		return (uint8_t)v;
	}
}

static uint8_t ch_read(struct pit *pit, struct pit_channel *c)
{
	bool out, done;
	uint16_t v;
	uint8_t b;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched) {
		b = ch_read_byte(c, c->latch, &done);
		if (done)
			c->latched = false;
		return b;
	}
	ch_state(c, ch_now(pit, c), &out, &v);
	return ch_read_byte(c, c->bcd ? bin_to_bcd(v) : v, &done);
}

uint64_t pit_io_read(struct pit *pit, uint16_t port)
{
	uint8_t v;

	switch (port) {
	case 0x40: case 0x41: case 0x42:
		return ch_read(pit, &pit->ch[port - 0x40]);
	case 0x61:
		/* Bit 4 toggles with DRAM refresh on real boards (every
		 * 15 us); toggling on each read keeps polling loops moving.
		 * Bit 5 is channel 2's OUT. */
		pit->refresh = !pit->refresh;
		v = pit->port61 & 0x0f;
		if (pit->refresh)
			v |= 0x10;
		if (pit_out(pit, 2))
			v |= 0x20;
		return v;
	default: /* the control word register cannot be read */
		return 0xff;
	}
}

void pit_io_write(struct pit *pit, uint16_t port, uint8_t val)
{
	switch (port) {
	case 0x40: case 0x41: case 0x42:
		ch_write(pit, port - 0x40, val);
		break;
	case 0x43:
		pit_control(pit, val);
		break;
	case 0x61:
		/* Bit 0 gates channel 2, bit 1 enables the speaker, bits 2-3
		 * mask parity/IOCHK NMIs; the rest is read-only. */
		pit->port61 = val & 0x0f;
		ch_set_gate(pit, 2, val & 1);
		break;
	}
}

static uint64_t pit_bus_read(void *opaque, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size && off + i < 4; i++)
		v |= pit_io_read(opaque, (uint16_t)(0x40 + off + i)) << (8 * i);
	return v;
}

static void pit_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size && off + i < 4; i++)
		pit_io_write(opaque, (uint16_t)(0x40 + off + i), (uint8_t)(val >> (8 * i)));
}

static uint64_t port61_bus_read(void *opaque, uint64_t off, unsigned size)
{
	return pit_io_read(opaque, 0x61);
}

static void port61_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	pit_io_write(opaque, 0x61, (uint8_t)val);
}

static const struct bus_ops pit_ops = {
	.read = pit_bus_read,
	.write = pit_bus_write,
};

static const struct bus_ops port61_ops = {
	.read = port61_bus_read,
	.write = port61_bus_write,
};

void pit_reset(struct pit *pit)
{
	memset(pit->ch, 0, sizeof(pit->ch));
	for (int i = 0; i < 3; i++) {
		/* Power-on: counters unprogrammed; channels 0 and 1 have
		 * their gates tied high, channel 2's comes from port 0x61. */
		pit->ch[i].gate = i != 2;
		pit->ch[i].rw = 3;
	}
	pit->port61 = 0;
	pit->refresh = false;
	pit->backlog = 0;
	pit->unacked = false;
	pit_replay_disarm(pit);
	pit_disarm(pit);
}

int pit_init(struct pit *pit, struct vm *vm)
{
	int ret;

	pit->vm = vm;
	pit->tfd = -1;
	pit->rtfd = -1;
	if (!pit->clock_ns)
		pit->clock_ns = pit_monotonic_ns;
	pit_reset(pit);
	pit->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	pit->rtfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (pit->tfd < 0 || pit->rtfd < 0) {
		ret = -errno;
		goto err;
	}
	if (vm->loop) {
		ret = loop_add_fd(vm->loop, pit->tfd, EPOLLIN, pit_timer_cb, pit);
		if (ret < 0)
			goto err;
		pit->in_loop = true;
		ret = loop_add_fd(vm->loop, pit->rtfd, EPOLLIN, pit_replay_cb, pit);
		if (ret < 0)
			goto err;
	}
	if ((ret = bus_register(vm, BUS_PIO, 0x40, 4, &pit_ops, pit)) < 0 ||
	    (ret = bus_register(vm, BUS_PIO, 0x61, 1, &port61_ops, pit)) < 0)
		goto err;
	return 0;
err:
	pit_exit(pit);
	return ret;
}

void pit_exit(struct pit *pit)
{
	if (pit->in_loop && pit->vm->loop) {
		loop_del_fd(pit->vm->loop, pit->tfd);
		loop_del_fd(pit->vm->loop, pit->rtfd);  /* -ENOENT if never added */
	}
	pit->in_loop = false;
	if (pit->tfd >= 0)
		close(pit->tfd);
	if (pit->rtfd >= 0)
		close(pit->rtfd);
	pit->tfd = -1;
	pit->rtfd = -1;
}
