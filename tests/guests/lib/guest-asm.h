/* Selectors of the GDT in entry.S, shared by assembly and C. */
#ifndef GUEST_ASM_H
#define GUEST_ASM_H

#define SEL_CODE32 0x08
#define SEL_DATA   0x10
#define SEL_CODE64 0x18
#define SEL_CODE16 0x20
#define GDT_ENTRIES 5

#endif
