/* The handler table: filled once by each module's x86_register_*(). */
#include <pthread.h>
#include "cpu/x86/cpu.h"

x86_handler x86_optab[4][256];

static pthread_once_t optab_once = PTHREAD_ONCE_INIT;

static void optab_fill(void)
{
	x86_register_alu();
	x86_register_shift();
	x86_register_muldiv();
	x86_register_bit();
	x86_register_string();
	x86_register_ctrl();
	x86_register_stack();
	x86_register_misc();
	/* System, segment and FPU modules register last so that, where two
	 * modules claim one opcode, the owner of the privileged meaning wins. */
	x86_register_sys();
	x86_register_seg();
	x86_register_x87();
	x86_register_sse();
}

void x86_optab_init(void)
{
	pthread_once(&optab_once, optab_fill);
}

x86_handler x86_callf_mem, x86_jmpf_mem;
x86_handler x86_rdrand_fn, x86_rdseed_fn;
