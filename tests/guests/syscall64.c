/* SYSCALL/SYSRET in IA-32e mode (SDM Vol. 2B, SYSCALL, SYSRET, SWAPGS;
 * Vol. 3A, 5.8.8 "Fast System Calls in 64-Bit Mode"): STAR, LSTAR and
 * FMASK set up, a 64-bit ring-3 program makes system calls with arguments
 * in registers, the kernel side switches GS with SWAPGS and
 * KERNEL_GS_BASE and returns with SYSRETQ. FS_BASE and GS_BASE written
 * with WRMSR show through %fs/%gs-relative loads; non-canonical values
 * are refused; SYSCALL is #UD with EFER.SCE clear.
 *
 * ringvm-test: needs-hw-kvm -- this project's KVM without VT-x/AMD-V
 * loads CS 0x33 / SS 0x2b on SYSCALL from ring 3 (STAR[63:48]-based, not
 * STAR[47:32]), so its kernel entry runs at CPL 3 and SWAPGS faults; emu
 * and QEMU TCG agree with the SDM and with syscall64.expect, except that
 * QEMU 7.2 accepts the non-canonical WRMSRs (KVM refuses them, as here). */
#include "rt.h"
#include "long64.h"

#define MSR_EFER           0xc0000080
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_FMASK          0xc0000084
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_SCE 1u

#define RF_IF 0x200u
#define RF_DF 0x400u
#define RF_TF 0x100u

struct sc_seen { uint64_t rcx, r11, rflags, cs, ss, rsp, gsmagic, gsbase, kgsbase, count; };
struct user_seen { uint64_t fs, gs, add, rcxok, r11, flags, cs, ss, sum6, count, r12, rspok; };
extern volatile struct sc_seen sc_seen;
extern volatile struct user_seen user_seen;
extern volatile uint64_t sc_calls;
void syscall_entry(void), user64(void), k_syscall(void);

static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint8_t sstack[4096] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));
static uint64_t kpercpu[4], upercpu[4], fsarea[2];

static void wrmsr_gp(const char *name, uint32_t msr, uint64_t old)
{
	uint32_t n = lm_count;

	/* The handler's resume path clobbers EAX, ECX and EDX. */
	__asm__ volatile("movl $2f, lm_resume_eip; movl %%esp, lm_resume_esp;"
			 "movl %0, %%ecx; xorl %%eax, %%eax; movl $0x8000, %%edx; wrmsr; 2:"
			 :: "S"(msr) : "eax", "ecx", "edx", "memory");
	printf("wrmsr %s = 0000800000000000: vector %u error %llx, value kept %s\n", name,
	       lm_count == n + 1 ? (unsigned)lm_last.vec : 0, lm_last.err,
	       rdmsr(msr) == old ? "yes" : "no");
	check(lm_count == n + 1 && lm_last.vec == 13 && lm_last.err == 0);
	check(rdmsr(msr) == old);
}

void guest_main(uint32_t magic, const uint32_t *info)
{
	uint32_t r[4];

	(void)magic, (void)info;
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 11)))
		fail("no SYSCALL/SYSRET (cpuid 0x80000001 edx.syscall)");
	/* IF will be set in ring 3: keep every 8259 line masked. */
	pic_remap(0x20, 0x28);

	lm_enter_flat(EFER_SCE);
	*(volatile uint64_t *)(lm_tss + 4) = (uint32_t)kstack + sizeof(kstack);

	/* STAR[47:32]: SYSCALL CS (SS = +8); STAR[63:48]: SYSRET base (64-bit
	 * CS = +16, SS = +8). FMASK clears TF, IF and DF on entry. */
	wrmsr(MSR_STAR, 0x28ull << 48 | 0x18ull << 32);
	wrmsr(MSR_LSTAR, (uint32_t)syscall_entry);
	wrmsr(MSR_FMASK, RF_TF | RF_IF | RF_DF);
	printf("star %llx lstar ok %u fmask %llx\n", rdmsr(MSR_STAR),
	       rdmsr(MSR_LSTAR) == (uint32_t)syscall_entry, rdmsr(MSR_FMASK));

	kpercpu[0] = (uint32_t)sstack + sizeof(sstack);
	kpercpu[2] = 0x6b65726e656c6773ull;   /* "kernelgs" */
	upercpu[2] = 0x7573657267730000ull;   /* "usergs\0\0" */
	fsarea[0] = 0x0123456789f5f5f5ull;
	/* FS and GS hold a DPL-3 selector so that the IRETQ to ring 3 keeps
	 * them; their bases then come from the MSRs. */
	__asm__ volatile("movw %0, %%fs; movw %0, %%gs" :: "r"((uint16_t)0x33));
	wrmsr(MSR_FS_BASE, (uint32_t)fsarea);
	wrmsr(MSR_GS_BASE, (uint32_t)upercpu);
	wrmsr(MSR_KERNEL_GS_BASE, (uint32_t)kpercpu);
	printf("fs_base ok %u gs_base ok %u kernel_gs_base ok %u\n",
	       rdmsr(MSR_FS_BASE) == (uint32_t)fsarea, rdmsr(MSR_GS_BASE) == (uint32_t)upercpu,
	       rdmsr(MSR_KERNEL_GS_BASE) == (uint32_t)kpercpu);

	lm_user_call((uint32_t)user64, (uint32_t)ustack + sizeof(ustack), 0x3b, 0, RF_IF | 2);
	if (lm_count)
		fail("unexpected vector %u error %llx at rip %llx cs %llx", (unsigned)lm_last.vec,
		     lm_last.err, lm_last.rip, lm_last.cs);

	printf("ring 3: %%fs:0 = %llx, %%gs:16 = %llx\n", user_seen.fs, user_seen.gs);
	check(user_seen.fs == fsarea[0] && user_seen.gs == upercpu[2]);

	/* At the first SYSCALL (SDM Vol. 2B, SYSCALL): RCX = address of the
	 * next instruction, R11 = RFLAGS, RFLAGS &= ~FMASK, CS = STAR[47:32],
	 * SS = STAR[47:32] + 8, RSP unchanged. */
	printf("kernel entry: rcx = return rip %s, r11 %llx, rflags %llx\n",
	       user_seen.rcxok ? "yes" : "no", sc_seen.r11, sc_seen.rflags);
	check(user_seen.rcxok);
	check(sc_seen.r11 == 0x646);   /* DF IF ZF PF, bit 1 */
	check(sc_seen.rflags == (0x646 & ~(RF_TF | RF_IF | RF_DF)));
	printf("kernel entry: cs %llx ss %llx, rsp = user rsp %s\n", sc_seen.cs, sc_seen.ss,
	       sc_seen.rsp == (uint32_t)ustack + sizeof(ustack) ? "yes" : "no");
	check(sc_seen.cs == 0x18 && sc_seen.ss == 0x20);
	check(sc_seen.rsp == (uint32_t)ustack + sizeof(ustack));
	/* SWAPGS exchanged GS_BASE and KERNEL_GS_BASE. */
	printf("after swapgs: %%gs:16 = %llx, gs_base = kernel area %s, kernel_gs_base = user area %s\n",
	       sc_seen.gsmagic, sc_seen.gsbase == (uint32_t)kpercpu ? "yes" : "no",
	       sc_seen.kgsbase == (uint32_t)upercpu ? "yes" : "no");
	check(sc_seen.gsmagic == kpercpu[2]);
	check(sc_seen.gsbase == (uint32_t)kpercpu && sc_seen.kgsbase == (uint32_t)upercpu);

	/* After SYSRETQ: RFLAGS from R11, CS = STAR[63:48] + 16 | 3,
	 * SS = STAR[63:48] + 8 | 3 (SDM Vol. 2B, SYSRET). */
	printf("after sysretq: cs %llx ss %llx rflags %llx rcx ok %u r11 %llx r12 %llx rsp ok %u\n",
	       user_seen.cs, user_seen.ss, user_seen.flags, (unsigned)user_seen.rcxok, user_seen.r11,
	       user_seen.r12, (unsigned)user_seen.rspok);
	check(user_seen.cs == 0x3b && user_seen.ss == 0x33);
	check(user_seen.flags == 0x646 && user_seen.r11 == 0x646);
	check(user_seen.r12 == 0x5a5a5a5a5a5a5a5aull && user_seen.rspok);

	printf("add: %llx\n", user_seen.add);
	check(user_seen.add == 0x4444444466666666ull);
	printf("sum of six arguments: %u\n", (unsigned)user_seen.sum6);
	check(user_seen.sum6 == 63);
	printf("round trips: %u, system calls seen: %u\n", (unsigned)user_seen.count,
	       (unsigned)sc_seen.count);
	check(user_seen.count == 100 && sc_calls == 100 && sc_seen.count == 103);

	/* WRMSR of a non-canonical address to LSTAR or FS_BASE: #GP(0), and
	 * the MSR keeps its value (SDM Vol. 2B, WRMSR; Vol. 4, the MSRs'
	 * descriptions). */
	wrmsr_gp("lstar", MSR_LSTAR, (uint32_t)syscall_entry);
	wrmsr_gp("fs_base", MSR_FS_BASE, (uint32_t)fsarea);

	/* With EFER.SCE clear, SYSCALL is #UD (SDM Vol. 2B, SYSCALL). */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
	check(lm_try64((uint32_t)k_syscall) == 1);
	printf("syscall with efer.sce=0: vector %u\n", (unsigned)lm_last.vec);
	check(lm_last.vec == 6);
	pass();
}
