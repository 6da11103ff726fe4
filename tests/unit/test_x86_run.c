/* The software CPU's run loop on small programs through the public API:
 * block cache and limits, self-modifying code, exception and interrupt
 * delivery (with the STI shadow), string instructions, port I/O, tracing.
 * Every run has an instruction limit, so a broken CPU cannot hang the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pthread.h>

#include "ringvm/x86emu.h"

#define MEM_SIZE (4u << 20)
#define CODE 0x10000
#define STACK 0x80000
#define LIMIT 1000000

static uint8_t *mem;
static char serial[256];
static size_t serial_len;
static int exit_code = -1;
static bool stop_on_exit;
static struct x86emu *cpu;
static int irq_vec = -1;

static uint8_t *ram_page(void *opaque, uint64_t gpa)
{
	(void)opaque;
	return gpa < MEM_SIZE ? mem + (gpa & ~0xfffULL) : NULL;
}

static void mmio(void *opaque, uint64_t gpa, void *data, unsigned len, bool write)
{
	(void)opaque; (void)gpa;
	if (!write)
		memset(data, 0xff, len);
}

static void pio(void *opaque, uint16_t port, void *data, unsigned len, bool in)
{
	(void)opaque;
	if (in) {
		memset(data, 0, len);
		return;
	}
	if (port == 0x3f8 && serial_len < sizeof(serial) - 1)
		serial[serial_len++] = *(char *)data;
	if (port == 0xf4) {
		exit_code = *(uint8_t *)data;
		if (stop_on_exit)
			x86emu_stop(cpu);
	}
}

static int intr_ack(void *opaque)
{
	int v = irq_vec;
	(void)opaque;
	irq_vec = -1;
	x86emu_set_irq(cpu, false);
	return v;
}

static const struct x86emu_bus bus = {
	.ram_page = ram_page, .mmio = mmio, .pio = pio, .intr_ack = intr_ack,
};

/* Memory written behind the CPU's back, as a loader would: tell it. */
static void put(uint64_t at, const void *bytes, size_t n)
{
	memcpy(mem + at, bytes, n);
	x86emu_invalidate(cpu, at, n);
}
#define PUT(at, s) put((at), (s), sizeof(s) - 1)

static void put64(uint64_t at, uint64_t v)
{
	memcpy(mem + at, &v, 8);
}

static uint64_t get64(uint64_t at)
{
	uint64_t v;
	memcpy(&v, mem + at, 8);
	return v;
}

/* An IDT gate for vector v to handler h (64-bit interrupt gate, SDM Vol.
 * 3A 6.14.1). */
static void gate64(int v, uint64_t h)
{
	uint64_t lo = (h & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) | ((h >> 16 & 0xffff) << 48);
	put64(0x7000 + v * 16, lo);
	put64(0x7000 + v * 16 + 8, h >> 32);
}

static void seg(struct x86_segment *s, uint16_t sel, uint8_t type, int l, int db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->l = (uint8_t)l;
	s->db = (uint8_t)db;
	s->g = 1;
}

/* 64-bit mode, identity-mapped 4 MiB with 2 MiB pages, flat segments, an
 * IDT at 0x7000, RIP = CODE, RSP = rsp. */
static void cpu_init64(struct x86emu *e, uint64_t rip, uint64_t rsp)
{
	struct vcpu_sregs s;
	struct vcpu_regs r;

	x86emu_reset(e);
	x86emu_get_sregs(e, &s);
	seg(&s.cs, 0x08, 0xb, 1, 0);
	seg(&s.ds, 0x10, 0x3, 0, 1);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = 0x6000; s.gdt.limit = 0x17;
	s.idt.base = 0x7000; s.idt.limit = 0xfff;
	s.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE;
	s.cr3 = 0x1000;
	s.cr4 = X86_CR4_PAE;
	s.efer = X86_EFER_LME | X86_EFER_LMA;
	x86emu_set_sregs(e, &s);
	memset(&r, 0, sizeof(r));
	r.rip = rip;
	r.rsp = rsp;
	r.rflags = 2;
	x86emu_set_regs(e, &r);
}

static void setup64(void)
{
	memset(mem, 0, MEM_SIZE);
	x86emu_invalidate(cpu, 0, MEM_SIZE);
	put64(0x1000, 0x2000 | 3);
	put64(0x2000, 0x3000 | 3);
	put64(0x3000, 0x000000 | 0x83);
	put64(0x3008, 0x200000 | 0x83);
	put64(0x6008, 0x00af9a000000ffffULL);
	put64(0x6010, 0x00cf92000000ffffULL);
	cpu_init64(cpu, CODE, STACK);
	serial_len = 0;
	exit_code = -1;
	stop_on_exit = false;
	irq_vec = -1;
}

static struct vcpu_regs regs(void)
{
	struct vcpu_regs r;
	x86emu_get_regs(cpu, &r);
	return r;
}

static int setup(void **state)
{
	(void)state;
	mem = aligned_alloc(4096, MEM_SIZE);
	cpu = x86emu_new(&bus, 0);
	return mem && cpu ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	x86emu_free(cpu);
	free(mem);
	return 0;
}

static void test_loop_and_limit(void **state)
{
	(void)state;
	setup64();
	PUT(CODE, "\xb9\x64\x00\x00\x00"    /* mov ecx, 100 */
		  "\x31\xc0"                /* xor eax, eax */
		  "\x01\xc8"                /* L: add eax, ecx */
		  "\xe2\xfc"                /* loop L */
		  "\xf4");                  /* hlt */
	assert_int_equal(x86emu_run(cpu, 5), X86EMU_LIMIT);
	assert_int_equal(x86emu_icount(cpu), 5);
	assert_int_equal(regs().rip, CODE + 9);   /* mov, xor, add, loop, add */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rax, 5050);
	assert_int_equal(regs().rcx, 0);
	assert_int_equal(regs().rip, CODE + 12);
	assert_int_equal(x86emu_icount(cpu), 203);
}

/* One step at a time must reach the same state as free running. */
static void test_single_step_equivalence(void **state)
{
	struct vcpu_regs a, b;
	int n = 0;
	(void)state;

	setup64();
	PUT(CODE, "\xb9\x0a\x00\x00\x00\x31\xc0\x01\xc8\x48\x0f\xaf\xc1\xe2\xf8\xf4");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	a = regs();
	setup64();
	PUT(CODE, "\xb9\x0a\x00\x00\x00\x31\xc0\x01\xc8\x48\x0f\xaf\xc1\xe2\xf8\xf4");
	while (x86emu_run(cpu, 1) == X86EMU_LIMIT && n < 1000)
		n++;
	b = regs();
	assert_int_equal(n, 32);   /* 2 + 10 * 3 before the HLT */
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_smc(void **state)
{
	(void)state;
	/* The write hits the very next instruction's immediate (SDM Vol. 3A
	 * 8.1.3): the modified instruction must execute. */
	setup64();
	PUT(CODE, "\xc6\x05\x01\x00\x00\x00\x42"  /* mov byte [rip+1], 0x42 */
		  "\xb0\x00"                        /* mov al, 0 */
		  "\xf4");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rax & 0xff, 0x42);

	/* A function already decoded and cached is patched, then called. */
	setup64();
	PUT(CODE, "\xe8\xfb\x00\x00\x00"                  /* call F */
		  "\x89\xc3"                              /* mov ebx, eax */
		  "\xc7\x05\xf0\x00\x00\x00\x02\x00\x00\x00" /* mov dword [F+1], 2 */
		  "\xe8\xea\x00\x00\x00"                  /* call F */
		  "\xf4");
	PUT(CODE + 0x100, "\xb8\x01\x00\x00\x00\xc3");     /* F: mov eax, 1; ret */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 1);
	assert_int_equal(regs().rax, 2);

	/* Written behind the CPU's back (DMA, loader): x86emu_invalidate. */
	PUT(CODE + 0x100, "\xb8\x03\x00\x00\x00\xc3");
	x86emu_invalidate(cpu, CODE + 0x100, 6);
	{
		struct vcpu_regs r = regs();
		r.rip = CODE + 0x11;
		x86emu_set_regs(cpu, &r);
	}
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rax, 3);
}

static void test_exceptions(void **state)
{
	struct vcpu_sregs s;
	(void)state;

	/* #UD: pushed RIP is the faulting instruction. */
	setup64();
	gate64(6, 0x11000);
	PUT(0x11000, "\xbb\x55\x00\x00\x00\xf4");
	PUT(CODE, "\x90\x0f\x0b");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0x55);
	assert_int_equal(regs().rsp, STACK - 40);
	assert_int_equal(get64(STACK - 40), CODE + 1);

	/* #DE from DIV by zero; registers untouched. */
	setup64();
	gate64(0, 0x11000);
	PUT(0x11000, "\xbb\xde\x00\x00\x00\xf4");
	PUT(CODE, "\xb8\x07\x00\x00\x00\x31\xc9\xf7\xf1\xf4");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0xde);
	assert_int_equal(regs().rax, 7);
	assert_int_equal(get64(STACK - 40), CODE + 7);

	/* #PF on an unmapped read: CR2 and error code 0 (read, not present). */
	setup64();
	gate64(14, 0x11000);
	PUT(0x11000, "\xbb\x0e\x00\x00\x00\xf4");
	PUT(CODE, "\x8b\x04\x25\x00\x00\x00\x10\xf4");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0x0e);
	x86emu_get_sregs(cpu, &s);
	assert_int_equal(s.cr2, 0x10000000);
	assert_int_equal(get64(STACK - 48), 0);          /* error code */
	assert_int_equal(get64(STACK - 40), CODE);

	/* A fault in the middle of REP STOSB is restartable: RCX/RDI say how
	 * far it got. The page at 4 MiB is not mapped. */
	setup64();
	gate64(14, 0x11000);
	PUT(0x11000, "\xf4");
	PUT(CODE, "\xbf\x00\xff\x3f\x00"                 /* mov edi, 0x3fff00 */
		  "\xb9\x00\x02\x00\x00"                 /* mov ecx, 0x200 */
		  "\xb0\xcd\xf3\xaa\xf4");               /* mov al,0xcd; rep stosb */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rcx, 0x100);
	assert_int_equal(regs().rdi, 0x400000);
	assert_int_equal(mem[0x3fffff], 0xcd);
	assert_int_equal(get64(STACK - 40), CODE + 12);
}

static void test_strings(void **state)
{
	(void)state;
	setup64();
	PUT(CODE, "\xbf\x00\x00\x02\x00"         /* mov edi, 0x20000 */
		  "\xb9\x10\x27\x00\x00"         /* mov ecx, 10000 */
		  "\xb0\xab\xf3\xaa"             /* mov al, 0xab; rep stosb */
		  "\xbe\x00\x00\x02\x00"         /* mov esi, 0x20000 */
		  "\xbf\x00\x00\x03\x00"         /* mov edi, 0x30000 */
		  "\xb9\xe2\x04\x00\x00"         /* mov ecx, 1250 */
		  "\xf3\x48\xa5"                 /* rep movsq */
		  "\xc6\x04\x25\x00\x00\x04\x00\x5a" /* mov byte [0x40000], 0x5a */
		  "\xbe\x00\x00\x04\x00"         /* mov esi, 0x40000 */
		  "\xbf\x01\x00\x04\x00"         /* mov edi, 0x40001 */
		  "\xb9\x64\x00\x00\x00"         /* mov ecx, 100 */
		  "\xf3\xa4"                     /* rep movsb (overlapping) */
		  "\xbf\x00\x00\x05\x00"         /* mov edi, 0x50000 */
		  "\x31\xc0"                     /* xor eax, eax */
		  "\xb9\xff\xff\xff\xff"         /* mov ecx, -1 */
		  "\xf2\xae"                     /* repne scasb */
		  "\xf4");
	PUT(0x50000, "hello");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	for (int k = 0; k < 10000; k++)
		if (mem[0x20000 + k] != 0xab || mem[0x30000 + k] != 0xab)
			fail_msg("byte %d not copied", k);
	assert_int_equal(mem[0x20000 + 10000], 0);
	assert_int_equal(mem[0x30000 + 10000], 0);
	for (int k = 0; k <= 100; k++)
		assert_int_equal(mem[0x40000 + k], 0x5a);
	assert_int_equal(mem[0x40000 + 101], 0);
	assert_int_equal(regs().rcx, 0xfffffff9);
	assert_int_equal(regs().rdi, 0x50006);

	/* Backwards (DF=1) copy of 3 dwords. */
	setup64();
	PUT(0x20000, "\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00");
	PUT(CODE, "\xfd"                          /* std */
		  "\xbe\x08\x00\x02\x00\xbf\x08\x00\x03\x00"
		  "\xb9\x03\x00\x00\x00\xf3\xa5\xfc\xf4");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_memory_equal(mem + 0x30000, mem + 0x20000, 12);
	assert_int_equal(regs().rsi, 0x1fffc);
}

static void test_pio_and_stop(void **state)
{
	(void)state;
	setup64();
	PUT(0x50000, "hello");
	PUT(CODE, "\xbe\x00\x00\x05\x00"     /* mov esi, 0x50000 */
		  "\xb9\x05\x00\x00\x00"     /* mov ecx, 5 */
		  "\x66\xba\xf8\x03"         /* mov dx, 0x3f8 */
		  "\xf3\x6e"                 /* rep outsb */
		  "\xb0\x07\xe6\xf4"         /* mov al, 7; out 0xf4, al */
		  "\xf4");
	stop_on_exit = true;
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_STOPPED);
	assert_int_equal(exit_code, 7);
	assert_int_equal(serial_len, 5);
	assert_memory_equal(serial, "hello", 5);
	assert_int_equal(regs().rip, CODE + 20);   /* after the OUT */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
}

static void test_interrupts(void **state)
{
	(void)state;
	setup64();
	gate64(0x20, 0x12000);
	PUT(0x12000, "\xbb\x77\x00\x00\x00\xf4");
	PUT(CODE, "\xfb\xf4\x90");                    /* sti; hlt; nop */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rip, CODE + 2);
	irq_vec = 0x20;
	x86emu_set_irq(cpu, true);
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0x77);
	assert_int_equal(get64(STACK - 40), CODE + 2);

	/* Pending before STI: the shadow lets HLT execute first (SDM Vol. 3A
	 * 6.8.3), so the interrupt returns after the HLT, not before it. */
	setup64();
	gate64(0x20, 0x12000);
	PUT(0x12000, "\xbb\x77\x00\x00\x00\xf4");
	PUT(CODE, "\xfb\xf4\x90");
	irq_vec = 0x20;
	x86emu_set_irq(cpu, true);
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0x77);
	assert_int_equal(get64(STACK - 40), CODE + 2);

	/* IF=0: a pending interrupt waits; HLT returns to the caller. */
	setup64();
	gate64(0x20, 0x12000);
	PUT(CODE, "\xf4");
	irq_vec = 0x20;
	x86emu_set_irq(cpu, true);
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0);
	x86emu_set_irq(cpu, false);
}

static void test_trace(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int lines = 0;
	(void)state;

	assert_non_null(f);
	setup64();
	PUT(CODE, "\xb9\x64\x00\x00\x00\x31\xc0\x01\xc8\xe2\xfc\xf4");
	x86emu_set_trace(cpu, f, 3);
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	x86emu_set_trace(cpu, NULL, 0);
	fclose(f);
	for (size_t k = 0; k < len; k++)
		lines += buf[k] == '\n';
	assert_int_equal(lines, 3);
	assert_non_null(strstr(buf, "0000000000010000: b964000000"));
	assert_non_null(strstr(buf, "mov ecx, 0x64"));
	assert_non_null(strstr(buf, "xor eax, eax"));
	assert_non_null(strstr(buf, "add eax, ecx"));
	free(buf);
	assert_int_equal(regs().rax, 5050);
}

/* Real mode: IVT delivery of INT n and IRET, 16-bit stack. */
static void test_real_mode(void **state)
{
	struct vcpu_sregs s;
	struct vcpu_regs r;
	(void)state;

	memset(mem, 0, MEM_SIZE);
	x86emu_invalidate(cpu, 0, MEM_SIZE);
	x86emu_reset(cpu);
	x86emu_get_sregs(cpu, &s);
	s.cs.base = 0;
	s.cs.selector = 0;
	x86emu_set_sregs(cpu, &s);
	memset(&r, 0, sizeof(r));
	r.rip = 0x7c00;
	r.rsp = 0x7000;
	r.rflags = 2;
	x86emu_set_regs(cpu, &r);
	put(0x40, "\x00\x80\x00\x00", 4);               /* IVT[0x10] = 0000:8000 */
	PUT(0x8000, "\xb9\x99\x00\xcf");                /* mov cx, 0x99; iret */
	PUT(0x7c00, "\xb8\x34\x12\x50\x5b\xcd\x10\xf4"); /* mov ax; push; pop bx; int 10h; hlt */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	r = regs();
	assert_int_equal(r.rbx, 0x1234);
	assert_int_equal(r.rcx, 0x99);
	assert_int_equal(r.rip, 0x7c08);
	assert_int_equal(r.rsp, 0x7000);
}

/* TF: a #DB trap after each instruction that starts with TF set; the one
 * that sets TF (POPF) is not trapped, the one that clears it is (SDM Vol.
 * 3A 17.3.1.4). */
static void test_single_step_trap(void **state)
{
	uint32_t count;
	(void)state;
	setup64();
	gate64(1, 0x13000);
	PUT(0x13000, "\xff\x04\x25\x00\x00\x06\x00"   /* inc dword [0x60000] */
		     "\x48\xcf");                         /* iretq */
	PUT(CODE, "\x9c"                                 /* pushfq */
		  "\x48\x81\x0c\x24\x00\x01\x00\x00"     /* or qword [rsp], 0x100 */
		  "\x9d"                                     /* popfq: TF on */
		  "\x90\x90"                                 /* #DB, #DB */
		  "\x9c"                                     /* #DB */
		  "\x48\x81\x24\x24\xff\xfe\xff\xff"     /* and qword [rsp], ~0x100: #DB */
		  "\x9d"                                     /* popfq: TF off, #DB */
		  "\xf4");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	memcpy(&count, mem + 0x60000, 4);
	assert_int_equal(count, 5);
	assert_int_equal(regs().rip, CODE + 23);
}

/* LOCK-prefixed read-modify-writes from two vCPU threads at once must not
 * lose updates (SDM Vol. 3A 8.1.2). */
struct locker {
	struct x86emu *e;
	enum x86emu_stop r;
};

static void *lock_thread(void *p)
{
	struct locker *l = p;
	l->r = x86emu_run(l->e, 10000000);
	return NULL;
}

static void test_lock_two_cpus(void **state)
{
	struct locker l[2];
	pthread_t t[2];
	uint32_t v;
	(void)state;

	setup64();
	/* mov ecx, 200000; L: lock inc dword [0x60000]; mov edx, 2;
	 * lock xadd [0x60004], edx; dec ecx; jnz L; hlt */
	PUT(CODE, "\xb9\x40\x0d\x03\x00"
		  "\xf0\xff\x04\x25\x00\x00\x06\x00"    /* lock inc dword [0x60000] */
		  "\xba\x02\x00\x00\x00"                 /* mov edx, 2 */
		  "\xf0\x0f\xc1\x14\x25\x04\x00\x06\x00" /* lock xadd [0x60004], edx */
		  "\xff\xc9\x75\xe6"                      /* dec ecx; jnz L */
		  "\xf4");
	l[0].e = cpu;
	l[1].e = x86emu_new(&bus, 1);
	assert_non_null(l[1].e);
	cpu_init64(l[1].e, CODE, STACK - 0x1000);
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, lock_thread, &l[k]), 0);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	assert_int_equal(l[0].r, X86EMU_HLT);
	assert_int_equal(l[1].r, X86EMU_HLT);
	memcpy(&v, mem + 0x60000, 4);
	assert_int_equal(v, 400000);
	memcpy(&v, mem + 0x60004, 4);
	assert_int_equal(v, 800000);
	x86emu_free(l[1].e);
}

/* Memory forms: BT with a negative register bit offset reaches below the
 * operand (SDM Vol. 2A BT); CMPXCHG16B success, failure and its #GP on a
 * misaligned operand. */
static void test_memory_forms(void **state)
{
	uint64_t q[2];
	(void)state;
	setup64();
	mem[0x60007] = 0x80;
	PUT(CODE, "\x48\xc7\xc0\xff\xff\xff\xff"            /* mov rax, -1 */
		  "\x0f\xa3\x04\x25\x08\x00\x06\x00"        /* bt [0x60008], eax */
		  "\x0f\x92\x04\x25\x02\x01\x06\x00"        /* setc [0x60102] */
		  "\x31\xc0\x31\xd2"                          /* xor eax/edx */
		  "\xb9\x22\x00\x00\x00\xbb\x11\x00\x00\x00"  /* ecx=0x22 ebx=0x11 */
		  "\xf0\x48\x0f\xc7\x0c\x25\x10\x00\x06\x00" /* lock cmpxchg16b [0x60010] */
		  "\x0f\x94\x04\x25\x00\x01\x06\x00"        /* setz [0x60100] */
		  "\xf0\x48\x0f\xc7\x0c\x25\x10\x00\x06\x00"
		  "\x0f\x94\x04\x25\x01\x01\x06\x00"        /* setz [0x60101] */
		  "\xf4");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	memcpy(q, mem + 0x60010, 16);
	assert_int_equal(q[0], 0x11);
	assert_int_equal(q[1], 0x22);
	assert_int_equal(mem[0x60102], 1);
	assert_int_equal(mem[0x60100], 1);
	assert_int_equal(mem[0x60101], 0);
	assert_int_equal(regs().rax, 0x11);
	assert_int_equal(regs().rdx, 0x22);

	setup64();
	gate64(13, 0x11000);
	PUT(0x11000, "\xbb\x0d\x00\x00\x00\xf4");
	PUT(CODE, "\x48\x0f\xc7\x0c\x25\x18\x00\x06\x00\xf4"); /* cmpxchg16b [0x60018] */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0x0d);
	assert_int_equal(get64(STACK - 40), CODE);
	assert_int_equal(get64(STACK - 48), 0);
}

/* An empty IDT: #UD cannot be delivered, nor #GP, nor #DF: shutdown. */
static void test_triple_fault(void **state)
{
	struct vcpu_sregs s;
	(void)state;
	setup64();
	x86emu_get_sregs(cpu, &s);
	s.idt.limit = 0;
	x86emu_set_sregs(cpu, &s);
	PUT(CODE, "\x0f\x0b");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_SHUTDOWN);

	/* The same in 32-bit protected mode without paging. */
	setup64();
	x86emu_get_sregs(cpu, &s);
	seg(&s.cs, 0x08, 0xb, 0, 1);
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	s.cr4 = 0;
	s.efer = 0;
	s.idt.limit = 0;
	x86emu_set_sregs(cpu, &s);
	PUT(CODE, "\x0f\x0b");
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_SHUTDOWN);
}

/* Cross-modifying code: one vCPU keeps calling a function another vCPU
 * patches; the caller must see the new code (shared page generations). */
static void *spin_thread(void *p)
{
	struct locker *l = p;
	l->r = x86emu_run(l->e, 50000000);
	return NULL;
}

static void test_cross_modifying(void **state)
{
	struct locker b;
	pthread_t t;
	(void)state;

	setup64();
	/* vCPU B at CODE: L: call F; cmp eax, 2; jne L; hlt   (F = CODE+0x1000) */
	PUT(CODE, "\xe8\xfb\x0f\x00\x00\x83\xf8\x02\x75\xf6\xf4");
	PUT(CODE + 0x1000, "\xb8\x01\x00\x00\x00\xc3");
	/* vCPU A at CODE+0x2000: mov dword [F+1], 2; hlt */
	PUT(CODE + 0x2000, "\xc7\x04\x25\x01\x10\x01\x00\x02\x00\x00\x00\xf4");
	b.e = x86emu_new(&bus, 1);
	assert_non_null(b.e);
	cpu_init64(b.e, CODE, STACK - 0x1000);
	assert_int_equal(pthread_create(&t, NULL, spin_thread, &b), 0);
	/* Let B decode and cache F first: wait for its first call to land. */
	for (int k = 0; k < 1000 && x86emu_icount(b.e) < 10000; k++)
		usleep(1000);
	cpu_init64(cpu, CODE + 0x2000, STACK);
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	pthread_join(t, NULL);
	assert_int_equal(b.r, X86EMU_HLT);
	{
		struct vcpu_regs r;
		x86emu_get_regs(b.e, &r);
		assert_int_equal(r.rax, 2);
	}
	x86emu_free(b.e);
}

/* Instructions that cross a page boundary run uncached; when the second
 * page is not mapped the fetch faults with CR2 at that page (SDM Vol. 3A
 * 4.7) and the pushed RIP is the instruction's start. */
static void test_page_crossing(void **state)
{
	struct vcpu_sregs s;
	struct vcpu_regs r;
	(void)state;

	setup64();
	PUT(CODE, "\xe9\xf9\x0f\x00\x00");            /* jmp CODE+0xffe */
	PUT(CODE + 0xffe, "\xb8\x78\x56\x34\x12\xf4"); /* mov eax, imm32 across */
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rax, 0x12345678);

	setup64();
	gate64(14, 0x11000);
	PUT(0x11000, "\xbb\x0e\x00\x00\x00\xf4");
	PUT(0x3ffffe, "\xb8\x78");                     /* the rest is unmapped */
	r = regs();
	r.rip = 0x3ffffe;
	x86emu_set_regs(cpu, &r);
	assert_int_equal(x86emu_run(cpu, LIMIT), X86EMU_HLT);
	assert_int_equal(regs().rbx, 0x0e);
	x86emu_get_sregs(cpu, &s);
	assert_int_equal(s.cr2, 0x400000);
	assert_int_equal(get64(STACK - 40), 0x3ffffe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_and_limit),
		cmocka_unit_test(test_single_step_equivalence),
		cmocka_unit_test(test_smc),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_pio_and_stop),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_real_mode),
		cmocka_unit_test(test_single_step_trap),
		cmocka_unit_test(test_lock_two_cpus),
		cmocka_unit_test(test_memory_forms),
		cmocka_unit_test(test_triple_fault),
		cmocka_unit_test(test_cross_modifying),
		cmocka_unit_test(test_page_crossing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
