/* Rings in 32-bit protected mode (rings-asm.S does the work): IRET to
 * ring 3 with a TSS holding SS0:ESP0; INT 0x80 through a DPL-3 trap gate
 * back to ring 0 with the stack switch (SDM Vol. 3A, 6.12.1); privileged
 * instructions at CPL 3 raising #GP(0) (5.9 "Privileged Instructions",
 * and IOPL-sensitive CLI/IN, Vol. 1, 19.5); INT n through a DPL-0 gate
 * from CPL 3 raising #GP(vector * 8 + 2) (Vol. 3A, 6.12.1.1, 6.13); the
 * I/O permission bitmap allowing one port (Vol. 1, 19.5.2); IRET nulling a
 * DPL-0 data segment register on the way to ring 3; POPF at CPL 3 not
 * changing IF or IOPL; a timer interrupt taken in ring 3; SYSENTER and
 * SYSEXIT.
 *
 * ringvm-test: needs-hw-kvm -- KVM's instruction emulator has no
 * protected-mode IRET or INT n. */
#include "rt.h"

struct rings_log {
	uint32_t h80_esp, h80_cs, h80_eip, h80_ucs, h80_eflags, h80_uesp, h80_uss;
	uint32_t u_esp, u_eax, ngp;
	uint32_t exit_eflags, exit_esp, exit_cs;
	uint32_t u_fs, u_gs, u_flags;
	struct { uint32_t error, eip; } gp[16];
	uint32_t irq_cs, irq_ss, irq_uesp, irq_esp, irq_seen;
	uint32_t se_cs, se_ss, se_esp, se_eflags, sx_cs, sx_ss, sx_esp, sx_eax;
};
extern volatile struct rings_log rlog;
extern const char kstack_top_sym[], ustack_top_sym[], sestack_top_sym[], u_int80_ret[];
void rings_run(void);

static const char *const gp_what[] = {
	"hlt", "cli (iopl 0)", "mov to cr3", "lgdt", "lidt", "mov from cr0", "clts",
	"wbinvd", "rdmsr", "in from port 0x80", "out to port 0x3f9",
	"outw to 0x3f8-0x3f9", "int 0x81 (dpl 0 gate)", "int3 (dpl 0 gate)",
	"into (dpl 0 gate)",
};
#define NGP (sizeof(gp_what) / sizeof(gp_what[0]))

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t k_top = (uint32_t)kstack_top_sym;

	(void)magic, (void)info;
	/* Every line masked: ring 3 runs with IF=1 and unmasks IRQ 0 itself
	 * when it is ready for it. */
	pic_remap(0x20, 0x28);
	pit_periodic(1000);
	printf("entering ring 3\n");
	rings_run();
	printf("back in ring 0\n");

	/* INT 0x80: the handler runs at CPL 0 on SS0:ESP0 with SS, ESP,
	 * EFLAGS, CS, EIP (20 bytes) pushed; a trap gate keeps IF. */
	printf("int 0x80: handler cpl %u, esp = esp0-%u, saved cs %x ss %x, "
	       "saved esp = user esp %s, eip after int %s, if %u\n",
	       rlog.h80_cs & 3, k_top - rlog.h80_esp, rlog.h80_ucs, rlog.h80_uss,
	       rlog.h80_uesp == rlog.u_esp ? "yes" : "no",
	       rlog.h80_eip == (uint32_t)u_int80_ret ? "yes" : "no",
	       rlog.h80_eflags >> 9 & 1);
	check((rlog.h80_cs & 3) == 0 && k_top - rlog.h80_esp == 20);
	check(rlog.h80_ucs == 0x1b && rlog.h80_uss == 0x23 && rlog.h80_uesp == rlog.u_esp);
	check(rlog.u_esp == (uint32_t)ustack_top_sym);
	check(rlog.h80_eip == (uint32_t)u_int80_ret);
	check(rlog.h80_eflags & 0x200);
	printf("int 0x80 returned eax %x to ring 3\n", rlog.u_eax);
	check(rlog.u_eax == 0x1235);

	/* Data segment registers after the IRET to ring 3. */
	printf("ring 3: fs %x (was the dpl 0 selector), gs %x\n", rlog.u_fs, rlog.u_gs);
	check(rlog.u_fs == 0 && rlog.u_gs == 0x23);
	printf("ring 3 popf clearing if, setting iopl 3: if %u iopl %u\n",
	       rlog.u_flags >> 9 & 1, rlog.u_flags >> 12 & 3);
	check((rlog.u_flags & 0x3200) == 0x200);

	for (unsigned i = 0; i < rlog.ngp && i < NGP; i++)
		printf("#GP from ring 3: %s, error %x\n", gp_what[i], rlog.gp[i].error);
	check(rlog.ngp == NGP);
	for (unsigned i = 0; i < NGP - 3; i++)
		check(rlog.gp[i].error == 0);
	check(rlog.gp[NGP - 3].error == 0x81 * 8 + 2);
	check(rlog.gp[NGP - 2].error == 3 * 8 + 2);
	check(rlog.gp[NGP - 1].error == 4 * 8 + 2);

	/* A hardware interrupt in ring 3 switches stacks like INT n. */
	printf("irq 0 in ring 3: %u time(s), saved cs %x ss %x, saved esp = user esp %s, esp = esp0-%u\n",
	       rlog.irq_seen, rlog.irq_cs, rlog.irq_ss,
	       rlog.irq_uesp == (uint32_t)ustack_top_sym ? "yes" : "no", k_top - rlog.irq_esp);
	check(rlog.irq_seen == 1 && rlog.irq_cs == 0x1b && rlog.irq_ss == 0x23);
	check(rlog.irq_uesp == (uint32_t)ustack_top_sym && k_top - rlog.irq_esp == 20);

	/* SYSENTER / SYSEXIT (SDM Vol. 2B): flat segments from
	 * IA32_SYSENTER_CS, ESP from IA32_SYSENTER_ESP, IF cleared on entry. */
	printf("sysenter: cs %x ss %x, esp = sysenter_esp %s, if %u\n", rlog.se_cs, rlog.se_ss,
	       rlog.se_esp == (uint32_t)sestack_top_sym ? "yes" : "no", rlog.se_eflags >> 9 & 1);
	check(rlog.se_cs == 0x08 && rlog.se_ss == 0x10 && rlog.se_esp == (uint32_t)sestack_top_sym);
	check(!(rlog.se_eflags & 0x200));
	printf("sysexit: cs %x ss %x, esp = ecx %s, eax %x\n", rlog.sx_cs, rlog.sx_ss,
	       rlog.sx_esp == (uint32_t)ustack_top_sym ? "yes" : "no", rlog.sx_eax);
	check(rlog.sx_cs == 0x1b && rlog.sx_ss == 0x23 && rlog.sx_esp == (uint32_t)ustack_top_sym);
	check(rlog.sx_eax == 0x155);

	/* INT 0x82 through an interrupt gate: IF cleared (6.12.1.3). */
	printf("int 0x82: from cs %x, esp = esp0-%u, if %u\n", rlog.exit_cs, k_top - rlog.exit_esp,
	       rlog.exit_eflags >> 9 & 1);
	check(rlog.exit_cs == 0x1b && k_top - rlog.exit_esp == 20 && !(rlog.exit_eflags & 0x200));
	pass();
}
