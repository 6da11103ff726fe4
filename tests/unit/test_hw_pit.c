/* The emulated 8254 PIT: counter values against a fake clock (exact) and
 * the host clock (with slack), every mode's OUT, access modes, latch and
 * read-back, BCD, port 0x61, and IRQ0 through the timerfd and the event
 * loop into the PIC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <cmocka.h>
#include "ringvm/loop.h"
#include "ringvm/platform.h"
#include "ringvm/vm.h"
#include "hw/platform-priv.h"

static struct vm vm;
static struct pit pit;
static uint64_t fake_ns;
static int irq_edges;

static uint64_t fake_clock(void)
{
	return fake_ns;
}

/* Put the fake clock at the start of absolute tick t. */
static void set_tick(uint64_t t)
{
	fake_ns = (uint64_t)(((unsigned __int128)t * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

static void count_irq(void *opaque, int level)
{
	if (level)
		irq_edges++;
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

static uint16_t read16(uint16_t port)
{
	uint16_t lo = inb(port);

	return (uint16_t)(lo | inb(port) << 8);
}

static void program(int ch, uint8_t mode, uint16_t count)
{
	outb(0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
	outb((uint16_t)(0x40 + ch), (uint8_t)count);
	outb((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static int setup_fake(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(&pit, 0, sizeof(pit));
	pit.clock_ns = fake_clock;
	pit.irq = count_irq;
	irq_edges = 0;
	set_tick(1000000);
	return pit_init(&pit, &vm);
}

static int setup_real(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(&pit, 0, sizeof(pit));
	pit.irq = count_irq;
	irq_edges = 0;
	return pit_init(&pit, &vm);
}

static int teardown(void **state)
{
	pit_exit(&pit);
	for (int i = 0; i < BUS_NR; i++)
		bus_free(&vm.bus[i]);
	return 0;
}

static void test_mode2_counts_down(void **state)
{
	program(0, 2, 1000);
	assert_int_equal(pit_counter(&pit, 0), 1000);
	set_tick(1000100);
	outb(0x43, 0x00);                    /* latch channel 0 */
	set_tick(1000500);                   /* the latch holds */
	assert_int_equal(read16(0x40), 900);
	assert_int_equal(read16(0x40), 500); /* latch released */
	set_tick(1000998);
	assert_true(pit_out(&pit, 0));
	set_tick(1000999);                   /* count 1: OUT low one clock */
	assert_int_equal(pit_counter(&pit, 0), 1);
	assert_false(pit_out(&pit, 0));
	set_tick(1001000);                   /* reloaded */
	assert_int_equal(pit_counter(&pit, 0), 1000);
	assert_true(pit_out(&pit, 0));
	set_tick(1000000 + 1000 * 50 + 250);
	assert_int_equal(pit_counter(&pit, 0), 750);
}

/* A new count in mode 2 waits for the end of the current period. */
static void test_mode2_reload_at_period_end(void **state)
{
	program(0, 2, 1000);
	set_tick(1000300);
	outb(0x40, 400 & 0xff);
	outb(0x40, 400 >> 8);
	assert_int_equal(pit_counter(&pit, 0), 700);
	outb(0x43, 0xe2);                    /* status: count not loaded yet */
	assert_int_equal(inb(0x40) & 0x40, 0x40);
	set_tick(1000999);
	assert_int_equal(pit_counter(&pit, 0), 1);
	set_tick(1001000);
	assert_int_equal(pit_counter(&pit, 0), 400);
	outb(0x43, 0xe2);
	assert_int_equal(inb(0x40) & 0x40, 0);
	set_tick(1001100);
	assert_int_equal(read16(0x40), 300);
	set_tick(1001400);
	assert_int_equal(pit_counter(&pit, 0), 400);
	/* A control word cancels a pending count. */
	outb(0x40, 0x10);
	outb(0x40, 0x00);
	program(0, 2, 50);
	set_tick(1001600);
	assert_int_equal(pit_counter(&pit, 0), 50);
}

static void test_mode0_terminal_count(void **state)
{
	program(0, 0, 100);
	assert_false(pit_out(&pit, 0));
	set_tick(1000099);
	assert_false(pit_out(&pit, 0));
	assert_int_equal(read16(0x40), 1);
	set_tick(1000100);
	assert_true(pit_out(&pit, 0));
	set_tick(1000101);                   /* keeps counting, wraps */
	assert_int_equal(read16(0x40), 0xffff);
	assert_true(pit_out(&pit, 0));
	/* Writing the first byte of a new count stops counting, OUT low. */
	outb(0x40, 0x10);
	assert_false(pit_out(&pit, 0));
	outb(0x40, 0x00);
	assert_int_equal(pit_counter(&pit, 0), 16);
}

static void test_mode3_square_wave(void **state)
{
	program(0, 3, 10);
	assert_true(pit_out(&pit, 0));
	set_tick(1000002);
	assert_int_equal(pit_counter(&pit, 0), 6);   /* decrements by two */
	assert_true(pit_out(&pit, 0));
	set_tick(1000005);
	assert_false(pit_out(&pit, 0));
	set_tick(1000009);
	assert_false(pit_out(&pit, 0));
	set_tick(1000010);
	assert_true(pit_out(&pit, 0));
}

static void test_mode4_strobe(void **state)
{
	program(0, 4, 20);
	assert_true(pit_out(&pit, 0));
	set_tick(1000019);
	assert_true(pit_out(&pit, 0));
	set_tick(1000020);
	assert_false(pit_out(&pit, 0));
	set_tick(1000021);
	assert_true(pit_out(&pit, 0));
}

static void test_mode1_and_5_need_gate_trigger(void **state)
{
	outb(0x61, 0x00);
	program(2, 1, 30);
	set_tick(1000100);
	assert_true(pit_out(&pit, 2));       /* not triggered yet */
	outb(0x61, 0x01);                    /* gate rising edge */
	assert_false(pit_out(&pit, 2));
	/* A new count does not disturb the running one-shot... */
	set_tick(1000110);
	outb(0x42, 50);
	outb(0x42, 0);
	assert_int_equal(pit_counter(&pit, 2), 20);
	set_tick(1000130);
	assert_true(pit_out(&pit, 2));
	/* ...it is used from the next trigger on. */
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	assert_false(pit_out(&pit, 2));
	set_tick(1000179);
	assert_false(pit_out(&pit, 2));
	set_tick(1000180);
	assert_true(pit_out(&pit, 2));
	set_tick(1000130);
	program(2, 5, 10);
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	set_tick(1000140);
	assert_false(pit_out(&pit, 2));
	set_tick(1000141);
	assert_true(pit_out(&pit, 2));
}

static void test_access_modes(void **state)
{
	outb(0x43, 0x10);                    /* ch0 LSB only, mode 0 */
	outb(0x40, 50);
	assert_int_equal(pit_counter(&pit, 0), 50);
	set_tick(1000010);
	assert_int_equal(inb(0x40), 40);
	assert_int_equal(inb(0x40), 40);
	outb(0x43, 0x20);                    /* ch0 MSB only */
	outb(0x40, 2);
	assert_int_equal(pit_counter(&pit, 0), 512);
	set_tick(1000010 + 256);
	assert_int_equal(inb(0x40), 1);
}

static void test_read_back(void **state)
{
	program(0, 2, 300);
	program(1, 0, 40);
	set_tick(1000010);
	/* Latch status and count of counters 0 and 1. */
	outb(0x43, 0xc6);
	set_tick(1000020);
	assert_int_equal(inb(0x40), 0x80 | 0x34);    /* OUT high, ctrl */
	assert_int_equal(read16(0x40), 290);
	assert_int_equal(inb(0x41), 0x30);           /* OUT low, ch1 ctrl */
	assert_int_equal(read16(0x41), 30);
	/* Status only, counter 0: null count clear, count not latched. */
	outb(0x43, 0xe2);
	assert_int_equal(inb(0x40), 0x80 | 0x34);
	assert_int_equal(read16(0x40), 280);
	/* After a control word the status shows null count. */
	outb(0x43, 0x34);
	outb(0x43, 0xe2);
	assert_int_equal(inb(0x40) & 0x40, 0x40);
}

static void test_bcd(void **state)
{
	outb(0x43, 0x31);                    /* ch0 lohi mode 0 BCD */
	outb(0x40, 0x00);
	outb(0x40, 0x10);                    /* 1000 decimal */
	set_tick(1000001);
	assert_int_equal(read16(0x40), 0x0999);
	set_tick(1001000);
	assert_true(pit_out(&pit, 0));
	set_tick(1001001);                   /* wraps to 9999 */
	assert_int_equal(read16(0x40), 0x9999);
}

static void test_port61_out2_and_gate(void **state)
{
	outb(0x61, 0x01);
	outb(0x43, 0xb0);                    /* ch2 lohi mode 0 */
	outb(0x42, 100);
	outb(0x42, 0);
	set_tick(1000099);
	assert_int_equal(inb(0x61) & 0x21, 0x01);
	set_tick(1000100);
	assert_int_equal(inb(0x61) & 0x21, 0x21);
	/* The refresh bit toggles between reads. */
	assert_int_not_equal(inb(0x61) & 0x10, inb(0x61) & 0x10);
	/* Gate low holds the count. */
	program(2, 0, 100);
	set_tick(1000110);
	outb(0x61, 0x00);
	assert_int_equal(inb(0x61) & 0x01, 0);
	set_tick(1000200);
	assert_int_equal(read16(0x42), 90);
	assert_int_equal(inb(0x61) & 0x20, 0);
	outb(0x61, 0x01);
	set_tick(1000289);
	assert_int_equal(read16(0x42), 1);
	set_tick(1000290);
	assert_int_equal(inb(0x61) & 0x20, 0x20);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Latch channel 2 (one sampling instant, no torn lo/hi reads) and report
 * the host time just before and after the latch. */
static uint16_t latch2(uint64_t *before, uint64_t *after)
{
	*before = mono_ns();
	outb(0x43, 0x80);
	*after = mono_ns();
	return read16(0x42);
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns * PIT_HZ / 1000000000u;
}

/* The counter follows the host clock at 1.193182 MHz. Bracketing each
 * latch with host timestamps makes the bounds hold however the test is
 * preempted. */
static void test_real_rate(void **state)
{
	uint64_t a0, b0, a1, b1;
	uint16_t c0, c1;

	outb(0x61, 0x01);
	program(2, 0, 60000);
	c0 = latch2(&a0, &b0);
	usleep(20000);
	c1 = latch2(&a1, &b1);
	if (b1 - a0 > 45000000)
		skip();             /* preempted past a wrap of the counter */
	assert_true(c0 > c1);
	/* The sampling instants are in [a0, b0] and [a1, b1]. */
	assert_true((uint64_t)(c0 - c1) + 1 >= ns_to_ticks(a1 - b0));
	assert_true((uint64_t)(c0 - c1) <= ns_to_ticks(b1 - a0) + 1);
	/* And it really is ~20 ms worth, not a stuck counter. */
	assert_true(c0 - c1 >= 20000 * 1193 / 1000);
}

static bool wait_tfd(int ms)
{
	struct pollfd pfd = { .fd = pit.tfd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

static bool wait_fd(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/* The guest takes IRQ0; owed ticks come back one by one through the
 * replay timer. */
static void ack_and_replay(void)
{
	pit_irq_acked(&pit);
	while (pit.backlog) {
		assert_true(wait_fd(pit.rtfd, 200));
		pit_replay_cb(&pit, EPOLLIN);
		pit_irq_acked(&pit);
	}
}

static void test_irq0_periodic_and_coalesced(void **state)
{
	int before;

	program(0, 2, 1193);                 /* ~1 ms */
	for (int i = 0; i < 5; i++) {
		assert_true(wait_tfd(200));
		pit_timer_cb(&pit, EPOLLIN);
		ack_and_replay();            /* a guest keeping up */
	}
	/* At least one edge a wake-up; more if the host was slow and a
	 * period was owed and replayed. */
	assert_true(irq_edges >= 5);
	assert_int_equal(pit.backlog, 0);
	/* A slow event loop: 30 periods pass, one edge is delivered now and
	 * a few are owed, the rest dropped. */
	irq_edges = 0;
	pit.missed = 0;
	usleep(30000);
	pit_timer_cb(&pit, EPOLLIN);
	assert_int_equal(irq_edges, 1);
	assert_int_equal(pit.backlog, PIT_MAX_BACKLOG);
	assert_true(pit.missed >= 20);
	/* Owed ticks are not replayed before the guest took the last one,
	 * and not at the acknowledge itself but a little later. */
	assert_false(wait_fd(pit.rtfd, 5));
	pit_irq_acked(&pit);
	assert_int_equal(irq_edges, 1);
	assert_true(wait_fd(pit.rtfd, 200));
	pit_replay_cb(&pit, EPOLLIN);
	assert_int_equal(irq_edges, 2);
	/* Unacknowledged: the replay timer is not re-armed. */
	assert_false(wait_fd(pit.rtfd, 5));
	/* Draining the rest: one edge per acknowledge. */
	before = irq_edges;
	ack_and_replay();
	assert_int_equal(irq_edges - before, PIT_MAX_BACKLOG - 1);
	/* A tick that merges into an unacknowledged one is owed too. */
	assert_true(wait_tfd(200));
	pit_timer_cb(&pit, EPOLLIN);
	assert_true(wait_tfd(200));
	pit_timer_cb(&pit, EPOLLIN);
	assert_true(pit.backlog >= 1);
	/* A control word stops the channel and forgets what was owed. */
	pit_irq_acked(&pit);
	outb(0x43, 0x34);
	assert_int_equal(pit.backlog, 0);
	assert_false(wait_fd(pit.rtfd, 5));
	irq_edges = 0;
	pit_timer_cb(&pit, EPOLLIN);         /* stale wake-up: nothing */
	assert_int_equal(irq_edges, 0);
	assert_false(wait_tfd(30));
}

/* A count written without a control word changes the IRQ0 rate from the
 * next period on: the timer is re-armed at the boundary. */
static void test_irq0_rate_change(void **state)
{
	uint64_t t0, t1;

	program(0, 2, 1193);                 /* ~1 ms */
	outb(0x40, 0x9c);
	outb(0x40, 0x2e);                    /* 11932: ~10 ms */
	assert_true(wait_tfd(200));
	pit_timer_cb(&pit, EPOLLIN);         /* the 1 ms boundary */
	t0 = mono_ns();
	assert_true(wait_tfd(200));
	t1 = mono_ns();
	pit_timer_cb(&pit, EPOLLIN);
	assert_true(t1 - t0 >= 8000000);     /* not the old 1 ms period */
	assert_int_equal(irq_edges, 2);
}

static void test_irq0_one_shot(void **state)
{
	program(0, 0, 2386);                 /* ~2 ms */
	assert_true(wait_tfd(200));
	pit_timer_cb(&pit, EPOLLIN);
	assert_int_equal(irq_edges, 1);
	assert_true(pit_out(&pit, 0));
	assert_false(wait_tfd(30));
	/* Re-armed on reprogramming. */
	program(0, 0, 1193);
	assert_true(wait_tfd(200));
	pit_timer_cb(&pit, EPOLLIN);
	assert_int_equal(irq_edges, 2);
}

/* End to end: PIT -> timerfd -> event loop -> IRQ0 -> master PIC -> INTR. */
static bool e2e_intr;
static pthread_mutex_t e2e_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t e2e_cv = PTHREAD_COND_INITIALIZER;

static void e2e_notify(void *opaque, int cpu, bool pending)
{
	pthread_mutex_lock(&e2e_mu);
	e2e_intr = pending;
	pthread_cond_signal(&e2e_cv);
	pthread_mutex_unlock(&e2e_mu);
}

static void *e2e_loop(void *arg)
{
	loop_run(arg);
	return NULL;
}

static bool e2e_wait(int ms)
{
	struct timespec ts;
	bool got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&e2e_mu);
	while (!e2e_intr && pthread_cond_timedwait(&e2e_cv, &e2e_mu, &ts) == 0)
		;
	got = e2e_intr;
	pthread_mutex_unlock(&e2e_mu);
	return got;
}

static void e2e_out(uint16_t port, uint8_t v)
{
	assert_int_equal(bus_dispatch(&vm, BUS_PIO, port, &v, 1, true), 0);
}

static void test_irq0_through_loop_and_pic(void **state)
{
	static const uint8_t init[][2] = {
		{ 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 },
		{ 0xa0, 0x11 }, { 0xa1, 0x28 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
		{ 0x43, 0x34 }, { 0x40, 0xa9 }, { 0x40, 0x04 },  /* 1193: 1 ms */
	};
	struct platform *p;
	pthread_t th;

	memset(&vm, 0, sizeof(vm));
	vm.loop = loop_new();
	assert_non_null(vm.loop);
	p = platform_new(&vm);
	assert_non_null(p);
	platform_set_notify(p, e2e_notify, NULL);
	assert_int_equal(pthread_create(&th, NULL, e2e_loop, vm.loop), 0);
	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		e2e_out(init[i][0], init[i][1]);
	for (int i = 0; i < 3; i++) {
		assert_true(e2e_wait(500));
		assert_int_equal(platform_intr_ack(p, 0), 0x20);
		/* The ack dropped INTR (notify false); the EOI lets the
		 * next tick through. */
		e2e_out(0x20, 0x20);
	}
	/* Masked at the PIC: no INTR any more. */
	e2e_out(0x21, 0x01);
	usleep(20000);
	assert_false(e2e_wait(1));
	loop_stop(vm.loop);
	pthread_join(th, NULL);
	platform_free(p);
	loop_free(vm.loop);
	for (int i = 0; i < BUS_NR; i++)
		bus_free(&vm.bus[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode2_counts_down, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_mode2_reload_at_period_end, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_mode0_terminal_count, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_mode3_square_wave, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_mode4_strobe, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_mode1_and_5_need_gate_trigger, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_access_modes, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_read_back, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_bcd, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_port61_out2_and_gate, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_real_rate, setup_real, teardown),
		cmocka_unit_test_setup_teardown(test_irq0_periodic_and_coalesced, setup_real, teardown),
		cmocka_unit_test_setup_teardown(test_irq0_rate_change, setup_real, teardown),
		cmocka_unit_test_setup_teardown(test_irq0_one_shot, setup_real, teardown),
		cmocka_unit_test(test_irq0_through_loop_and_pic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
