/* Native execution of a form: fixed mappings at the shared layout, the
 * trampoline in native.S, and fault capture through signals. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "diff.h"

void diff_native_run(struct diff_state *st, const void *code);
void diff_native_exit(void);

static uint8_t *region;
static sigjmp_buf fault_jmp;
static volatile int fault_vec;
static struct diff_state *fault_state;
static uint8_t altstack[64 * 1024];

_Static_assert(offsetof(struct diff_state, rflags) == 128, "native.S offsets");
_Static_assert(offsetof(struct diff_state, mxcsr) == 144, "native.S offsets");
_Static_assert(offsetof(struct diff_state, xmm) == 160, "native.S offsets");

/* The kernel reports the hardware vector in the signal frame
 * (uc_mcontext.gregs[REG_TRAPNO]); the register file at the fault is the
 * architectural state the emulator must also show (faults leave the
 * instruction without effect, SDM Vol. 3A 6.5). */
static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	ucontext_t *uc = uctx;
	greg_t *g = uc->uc_mcontext.gregs;
	struct diff_state *st = fault_state;
	static const int map[16] = {
		REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
		REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	};

	(void)sig; (void)si;
	for (int i = 0; i < 16; i++)
		st->gpr[i] = (uint64_t)g[map[i]];
	st->rip = (uint64_t)g[REG_RIP];
	st->rflags = (uint64_t)g[REG_EFL];
	if (uc->uc_mcontext.fpregs) {
		st->mxcsr = uc->uc_mcontext.fpregs->mxcsr;
		for (int i = 0; i < 16; i++)
			memcpy(st->xmm[i], uc->uc_mcontext.fpregs->_xmm[i].element, 16);
	}
	fault_vec = (int)g[REG_TRAPNO];
	siglongjmp(fault_jmp, 1);
}

int native_init(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	static const int sigs[] = { SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGTRAP };

	region = mmap((void *)DIFF_CODE_VA, DIFF_REGION,
		      PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (region == MAP_FAILED || region != (uint8_t *)DIFF_CODE_VA) {
		fprintf(stderr, "diffrun: cannot map the native test region at %#llx: %s\n",
			DIFF_CODE_VA, strerror(errno));
		return -errno;
	}
	/* The form runs on its own small stack; signal frames go elsewhere. */
	if (sigaltstack(&ss, NULL) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}

uint8_t *native_data(void)
{
	return region + (DIFF_DATA_VA - DIFF_CODE_VA);
}

uint8_t *native_stack(void)
{
	return region + (DIFF_STACK_VA - DIFF_CODE_VA);
}

int native_run(const uint8_t *code, int len, const struct diff_state *in,
	       struct diff_state *out, uint8_t *data, const uint8_t *data_in,
	       uint8_t *stack, const uint8_t *stack_in)
{
	uint64_t exit_addr = (uint64_t)(uintptr_t)diff_native_exit;
	uint8_t *p = region;

	memcpy(p, code, len);
	/* jmp qword [rip+0] ; .quad diff_native_exit */
	p[len] = 0xff; p[len + 1] = 0x25;
	memset(p + len + 2, 0, 4);
	memcpy(p + len + 6, &exit_addr, 8);
	memcpy(data, data_in, DIFF_DATA_LEN);
	memcpy(stack, stack_in, 0x1000);

	*out = *in;
	fault_state = out;
	fault_vec = -1;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		diff_native_run(out, p);
		return -1;
	}
	/* Leave DF and MXCSR as the C code expects them. */
	__asm__ volatile("cld");
	{
		uint32_t m = 0x1f80;
		__asm__ volatile("ldmxcsr %0" : : "m"(m));
	}
	return fault_vec;
}
