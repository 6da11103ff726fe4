/* Rings in 32-bit protected mode (rings-asm.S does the work): IRET to
 * ring 3 with a TSS holding SS0:ESP0; INT 0x80 through a DPL-3 trap gate
 * back to ring 0 with the stack switch (SDM Vol. 3A, 6.12.1); privileged
 * instructions at CPL 3 raising #GP(0) (5.9 "Privileged Instructions",
 * and IOPL-sensitive CLI/IN, Vol. 1, 19.5); INT n through a DPL-0 gate
 * from CPL 3 raising #GP(vector * 8 + 2) (Vol. 3A, 6.12.1.1, 6.13); the
 * I/O permission bitmap allowing one port (Vol. 1, 19.5.2).
 *
 * ringvm-test: needs-hw-kvm -- KVM's instruction emulator has no
 * protected-mode IRET or INT n. */
#include "rt.h"

struct rings_log {
	uint32_t h80_esp, h80_cs, h80_eip, h80_ucs, h80_eflags, h80_uesp, h80_uss;
	uint32_t u_esp, u_eax, ngp;
	struct { uint32_t error, eip; } gp[8];
	uint32_t exit_eflags, exit_esp, exit_cs;
};
extern volatile struct rings_log rlog;
extern const char kstack_top_sym[], ustack_top_sym[], user_main[];
void rings_run(void);

static const char *const gp_what[] = {
	"hlt", "cli (iopl 0)", "mov to cr3", "lgdt", "in from port 0x80",
	"out to port 0x3f9", "outw to 0x3f8-0x3f9", "int 0x81 (dpl 0 gate)",
};

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t k_top = (uint32_t)kstack_top_sym;

	(void)magic, (void)info;
	pic_remap(0x20, 0x28);   /* every line masked: ring 3 runs with IF=1 */
	printf("entering ring 3\n");
	rings_run();
	printf("back in ring 0\n");

	/* INT 0x80: the handler runs at CPL 0 on SS0:ESP0 with SS, ESP,
	 * EFLAGS, CS, EIP (20 bytes) pushed; a trap gate keeps IF. */
	printf("int 0x80: handler cpl %u, esp = esp0-%u, saved cs %x ss %x, "
	       "saved esp = user esp %s, eip after int %s, if %u\n",
	       rlog.h80_cs & 3, k_top - rlog.h80_esp, rlog.h80_ucs, rlog.h80_uss,
	       rlog.h80_uesp == rlog.u_esp ? "yes" : "no",
	       rlog.h80_eip > (uint32_t)user_main && rlog.h80_eip < (uint32_t)user_main + 32 ? "yes" : "no",
	       rlog.h80_eflags >> 9 & 1);
	check((rlog.h80_cs & 3) == 0 && k_top - rlog.h80_esp == 20);
	check(rlog.h80_ucs == 0x1b && rlog.h80_uss == 0x23 && rlog.h80_uesp == rlog.u_esp);
	check(rlog.u_esp == (uint32_t)ustack_top_sym);
	check(rlog.h80_eflags & 0x200);
	printf("int 0x80 returned eax %x to ring 3\n", rlog.u_eax);
	check(rlog.u_eax == 0x1235);

	for (unsigned i = 0; i < rlog.ngp && i < 8; i++)
		printf("#GP from ring 3: %s, error %x\n", i < 8 ? gp_what[i] : "?", rlog.gp[i].error);
	check(rlog.ngp == 8);
	for (unsigned i = 0; i < 7; i++)
		check(rlog.gp[i].error == 0);
	check(rlog.gp[7].error == 0x81 * 8 + 2);

	/* INT 0x82 through an interrupt gate: IF cleared (6.12.1.3). */
	printf("int 0x82: from cs %x, esp = esp0-%u, if %u\n", rlog.exit_cs, k_top - rlog.exit_esp,
	       rlog.exit_eflags >> 9 & 1);
	check(rlog.exit_cs == 0x1b && k_top - rlog.exit_esp == 20 && !(rlog.exit_eflags & 0x200));
	pass();
}
