/* CMOS real-time clock (Motorola MC146818A datasheet) at index port 0x70 and
 * data port 0x71, interrupting on ISA IRQ 8.
 *
 * The time is the host's UTC clock plus an offset the guest changes by
 * writing the time registers, so the clock never drifts. Nothing counts in
 * the background: every access works out from the host clock what the chip
 * would have done since the last one (update cycles at each whole second of
 * the RTC's time, alarm matches, periodic ticks) and sets register C's flags
 * for it. A timerfd in the VM's event loop wakes us only when an enabled
 * interrupt is due, so an idle guest costs no host CPU; without an event loop
 * (unit tests) the flags still appear on the next access.
 *
 * Bytes 0x0e-0x7f are battery-backed RAM, preset with the memory sizes PC
 * firmware (SeaBIOS) reads. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/irq.h"
#include "ringvm/log.h"
#include "ringvm/loop.h"
#include "ringvm/memory.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"
#include "hw/hw-priv.h"

#define RTC_PORT 0x70
#define RTC_GSI  8       /* ISA IRQ 8 on the PC/AT */

/* Register map (datasheet Figure 3) */
#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d
#define RTC_CENTURY       0x32  /* PC/AT convention, also ACPI FADT default */

#define REG_A_UIP  0x80
#define REG_A_DV   0x70  /* divider control, bits 6-4 */
#define REG_A_DV_32K 0x20  /* 010: 32.768 kHz time base, running */
#define REG_A_RS   0x0f  /* periodic rate select */
#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_DM   0x04  /* 1 = binary, 0 = BCD */
#define REG_B_24H  0x02
#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10
#define REG_D_VRT  0x80

#define NS_PER_SEC 1000000000LL
/* "The UIP bit ... goes high 244 µs before the update cycle begins"
 * (datasheet, Register A): a reader that finds UIP clear has at least that
 * long to read the time registers before they change. */
#define RTC_UIP_NS 244000LL
/* Host timer floor: periodic rates above 1024 Hz (RS 3-5) are delivered at
 * most this often; PF is one flag, so the ticks in between coalesce into it
 * the way they do on the chip when the guest reads C late. */
#define RTC_MIN_TIMER_NS (NS_PER_SEC / 1024)

struct rtc {
	struct vm *vm;
	struct irq_line irq;
	uint8_t index;
	uint8_t cmos[128];
	/* The divider chain's time, in ns, is host CLOCK_REALTIME + offset_ns;
	 * while the time runs its whole seconds are the RTC's seconds. */
	int64_t offset_ns;
	/* The time does not advance while SET is 1 or the divider is not at
	 * 010 (datasheet, "SET" and "DV2-DV0"); it is then frozen_sec. */
	bool frozen;
	int64_t frozen_sec;
	int64_t last_sec;        /* RTC second at the last evaluation */
	int64_t last_pi;         /* periodic tick index at the last evaluation */
	uint8_t flags;           /* register C's PF/AF/UF, until C is read */
	int level;               /* what we drive on IRQ 8 (IRQF) */
	int tfd;                 /* timerfd in vm->loop, or -1 */
	bool in_loop;
	int64_t last_fire_ns;    /* host time of the last timer wake-up */
};

static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool rtc_div_running(const struct rtc *r)
{
	return (r->cmos[RTC_REG_A] & REG_A_DV) == REG_A_DV_32K;
}

/* The RTC's time in whole seconds at host time h. */
static int64_t rtc_sec_at(const struct rtc *r, int64_t h)
{
	return r->frozen ? r->frozen_sec : floor_div(h + r->offset_ns, NS_PER_SEC);
}

static int64_t rtc_now(const struct rtc *r)
{
	return rtc_sec_at(r, host_ns());
}

/* Periodic interrupt period in 32.768 kHz cycles (datasheet Table 3,
 * 32.768 kHz time base): RS 3-15 give 2^(RS-1) cycles (8192 Hz down to
 * 2 Hz, 6 = 1024 Hz); RS 1 and 2 repeat RS 8 and 9 (256 and 128 Hz);
 * RS 0 is off. */
static int64_t rtc_period_cycles(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & REG_A_RS;

	if (!rs)
		return 0;
	return rs <= 2 ? 1LL << (rs + 6) : 1LL << (rs - 1);
}

/* Which periodic tick the divider is in at host time h: ticks fall on the
 * divider's 32.768 kHz cycles, counted from the top of its second. */
static int64_t rtc_periodic_index(const struct rtc *r, int64_t h, int64_t period)
{
	__int128 cycles = (__int128)(h + r->offset_ns) * 32768;

	cycles = cycles >= 0 ? cycles / NS_PER_SEC : -((-cycles + NS_PER_SEC - 1) / NS_PER_SEC);
	return (int64_t)(cycles >= 0 ? cycles / period : -((-cycles + period - 1) / period));
}

/* The host time at which periodic tick idx begins (rounded up, so that a
 * timer at that time finds the tick already counted). */
static int64_t rtc_periodic_start(const struct rtc *r, int64_t idx, int64_t period)
{
	__int128 ns = (__int128)idx * period * NS_PER_SEC;

	ns = ns >= 0 ? (ns + 32767) / 32768 : -((-ns) / 32768);
	return (int64_t)ns - r->offset_ns;
}

static uint8_t rtc_to_bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned rtc_from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0x0f);
}

/* A value as the guest's data mode (register B DM bit) shows it. */
static uint8_t rtc_encode(const struct rtc *r, unsigned v)
{
	return (r->cmos[RTC_REG_B] & REG_B_DM) ? (uint8_t)v : rtc_to_bcd(v % 100);
}

static unsigned rtc_decode(const struct rtc *r, uint8_t v)
{
	return (r->cmos[RTC_REG_B] & REG_B_DM) ? v : rtc_from_bcd(v);
}

/* Hours in 12-hour mode are 1-12 with bit 7 set for PM (datasheet,
 * "Time, Calendar and Alarm Data Modes"). */
static uint8_t rtc_encode_hour(const struct rtc *r, unsigned h)
{
	bool pm;

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_encode(r, h);
	pm = h >= 12;
	h %= 12;
	if (!h)
		h = 12;
	return (uint8_t)(rtc_encode(r, h) | (pm ? 0x80 : 0));
}

static unsigned rtc_decode_hour(const struct rtc *r, uint8_t v)
{
	unsigned h;

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_decode(r, v) % 24;
	h = rtc_decode(r, v & 0x7f) % 12;
	return (v & 0x80) ? h + 12 : h;
}

static uint8_t rtc_read_time(struct rtc *r, uint8_t reg)
{
	time_t t = (time_t)rtc_now(r);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case RTC_SECONDS:      return rtc_encode(r, (unsigned)tm.tm_sec);
	case RTC_MINUTES:      return rtc_encode(r, (unsigned)tm.tm_min);
	case RTC_HOURS:        return rtc_encode_hour(r, (unsigned)tm.tm_hour);
	case RTC_DAY_OF_WEEK:  return rtc_encode(r, (unsigned)tm.tm_wday + 1); /* Sunday = 1 */
	case RTC_DAY_OF_MONTH: return rtc_encode(r, (unsigned)tm.tm_mday);
	case RTC_MONTH:        return rtc_encode(r, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR:         return rtc_encode(r, (unsigned)(tm.tm_year + 1900) % 100);
	default:               return rtc_encode(r, (unsigned)(tm.tm_year + 1900) / 100);
	}
}

/* The guest sets the clock: change one field of the current guest time
 * and keep the difference to the host clock. Out-of-range values are
 * normalized by timegm() the way a confused chip would count on. */
static void rtc_write_time(struct rtc *r, uint8_t reg, uint8_t val)
{
	time_t t = (time_t)rtc_now(r), nt;
	struct tm tm;
	unsigned v;

	gmtime_r(&t, &tm);
	v = reg == RTC_HOURS ? rtc_decode_hour(r, val) : rtc_decode(r, val);
	switch (reg) {
	case RTC_SECONDS:      tm.tm_sec = (int)(v % 60); break;
	case RTC_MINUTES:      tm.tm_min = (int)(v % 60); break;
	case RTC_HOURS:        tm.tm_hour = (int)v; break;
	case RTC_DAY_OF_WEEK:  return; /* derived from the date */
	case RTC_DAY_OF_MONTH: tm.tm_mday = (int)(v ? v : 1); break;
	case RTC_MONTH:        tm.tm_mon = (int)(v ? v - 1 : 0) % 12; break;
	case RTC_YEAR:
		tm.tm_year = (int)(((unsigned)(tm.tm_year + 1900) / 100) * 100 + v % 100) - 1900;
		break;
	default: /* century */
		tm.tm_year = (int)(v * 100 + (unsigned)(tm.tm_year + 1900) % 100) - 1900;
		break;
	}
	nt = timegm(&tm);
	if (nt == (time_t)-1) {
		pr_guest("rtc: guest wrote an impossible date (reg %#x = %#x)", reg, val);
		return;
	}
	/* Whole seconds only: setting the time does not reset the divider,
	 * so the update cycle keeps its phase (datasheet, "SET"). */
	if (r->frozen) {
		r->frozen_sec += (int64_t)nt - (int64_t)t;
	} else {
		r->offset_ns += ((int64_t)nt - (int64_t)t) * NS_PER_SEC;
		r->last_sec += (int64_t)nt - (int64_t)t;  /* a set is no update */
	}
}

static bool rtc_is_time_reg(uint8_t reg)
{
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

/* An alarm byte of 11xxxxxx matches any value ("don't care", datasheet,
 * "Alarm"); otherwise it is compared with the time byte in the current
 * data mode. */
static bool rtc_alarm_field(uint8_t alarm, uint8_t time)
{
	return (alarm & 0xc0) == 0xc0 || alarm == time;
}

static bool rtc_alarm_match(const struct rtc *r, int64_t t)
{
	int64_t s = t % 86400;

	if (s < 0)
		s += 86400;
	return rtc_alarm_field(r->cmos[RTC_SECONDS_ALARM], rtc_encode(r, (unsigned)(s % 60))) &&
	       rtc_alarm_field(r->cmos[RTC_MINUTES_ALARM], rtc_encode(r, (unsigned)(s / 60 % 60))) &&
	       rtc_alarm_field(r->cmos[RTC_HOURS_ALARM], rtc_encode_hour(r, (unsigned)(s / 3600)));
}

/* IRQF = PF·PIE + AF·AIE + UF·UIE (datasheet, Register C), driven as a
 * level on IRQ 8 until register C is read. Under the emulated platform
 * IRQ 8 is ISA edge-triggered and the rising level is the edge. */
static void rtc_set_irq(struct rtc *r)
{
	int level = (r->flags & r->cmos[RTC_REG_B] & (REG_C_PF | REG_C_AF | REG_C_UF)) != 0;

	if (level == r->level)
		return;
	r->level = level;
	irq_line_set(&r->irq, level);
}

/* Account for what the chip did between the last evaluation and host time
 * h: an update cycle ends at each whole second while the time runs
 * (setting UF, and AF if that second matches the alarm), a periodic tick at
 * each period boundary while the divider runs (setting PF). The flags are
 * set whether or not their interrupts are enabled (datasheet, Register C). */
static void rtc_update(struct rtc *r, int64_t h)
{
	int64_t period = rtc_period_cycles(r);

	if (!r->frozen) {
		int64_t s = rtc_sec_at(r, h);

		if (s > r->last_sec) {
			/* A day holds every hh:mm:ss the alarm can match. */
			int64_t t = s - r->last_sec > 86400 ? s - 86399 : r->last_sec + 1;

			r->flags |= REG_C_UF;
			for (; t <= s; t++) {
				if (rtc_alarm_match(r, t)) {
					r->flags |= REG_C_AF;
					break;
				}
			}
		}
		r->last_sec = s;  /* a host clock stepped back just resyncs */
	}
	if (rtc_div_running(r) && period) {
		int64_t pi = rtc_periodic_index(r, h, period);

		if (pi != r->last_pi)
			r->flags |= REG_C_PF;
		r->last_pi = pi;
	}
	rtc_set_irq(r);
}

/* Start counting afresh from host time h (after a mode change). */
static void rtc_resync(struct rtc *r, int64_t h)
{
	int64_t period = rtc_period_cycles(r);

	if (!r->frozen)
		r->last_sec = rtc_sec_at(r, h);
	if (period)
		r->last_pi = rtc_periodic_index(r, h, period);
}

/* Program the host timer for the next moment an enabled interrupt could
 * become due, or stop it. Nothing is due while IRQF is already high: the
 * line cannot rise again before the guest reads C, which re-arms. */
static void rtc_arm(struct rtc *r, int64_t h)
{
	struct itimerspec its = { 0 };
	uint8_t b = r->cmos[RTC_REG_B];
	int64_t next = INT64_MAX, period = rtc_period_cycles(r);

	if (r->tfd < 0)
		return;
	if (!r->level) {
		if (!r->frozen && (b & (REG_B_UIE | REG_B_AIE)))
			next = (rtc_sec_at(r, h) + 1) * NS_PER_SEC - r->offset_ns;
		if (rtc_div_running(r) && period && (b & REG_B_PIE)) {
			int64_t p = rtc_periodic_start(r, rtc_periodic_index(r, h, period) + 1, period);

			if (p < r->last_fire_ns + RTC_MIN_TIMER_NS)
				p = r->last_fire_ns + RTC_MIN_TIMER_NS;
			if (p < next)
				next = p;
		}
	}
	if (next != INT64_MAX) {
		if (next <= 0)
			next = 1;  /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(next / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(next % NS_PER_SEC);
	}
	if (timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		pr_debug("rtc: timerfd_settime: %s", strerror(errno));
}

/* Event loop thread: an interrupt may be due. */
static void rtc_timer_cb(void *opaque, uint32_t events)
{
	struct rtc *r = opaque;
	uint64_t n;
	int64_t h;

	(void)events;
	vm_lock(r->vm);
	/* Nothing to read means a re-arm beat us to it; evaluating is
	 * harmless either way. */
	if (read(r->tfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		pr_debug("rtc: timerfd read: %s", strerror(errno));
	h = host_ns();
	r->last_fire_ns = h;
	rtc_update(r, h);
	rtc_arm(r, h);
	vm_unlock(r->vm);
}

/* Register A or B changes: freeze or restart the time per SET and DV. */
static void rtc_set_mode(struct rtc *r, uint8_t reg, uint8_t val, int64_t h)
{
	bool old_div = rtc_div_running(r), new_div, frozen;
	int64_t s = rtc_sec_at(r, h);

	r->cmos[reg] = val;
	new_div = rtc_div_running(r);
	frozen = !new_div || (r->cmos[RTC_REG_B] & REG_B_SET);
	if (!old_div && new_div) {
		/* "When the divider chain is taken out of reset, the first
		 * update cycle begins one-half second later" (datasheet,
		 * "DV2-DV0"). */
		r->offset_ns = r->frozen_sec * NS_PER_SEC + NS_PER_SEC / 2 - h;
	} else if (r->frozen && !frozen) {
		/* SET cleared: the divider kept running, so the next update
		 * comes at its next whole second, counting on from the time
		 * the guest loaded. */
		r->offset_ns += (r->frozen_sec - floor_div(h + r->offset_ns, NS_PER_SEC)) * NS_PER_SEC;
	}
	if (!r->frozen && frozen)
		r->frozen_sec = s;
	r->frozen = frozen;
	rtc_resync(r, h);
}

static uint8_t rtc_read_reg(struct rtc *r, uint8_t reg, int64_t h)
{
	uint8_t v;

	if (rtc_is_time_reg(reg))
		return rtc_read_time(r, reg);
	switch (reg) {
	case RTC_REG_A:
		v = r->cmos[RTC_REG_A] & (uint8_t)~REG_A_UIP;
		/* SET=1 inhibits updates and clears UIP (datasheet). */
		if (!r->frozen && (h + r->offset_ns) - floor_div(h + r->offset_ns, NS_PER_SEC) * NS_PER_SEC >=
				      NS_PER_SEC - RTC_UIP_NS)
			v |= REG_A_UIP;
		return v;
	case RTC_REG_C:
		/* Reading C clears all its flags and drops IRQF (datasheet,
		 * Register C). */
		v = r->flags;
		if (r->level)
			v |= REG_C_IRQF;
		r->flags = 0;
		rtc_set_irq(r);
		rtc_arm(r, h);
		return v;
	case RTC_REG_D:
		return REG_D_VRT;  /* the battery is always good */
	default:
		return r->cmos[reg];
	}
}

static void rtc_write_reg(struct rtc *r, uint8_t reg, uint8_t val, int64_t h)
{
	if (rtc_is_time_reg(reg)) {
		rtc_write_time(r, reg, val);
		rtc_arm(r, h);
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		rtc_set_mode(r, RTC_REG_A, val & (uint8_t)~REG_A_UIP, h);
		rtc_arm(r, h);
		break;
	case RTC_REG_B:
		/* "UIE is cleared when the SET bit goes high" (datasheet,
		 * Register B). Linux's mc146818_set_time writes SET with its
		 * old B and restores B afterwards, so it loses nothing. */
		if (val & REG_B_SET)
			val &= (uint8_t)~REG_B_UIE;
		rtc_set_mode(r, RTC_REG_B, val, h);
		rtc_set_irq(r);  /* a new enable can raise IRQF for a pending flag */
		rtc_arm(r, h);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;  /* read-only */
	default:
		r->cmos[reg] = val;
		break;
	}
}

static uint64_t rtc_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct rtc *r = opaque;
	int64_t h;

	(void)size;
	if (off == 0)
		return 0xff;  /* the index register is write-only */
	h = host_ns();
	rtc_update(r, h);
	return rtc_read_reg(r, r->index, h);
}

static void rtc_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct rtc *r = opaque;
	int64_t h;

	(void)size;
	if (off == 0) {
		r->index = (uint8_t)val & 0x7f;  /* bit 7: NMI mask, not modelled */
		return;
	}
	h = host_ns();
	rtc_update(r, h);
	rtc_write_reg(r, r->index, (uint8_t)val, h);
}

static const struct bus_ops rtc_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

/* Memory sizes where PC firmware looks for them, as QEMU's pc machine
 * and SeaBIOS lay them out: 0x15-0x16 base memory in KiB, 0x17-0x18 (and
 * 0x30-0x31) KiB above 1 MiB up to 64 MiB, 0x34-0x35 64 KiB units above
 * 16 MiB below 4 GiB, 0x5b-0x5d 64 KiB units above 4 GiB. */
static void rtc_set_memory_sizes(struct rtc *r, const struct guest_mem *m)
{
	uint64_t low = 0, high = 0, v;
	unsigned sum = 0;

	for (int i = 0; i < m->nr; i++) {
		if (m->r[i].gpa < MEM_HOLE_END)
			low += m->r[i].size;
		else
			high += m->r[i].size;
	}
	r->cmos[0x15] = 640 & 0xff;
	r->cmos[0x16] = 640 >> 8;
	v = low > MiB ? (low - MiB) / KiB : 0;
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)v;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(v >> 8);
	v = low > 16 * MiB ? (low - 16 * MiB) / (64 * KiB) : 0;
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[0x34] = (uint8_t)v;
	r->cmos[0x35] = (uint8_t)(v >> 8);
	v = high / (64 * KiB);
	r->cmos[0x5b] = (uint8_t)v;
	r->cmos[0x5c] = (uint8_t)(v >> 8);
	r->cmos[0x5d] = (uint8_t)(v >> 16);
	/* IBM AT checksum over 0x10-0x2d, stored big-endian at 0x2e. */
	for (int i = 0x10; i <= 0x2d; i++)
		sum += r->cmos[i];
	r->cmos[0x2e] = (uint8_t)(sum >> 8);
	r->cmos[0x2f] = (uint8_t)sum;
}

static void rtc_free(struct rtc *r)
{
	if (r->in_loop)
		loop_del_fd(r->vm->loop, r->tfd);
	if (r->tfd >= 0)
		close(r->tfd);
	free(r);
}

int rtc_init(struct vm *vm)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int64_t h = host_ns();
	int ret;

	if (!r)
		return -ENOMEM;
	r->vm = vm;
	r->tfd = -1;
	irq_line_init(&r->irq, vm, RTC_GSI);
	/* 32.768 kHz time base, 1024 Hz rate; 24-hour BCD, as PC firmware
	 * programs it. */
	r->cmos[RTC_REG_A] = 0x26;
	r->cmos[RTC_REG_B] = REG_B_24H;
	r->cmos[RTC_REG_D] = REG_D_VRT;
	rtc_set_memory_sizes(r, &vm->mem);
	rtc_resync(r, h);
	if (vm->loop) {
		/* CLOCK_REALTIME, absolute: the update cycle follows the host's
		 * wall-clock seconds, and so should the wake-ups. */
		r->tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
		if (r->tfd < 0) {
			ret = -errno;
			goto err;
		}
		ret = loop_add_fd(vm->loop, r->tfd, EPOLLIN, rtc_timer_cb, r);
		if (ret < 0)
			goto err;
		r->in_loop = true;
	}
	ret = bus_register(vm, BUS_PIO, RTC_PORT, 2, &rtc_ops, r);
	if (ret < 0)
		goto err;
	return 0;
err:
	rtc_free(r);
	return ret;
}

void rtc_exit(struct vm *vm)
{
	const struct bus_range *b = bus_find(&vm->bus[BUS_PIO], RTC_PORT);

	if (b && b->ops == &rtc_ops)
		rtc_free(b->opaque);
}
