#!/usr/bin/python3
"""Seed inputs for tests/fuzz/fuzz_x86.c (see its header for the layout:
byte 0 = mode, then code). Writes hand-written system sequences assembled
with GNU as, plus the code of a sample of diffrun's forms, into a directory
(default tests/fuzz/corpus/x86). libFuzzer then grows the set; merge what it
finds back with `fuzz_x86 -merge=1 corpus/x86 new/`.

    tests/diff/gen_x86_corpus.py [outdir] [diffrun-binary]
"""
import hashlib
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent

# (name, cpl3?, assembly). The guest layout is tests/diff/diff.h's: code at
# 0x20000000, data at 0x20002000, stack at 0x20004000; GDT 0x6000 (0x08/0x10
# kernel code/data, 0x2b/0x33 user data/code, 0x38 TSS), IDT 0x7000.
SEQS = [
    ("int3", 0, "int3"),
    ("int80", 1, "int $0x80"),
    ("ud2", 0, "ud2"),
    ("div0", 1, "xor %ecx,%ecx; div %rcx"),
    ("idiv-ovf", 1, "mov $0x8000000000000000,%rax; cqo; mov $-1,%rcx; idiv %rcx"),
    ("gp-cli-user", 1, "cli"),
    ("hlt-user", 1, "hlt"),
    ("pf-write", 1, "movq $1, 0x30000000"),
    ("pf-nx-jump", 0, "mov $0x20002000,%rax; jmp *%rax"),
    ("noncanon", 1, "mov $0x8000000000000000,%rax; mov (%rax),%rbx"),
    ("syscall-nolstar", 1, "syscall"),
    ("syscall-lstar", 0,
     "mov $0xc0000082,%ecx; mov $0x20000100,%eax; xor %edx,%edx; wrmsr;"
     "mov $0xc0000081,%ecx; xor %eax,%eax; mov $0x00230008,%edx; wrmsr; syscall"),
    ("sysret", 0,
     "mov $0xc0000081,%ecx; xor %eax,%eax; mov $0x00230008,%edx; wrmsr;"
     "mov $0x20000040,%rcx; mov $0x202,%r11; sysretq"),
    ("iretq-user", 0,
     "pushq $0x2b; pushq $0x20004f00; pushq $0x202; pushq $0x33; pushq $0x20000000; iretq"),
    ("iretq-bad-cs", 0,
     "pushq $0x10; pushq $0x20004f00; pushq $0x2; pushq $0x50; pushq $0x20000000; iretq"),
    ("lretq", 0, "pushq $0x8; pushq $0x20000010; lretq"),
    ("ljmp-mem", 0, "ljmp *(%rip); .long 0x20000010; .word 0x8"),
    ("mov-ss", 0, "mov $0x10,%eax; mov %eax,%ss; mov $0x2b,%eax; mov %eax,%ds"),
    ("mov-ss-bad", 0, "mov $0x33,%eax; mov %eax,%ss"),
    ("lgdt-garbage", 0, "lgdt 0x20002000; mov $0x10,%eax; mov %eax,%ds"),
    ("lidt-zero", 0, "lidt 0x20002100; int3"),
    ("ltr", 0, "mov $0x38,%ax; ltr %ax"),
    ("cr0-pg-off", 0, "mov %cr0,%rax; btr $31,%rax; mov %rax,%cr0; nop; nop"),
    ("cr0-pe-off", 0,
     "mov %cr0,%rax; and $0x7ffffffe,%eax; mov %rax,%cr0; nop; .byte 0xb8,0x34,0x12; hlt"),
    ("cr4-pae-off", 0, "mov %cr4,%rax; and $~0x20,%eax; mov %rax,%cr4"),
    ("cr3-garbage", 0, "mov $0x123456000,%rax; mov %rax,%cr3; nop"),
    ("cr3-reload", 0, "mov %cr3,%rax; mov %rax,%cr3; invlpg (%rax); nop"),
    ("efer-lme-off", 0,
     "mov $0xc0000080,%ecx; rdmsr; and $~0x100,%eax; wrmsr"),
    ("rdmsr-unknown", 0, "mov $0x12345678,%ecx; rdmsr"),
    ("swapgs", 0, "swapgs; mov %gs:0,%rax; swapgs"),
    ("fs-base", 0,
     "mov $0xc0000100,%ecx; mov $0x20002000,%eax; xor %edx,%edx; wrmsr; mov %fs:8,%rax"),
    ("cpuid-all", 1,
     "xor %eax,%eax; cpuid; mov $1,%eax; cpuid; mov $7,%eax; xor %ecx,%ecx; cpuid;"
     "mov $0x80000001,%eax; cpuid; mov $0x40000000,%eax; cpuid"),
    ("rdtsc", 1, "rdtsc; rdtscp; lfence; rdtsc"),
    ("pio", 0, "mov $0x3f8,%dx; mov $0x41,%al; out %al,%dx; in %dx,%al; in $0x61,%al; out %al,$0x80"),
    ("pio-user", 1, "in $0x60,%al"),
    ("rep-outsb", 0, "mov $0x3f8,%dx; mov $0x20002000,%rsi; mov $100,%ecx; rep outsb"),
    ("rep-insw", 0, "mov $0x1f0,%dx; mov $0x20002000,%rdi; mov $100,%ecx; rep insw"),
    ("rep-movsb-huge", 1, "mov $0x20002000,%rsi; mov $0x20002800,%rdi; mov $-1,%rcx; rep movsb"),
    ("rep-stosq-off-end", 1, "mov $0x20003f00,%rdi; mov $0x1000,%ecx; rep stosq"),
    ("std-rep-lodsb", 1, "std; mov $0x20002010,%rsi; mov $0x10000,%ecx; rep lodsb"),
    ("repne-scasb", 1, "mov $0x20002000,%rdi; mov $-1,%rcx; mov $0x55,%al; repne scasb"),
    ("loop-forever", 1, "1: jmp 1b"),
    ("call-recursion", 1, "1: call 1b"),
    ("push-forever", 1, "1: push %rax; jmp 1b"),
    ("stack-off-page", 1, "mov $0x20005000,%rsp; push %rax"),
    ("fxsave-fxrstor", 1, "fxsave64 0x20002000; fninit; fxrstor64 0x20002000"),
    ("fxrstor-bad-mxcsr", 1, "movl $-1,0x20002018; fxrstor64 0x20002000"),
    ("ldmxcsr-bad", 1, "movl $-1,0x20002000; ldmxcsr 0x20002000"),
    ("sse-unmasked", 1,
     "movl $0x1d00,0x20002000; ldmxcsr 0x20002000; xorps %xmm0,%xmm0; divss %xmm0,%xmm0"),
    ("x87-stack", 1, "fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fnstsw %ax; fninit"),
    ("x87-unmasked", 1,
     "fnstcw 0x20002000; andw $~1,0x20002000; fldcw 0x20002000; fldz; fldz; fdivp; fwait"),
    ("cmpxchg16b", 1, "mov $0x20002000,%rdi; lock cmpxchg16b (%rdi)"),
    ("cmpxchg16b-misaligned", 1, "mov $0x20002008,%rdi; cmpxchg16b (%rdi)"),
    ("lock-bad", 1, ".byte 0xf0; add %eax,%ebx"),
    ("too-long", 1, ".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66; nop"),
    ("self-modify", 1,
     "lea 1f(%rip),%rax; movb $0x90,(%rax); 1: int3; nop"),
    ("smc-code-page-write", 0,
     "mov $0x9090909090909090,%rax; mov %rax,0x20000800; mov $0x20000800,%eax; jmp *%rax"),
    ("pt-write", 0, "movq $0,0x5000; mov %cr3,%rax; mov %rax,%cr3; nop"),
    ("enter-deep", 1, "enter $0x100,$31"),
    ("bound-like-vex", 1, ".byte 0xc5,0xf8,0x77"),
    ("sti-hlt", 0, "sti; hlt"),
    ("mov-dr", 0, "mov %dr7,%rax; mov $0x1,%eax; mov %rax,%dr7; mov %rax,%dr0; nop"),
    ("int-tf", 1, "pushfq; orq $0x100,(%rsp); popfq; nop; nop"),
    ("ac-check", 0,
     "mov %cr0,%rax; bts $18,%rax; mov %rax,%cr0; pushfq; orl $0x40000,(%rsp); popfq; nop"),
    ("xlat-seg", 1, "mov $0x20002000,%rbx; xlat; .byte 0x64; xlat"),
    ("far-call-gate", 0, "lcall *(%rip); .long 0; .word 0x38"),
    ("lar-lsl-verr", 1, "mov $0x33,%eax; lar %ax,%bx; lsl %eax,%ecx; verr %ax; verw %ax"),
    ("sgdt-sidt-user", 1, "sgdt 0x20002000; sidt 0x20002010; str %ax; sldt %ax"),
    ("smsw", 1, "smsw %ax; smsw %rbx"),
    ("rdpmc", 1, "xor %ecx,%ecx; rdpmc"),
    ("wbinvd-clts", 0, "wbinvd; clts; invd"),
    ("pause-nops", 1, "pause; nopw 0(%rax,%rax,1); .byte 0x0f,0x1f,0x84,0,0,0,0,0"),
    ("jmp-to-hlt-stub", 0, "mov $0x8000,%eax; jmp *%rax"),
    ("jmp-noncanon", 1, "mov $0x0000800000000000,%rax; jmp *%rax"),
    ("jmp-unmapped", 1, "mov $0x40000000,%eax; jmp *%rax"),
    ("ret-garbage", 1, "push $-1; ret"),
]


def assemble(src):
    with tempfile.TemporaryDirectory() as d:
        s = pathlib.Path(d) / "a.s"
        o = pathlib.Path(d) / "a.o"
        b = pathlib.Path(d) / "a.bin"
        s.write_text(".code64\n" + src.replace(";", "\n") + "\n")
        subprocess.run(["as", "--64", "-o", str(o), str(s)], check=True)
        subprocess.run(["objcopy", "-O", "binary", "-j", ".text", str(o), str(b)], check=True)
        return b.read_bytes()


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/fuzz/corpus/x86"
    diffrun = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / "build/rel/tests/diff/diffrun")
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, user, src in SEQS:
        code = assemble(src)
        for var in (0, 6):
            (out / f"seq-{name}-{var}").write_bytes(bytes([user | var]) + code)
            n += 1
    # Every fourth diffrun form, alternating CPL, each followed by a short
    # random-ish tail so the fuzzer starts from real encodings.
    try:
        lst = subprocess.run([diffrun, "-l"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        lst = ""
    for i, line in enumerate(lst.splitlines()):
        if i % 4:
            continue
        # "%4zu %-40s\t" then " %02x" per code byte (diffrun.c, -l).
        code = bytes(int(x, 16) for x in line.split("\t", 1)[1].split())
        tail = hashlib.sha256(code).digest()[:8]
        (out / f"form-{i:04d}").write_bytes(bytes([i & 1]) + code + tail)
        n += 1
    print(f"wrote {n} seeds to {out}")


if __name__ == "__main__":
    main()
