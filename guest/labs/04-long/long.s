# Lab 4 - long mode and paging.
#
# Berth starts this at 0x100000 in 32-bit protected mode with paging off
# (`--mode protected`). The guest then enters 64-bit long mode itself
# (AMD64 APM vol. 2 §14.6, Intel SDM vol. 3A §10.8.5):
#   1. build 4-level page tables: identity-map the first 4 MiB with two
#      2 MiB pages (PML4[0] -> PDPT[0] -> PD[0..1]);
#   2. CR4.PAE = 1, CR3 = the PML4's address;
#   3. EFER.LME = 1 (MSR 0xc0000080);
#   4. CR0.PG = 1: the CPU is now in long mode, running 32-bit compatibility code;
#   5. far-jump to a 64-bit code segment (L = 1).
# In 64-bit mode it installs an IDT whose vector 14 is a page-fault handler,
# reads an address nothing maps (1 GiB), and lets the handler map it: the
# handler prints CR2 and the error code, maps a 2 MiB page there (PDPT[1] ->
# a second page directory), and returns, so the faulting instruction runs
# again and succeeds.
#
# Expected output:
#   long mode: paging on
#   page fault at 0x0000000040000000, error code 0x0000000000000000
#   the guest mapped the page itself and read 0x0000000012345678
# then Berth exits with status 0 (port 0xf4).

        .set    PML4, 0x200000          # page tables: four pages at 2 MiB
        .set    PDPT, 0x201000
        .set    PD_LOW, 0x202000        # maps 0 - 1 GiB
        .set    PD_FAULT, 0x203000      # maps 1 - 2 GiB, filled in by the handler
        .set    PRESENT_WRITABLE, 0x3
        .set    PAGE_2M, 0x80           # PS: this PD entry maps 2 MiB directly
        .set    FAULT_ADDRESS, 0x40000000
        .set    FAULT_BACKING, 0x400000 # the RAM the handler maps there

        .code32
        .text
        .globl start
start:
        cli
        mov     $0x8ff0, %esp
        # The value the fault handler's mapping will reveal at 1 GiB.
        movl    $0x12345678, FAULT_BACKING
        # Step 1: zero the four table pages, then link them.
        mov     $PML4, %edi
        xor     %eax, %eax
        mov     $(4 * 4096 / 4), %ecx
        cld
        rep stosl
        movl    $(PDPT + PRESENT_WRITABLE), PML4
        movl    $(PD_LOW + PRESENT_WRITABLE), PDPT
        movl    $(0x000000 + PRESENT_WRITABLE + PAGE_2M), PD_LOW
        movl    $(0x200000 + PRESENT_WRITABLE + PAGE_2M), PD_LOW + 8
        # Step 2.
        mov     %cr4, %eax
        or      $(1 << 5), %eax         # CR4.PAE
        mov     %eax, %cr4
        mov     $PML4, %eax
        mov     %eax, %cr3
        # Step 3.
        mov     $0xc0000080, %ecx       # IA32_EFER
        rdmsr
        or      $(1 << 8), %eax         # EFER.LME
        wrmsr
        # Step 4.
        mov     %cr0, %eax
        or      $(1 << 31), %eax        # CR0.PG
        mov     %eax, %cr0
        # Step 5: a GDT with a 64-bit code segment, then a far jump into it.
        lgdt    gdt_pointer
        ljmp    $CODE64_SELECTOR, $long_entry

        .code64
        .globl long_entry
long_entry:
        mov     $DATA_SELECTOR, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x8ff0, %rsp
        lea     long_message(%rip), %rsi
        call    print

        # The IDT's gate 14 points at page_fault.
        lea     page_fault(%rip), %rax
        lea     idt + 14 * 16(%rip), %rdi
        mov     %ax, (%rdi)             # offset 15:0
        movw    $CODE64_SELECTOR, 2(%rdi)
        movw    $0x8e00, 4(%rdi)        # present, DPL 0, 64-bit interrupt gate
        shr     $16, %rax
        mov     %ax, 6(%rdi)            # offset 31:16
        shr     $16, %rax
        mov     %eax, 8(%rdi)           # offset 63:32
        lidt    idt_pointer(%rip)

        .globl touch_unmapped
touch_unmapped:
        mov     $FAULT_ADDRESS, %rbx
        mov     (%rbx), %rax            # #PF the first time; runs again after the handler
        mov     %rax, %r12
        lea     mapped_message(%rip), %rsi
        call    print
        mov     %r12, %rax
        call    print_hex64
        lea     newline(%rip), %rsi
        call    print
        mov     $0, %al
        outb    %al, $0xf4              # exit status 0
        hlt

# The page-fault handler. The CPU pushed an error code and the return frame;
# CR2 holds the address that faulted.
        .globl page_fault
page_fault:
        push    %rax
        push    %rsi
        lea     fault_message(%rip), %rsi
        call    print
        mov     %cr2, %rax
        call    print_hex64
        lea     error_code_message(%rip), %rsi
        call    print
        mov     16(%rsp), %rax          # the error code, above our two pushes
        call    print_hex64
        lea     newline(%rip), %rsi
        call    print
        # Map 1 GiB - 1 GiB + 2 MiB to FAULT_BACKING: PDPT[1] -> PD_FAULT[0].
        movq    $(PD_FAULT + PRESENT_WRITABLE), PDPT + 8
        movq    $(FAULT_BACKING + PRESENT_WRITABLE + PAGE_2M), PD_FAULT
        mov     %cr2, %rax
        invlpg  (%rax)
        pop     %rsi
        pop     %rax
        add     $8, %rsp                # drop the error code before iretq
        iretq

# print: prints the zero-terminated string at RSI on the debug console.
print:
        push    %rax
        push    %rdx
        mov     $0xe9, %dx
1:      lodsb
        test    %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      pop     %rdx
        pop     %rax
        ret

# print_hex64: prints RAX as 0x and 16 hex digits.
print_hex64:
        push    %rbx
        push    %rcx
        push    %rdx
        mov     %rax, %rbx
        mov     $0xe9, %dx
        mov     $'0', %al
        outb    %al, %dx
        mov     $'x', %al
        outb    %al, %dx
        mov     $16, %ecx
1:      rol     $4, %rbx
        mov     %ebx, %eax
        and     $0xf, %eax
        lea     hex_digits(%rip), %rsi
        mov     (%rsi,%rax), %al
        outb    %al, %dx
        loop    1b
        pop     %rdx
        pop     %rcx
        pop     %rbx
        ret

        .set    CODE64_SELECTOR, gdt_code64 - gdt
        .set    DATA_SELECTOR, gdt_data - gdt

        .balign 8
gdt:    .quad   0
gdt_code64:                             # L = 1: 64-bit code
        .quad   0x00af9a000000ffff
gdt_data:
        .quad   0x00cf92000000ffff
gdt_end:
gdt_pointer:
        .word   gdt_end - gdt - 1
        .quad   gdt
        .balign 16
idt:    .fill   32 * 16, 1, 0           # 32 gates, 16 bytes each; only 14 is filled
idt_pointer:
        .word   32 * 16 - 1
        .quad   idt

long_message:       .asciz "long mode: paging on\n"
fault_message:      .asciz "page fault at "
error_code_message: .asciz ", error code "
mapped_message:     .asciz "the guest mapped the page itself and read "
newline:            .asciz "\n"
hex_digits:         .ascii "0123456789abcdef"
