# Lab 4 - long mode and paging. The handout: docs/labs/04-long.md.
#
# Berth starts this at 0x100000 in 32-bit protected mode with paging off
# (`--mode protected`). The guest then enters 64-bit long mode itself
# (AMD64 APM vol. 2, "Enabling and Activating Long Mode"; Intel SDM
# vol. 3A, "Initializing IA-32e Mode"):
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
#
# Your part: steps 1 to 5 and the handler's mapping, marked TODO below.
# The 64-bit code, the IDT, the GDT and the print helpers are given. Build
# and grade with ./scripts/lab-check 4.

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

        # TODO step 1: the page tables. Each table is one 4 KiB page of 512
        #   8-byte entries; RAM is zero at start, but clear the four pages
        #   (PML4 to PD_FAULT, 16 KiB) anyway (`rep stosl` with EDI, EAX,
        #   ECX; clear the direction flag first), then write three links:
        #   - PML4[0]  = PDPT, present and writable;
        #   - PDPT[0]  = PD_LOW, present and writable;
        #   - PD_LOW[0] maps 0 - 2 MiB and PD_LOW[1] maps 2 - 4 MiB: each the
        #     physical address, present, writable and PAGE_2M.
        #   An entry's high half (bits 63:32) stays zero here: a 32-bit
        #   `movl` to the low half is enough.
        # TODO step 2: set CR4.PAE (bit 5), then load CR3 with PML4.
        # TODO step 3: set EFER.LME (bit 8). EFER is MSR 0xc0000080: put the
        #   number in ECX, `rdmsr` (EDX:EAX = the MSR), set the bit in EAX,
        #   `wrmsr`.
        # TODO step 4: set CR0.PG (bit 31). From the next instruction on,
        #   every address goes through your page tables: this code must be
        #   identity-mapped (it is, at 1 MiB, by PD_LOW[0]).
        # TODO step 5: load this file's GDT (gdt_pointer, below) with `lgdt`,
        #   then `ljmp $CODE64_SELECTOR, $long_entry`: the jump loads CS with
        #   the L = 1 descriptor and the CPU starts decoding 64-bit code.

        # Placeholder, so that this unfinished file stops cleanly: it says
        # that it is still in protected mode and ends the run with exit
        # status 1. Delete from here to `hlt` when you write step 5.
        mov     $still_protected_message, %esi
        mov     $0xe9, %dx
1:      lodsb
        test    %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      mov     $1, %al
        outb    %al, $0xf4
        hlt

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
        # A guard (not in the reference solution): a second page fault means
        # the mapping below did not take, and returning again would fault
        # again, forever. Stop with exit status 3 instead.
        incl    fault_count(%rip)
        cmpl    $1, fault_count(%rip)
        jne     fault_again
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

        # TODO: map 1 GiB - 1 GiB + 2 MiB to FAULT_BACKING:
        #   - PDPT[1] (the entry for 1 - 2 GiB) = PD_FAULT, present and writable;
        #   - PD_FAULT[0] = FAULT_BACKING, present, writable and PAGE_2M.
        #   Use `movq` with an immediate: in 64-bit mode the absolute
        #   addresses PDPT + 8 and PD_FAULT fit in a 32-bit displacement.
        # TODO: drop any stale translation of the faulting address: `invlpg`
        #   on the address in CR2 (load CR2 into a register first).

        pop     %rsi
        pop     %rax
        add     $8, %rsp                # drop the error code before iretq
        iretq

fault_again:
        lea     fault_again_message(%rip), %rsi
        call    print
        mov     $3, %al
        outb    %al, $0xf4              # exit status 3
        hlt

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
fault_count:        .long 0

long_message:            .asciz "long mode: paging on\n"
still_protected_message: .asciz "still in 32-bit protected mode: steps 1-5 are not written yet\n"
fault_message:           .asciz "page fault at "
error_code_message:      .asciz ", error code "
mapped_message:          .asciz "the guest mapped the page itself and read "
fault_again_message:     .asciz "a second page fault: the handler's mapping did not take\n"
newline:                 .asciz "\n"
hex_digits:              .ascii "0123456789abcdef"
