/* Fuzz target for ringvm's software x86 CPU: the input is an instruction
 * stream run in a small guest (tests/diff/sandbox.c: 4-level paging,
 * GDT/TSS, an IDT whose vectors all land on HLT stubs, 15 pages of RAM),
 * started in 64-bit, real, protected or compatibility mode.
 * The emulator must never crash, never run past the instruction limit, and
 * never touch host memory outside the guest pages (each page is a separate
 * allocation, so ASan sees an overrun). Built two ways:
 *   clang -fsanitize=fuzzer,address        libFuzzer binary (make fuzzers)
 *   cc -DFUZZ_REPLAY                       replays a corpus (make replay)
 *
 * Input layout: byte 0 selects CPL 3 (bit 0 set) or CPL 0, how the
 * registers are seeded (bits 1-3), events pending at the start (bit 4: a
 * maskable interrupt, vector 0x20 + 16 * bits 1-3; bit 5: an NMI) and the
 * CPU mode the code starts in (bits 6-7: 64-bit, real, 32-bit protected
 * without paging, compatibility mode); the next 8 KiB fill the two code
 * pages (the rest of the code pages is HLT); what follows goes to the data
 * pages. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringvm/log.h"
#include "ringvm/x86emu.h"
#include "../diff/diff.h"

/* Enough for loops to spin a while; each iteration is bounded. */
#define FUZZ_MAX_INSNS 20000
/* Device accesses per input: REP INS/OUTS/MOVS over MMIO would otherwise
 * run FUZZ_MAX_INSNS slices of thousands of accesses each. */
#define FUZZ_MAX_IO (1u << 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sandbox *sb[2];
static int fuzz_verbose;

static void fill(struct sandbox *s, uint64_t va, const uint8_t *src, size_t len,
		 size_t total, uint8_t pad)
{
	for (size_t o = 0; o < total; o += 0x1000) {
		uint8_t *p = sandbox_ptr(s, va + o);
		size_t n = o < len ? (len - o < 0x1000 ? len - o : 0x1000) : 0;

		if (!p)
			abort();
		memcpy(p, src + o, n);
		memset(p + n, pad, 0x1000 - n);
	}
}

static void seg(struct x86_segment *g, uint16_t sel, uint64_t base, uint32_t limit,
		uint8_t type, bool db, bool l, bool gran)
{
	memset(g, 0, sizeof(*g));
	g->selector = sel;
	g->base = base;
	g->limit = limit;
	g->type = type;
	g->present = 1;
	g->s = 1;
	g->db = db;
	g->l = l;
	g->g = gran;
}

/* Start outside 64-bit mode. Real mode uses cached bases that do not match
 * the selectors, as the CPU itself does after RESET (SDM Vol. 3A 9.1.4), so
 * the code at 0x20000000 is reachable. */
static void start_mode(struct x86emu *e, int m)
{
	struct vcpu_sregs sr;
	struct vcpu_regs r;

	x86emu_get_sregs(e, &sr);
	x86emu_get_regs(e, &r);
	switch (m) {
	case 1:   /* real mode */
		sr.cr0 = X86_CR0_ET;
		sr.cr4 = 0;
		sr.efer = 0;
		seg(&sr.cs, 0x2000, DIFF_CODE_VA, 0xffff, 0xb, false, false, false);
		seg(&sr.ds, 0x2000, DIFF_DATA_VA, 0xffff, 0x3, false, false, false);
		seg(&sr.ss, 0x2000, DIFF_STACK_VA, 0xffff, 0x3, false, false, false);
		sr.es = sr.fs = sr.gs = sr.ds;
		sr.idt.base = 0;
		sr.idt.limit = 0x3ff;
		r.rip = 0;
		r.rsp = 0xf00;
		break;
	case 2:   /* 32-bit protected mode, flat, no paging */
		sr.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		sr.efer = 0;
		sr.cr4 &= ~X86_CR4_PAE;
		seg(&sr.cs, 0x08, 0, 0xffffffff, 0xb, true, false, true);
		seg(&sr.ds, 0x10, 0, 0xffffffff, 0x3, true, false, true);
		sr.ss = sr.es = sr.fs = sr.gs = sr.ds;
		r.rip = DIFF_CODE_VA;
		r.rsp &= 0xffffffff;
		break;
	default:  /* compatibility mode: long mode, 32-bit code segment */
		sr.cs.l = 0;
		sr.cs.db = 1;
		break;
	}
	x86emu_set_sregs(e, &sr);
	x86emu_set_regs(e, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diff_state st;
	struct sandbox *s;
	uint8_t mode;
	size_t code_len, rest;
	enum x86emu_stop why;
	struct vcpu_regs r;
	struct vcpu_sregs sr;

	if (size < 1)
		return 0;
	mode = data[0];
	if (!sb[mode & 1]) {
		log_threshold = LOG_ERR;
		sb[mode & 1] = sandbox_new(mode & 1);
		if (!sb[mode & 1])
			abort();
	}
	s = sb[mode & 1];
	sandbox_reset(s);
	data++;
	size--;
	code_len = size < 0x2000 ? size : 0x2000;
	rest = size - code_len;
	fill(s, DIFF_CODE_VA, data, code_len, 0x2000, 0xf4);
	fill(s, DIFF_DATA_VA, data + code_len, rest, DIFF_DATA_LEN, 0);

	/* Registers point into RAM so memory operands mostly hit mapped
	 * pages; the variants also try zero, all-ones and system addresses. */
	memset(&st, 0, sizeof(st));
	for (int i = 0; i < 16; i++) {
		switch ((mode >> 1) & 7) {
		case 0: st.gpr[i] = DIFF_DATA_VA + 0x100 * (uint64_t)i; break;
		case 1: st.gpr[i] = 0; break;
		case 2: st.gpr[i] = ~0ULL; break;
		case 3: st.gpr[i] = 0x1000ULL * (uint64_t)(i + 1); break;
		case 4: st.gpr[i] = (uint64_t)i; break;
		case 5: st.gpr[i] = 0x8000000000000000ULL >> i; break;
		default: st.gpr[i] = DIFF_CODE_VA + 0x7f0 * (uint64_t)i; break;
		}
	}
	st.gpr[4] = DIFF_RSP;
	st.rflags = 0x2;
	st.mxcsr = 0x1f80;
	/* Power-on state first: MSRs and the like a previous input changed
	 * must not leak into this one (replays must be reproducible). */
	x86emu_reset(sandbox_emu(s));
	x86emu_invalidate(sandbox_emu(s), 0, 0x10000);
	x86emu_invalidate(sandbox_emu(s), DIFF_CODE_VA, DIFF_REGION);
	sandbox_load(s, &st, DIFF_CODE_VA);
	if (mode >> 6)
		start_mode(sandbox_emu(s), mode >> 6);
	sandbox_io_limit(s, FUZZ_MAX_IO);
	sandbox_irq(s, mode & 0x10 ? 0x20 + 16 * ((mode >> 1) & 7) : -1);
	if (mode & 0x20)
		x86emu_nmi(sandbox_emu(s));

	why = x86emu_run(sandbox_emu(s), FUZZ_MAX_INSNS);
	/* STOPPED/IO_EXIT only come from the device-access limit. */
	if (why != X86EMU_LIMIT && why != X86EMU_HLT && why != X86EMU_SHUTDOWN &&
	    !((why == X86EMU_IO_EXIT || why == X86EMU_STOPPED) && sandbox_io_limited(s)))
		abort();
	/* Reading the state back must work whatever the guest did. */
	x86emu_get_regs(sandbox_emu(s), &r);
	x86emu_get_sregs(sandbox_emu(s), &sr);
	if (fuzz_verbose)
		printf("  stop %d rip %#llx after %llu insns\n", why, (unsigned long long)r.rip,
		       (unsigned long long)x86emu_icount(sandbox_emu(s)));
	return 0;
}

#ifdef FUZZ_REPLAY
#include <signal.h>
#include <unistd.h>
#include "replay.h"

/* libFuzzer's -timeout, for the replay: a run is bounded by FUZZ_MAX_INSNS,
 * so an input still running after this long means the emulator hangs. */
#define REPLAY_TIMEOUT_S 10
static const char *replay_cur;

static void on_alarm(int sig)
{
	static const char msg[] = "fuzz_x86: TIMEOUT (emulator hang) on input ";

	(void)sig;
	/* Async-signal-safe output only. */
	if (write(2, msg, sizeof(msg) - 1) < 0 ||
	    write(2, replay_cur, strlen(replay_cur)) < 0 || write(2, "\n", 1) < 0)
		_exit(3);
	_exit(3);
}

static int replay_one(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 16];
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (fuzz_verbose)
		printf("%s (%zu bytes)\n", path, n);
	replay_cur = path;
	alarm(REPLAY_TIMEOUT_S);
	LLVMFuzzerTestOneInput(buf, n);
	alarm(0);
	return 0;
}

int main(int argc, char **argv)
{
	int n;

	log_threshold = LOG_ERR;
	signal(SIGALRM, on_alarm);
	n = replay_args(argc, argv, &fuzz_verbose, replay_one);
	if (n < 0)
		return 1;
	printf("fuzz_x86: replayed %d inputs, no crash\n", n);
	for (int i = 0; i < 2; i++)
		sandbox_free(sb[i]);
	return n ? 0 : 1;
}
#endif
