# Lab 3 - protected mode. The handout: docs/labs/03-protected.md.
#
# Starts like lab 1 in real mode at 0x7c00 (`--mode real`), then does what a
# boot loader does to reach 32-bit protected mode (Intel SDM vol. 3A,
# "Switching to Protected Mode"):
#   1. describe flat 4 GiB code and data segments in a GDT;
#   2. load it with `lgdt`;
#   3. set CR0.PE;
#   4. far-jump, which reloads CS from the new GDT and starts 32-bit decoding;
#   5. reload the data segment registers and the stack.
# Then it prints CR0 in hex from 32-bit code and asks Berth to exit with
# status 0 through port 0xf4.
#
# Expected output:
#   real mode: hello
#   protected mode: CR0=0x60000011
#   (CR0's other bits are what KVM reports; PE, bit 0, must be set)
#
# Your part: the five steps, marked TODO below (step 1 is the two
# descriptors near the end of the file). The real-mode start, the print
# helpers and the 32-bit code after step 5 are given. Build and grade with
# ./scripts/lab-check 3.

        .code16
        .text
        .globl start
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7c00, %sp
        mov     $real_message, %si
        call    print16

        # TODO step 2: load the GDTR from gdt_pointer (below) with `lgdt`.
        # TODO step 3: set CR0.PE (bit 0). CR0 cannot be changed in place:
        #   copy it to EAX, set the bit, copy it back.
        # TODO step 4: far-jump to protected_entry through the code segment,
        #   `ljmpl $CODE_SELECTOR, $protected_entry`. The jump loads CS from
        #   GDT entry CODE_SELECTOR; until then the CPU still decodes 16-bit
        #   instructions. ljmpl is the form with a 32-bit offset, which
        #   reaches any address (protected_entry lies below 64 KiB, so the
        #   16-bit form would work too, here).

        # Placeholder, so that this unfinished file stops cleanly: it says
        # that it never left real mode and ends the run with exit status 1.
        # Delete these four lines when you write step 4.
        mov     $still_real_message, %si
        call    print16
        mov     $1, %al
        outb    %al, $0xf4

# print16: prints the zero-terminated string at DS:SI on the debug console.
print16:
        mov     $0xe9, %dx
1:      lodsb
        test    %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      ret

        .code32
        .globl protected_entry
protected_entry:                        # a good place for a gdb breakpoint
        # TODO step 5: the far jump reloaded CS only. Load DS, ES and SS with
        #   DATA_SELECTOR (through AX: a segment register cannot be loaded
        #   from an immediate), and point ESP at 0x7c00 again: the stack
        #   stays where it was, but SS now comes from the GDT.

        mov     $protected_message, %esi
        call    print32
        mov     %cr0, %eax
        call    print_hex32
        mov     $newline, %esi
        call    print32
        .globl  exit_to_berth
exit_to_berth:
        mov     $0, %al                 # exit status 0
        outb    %al, $0xf4              # Berth's exit port
        hlt

# print32: prints the zero-terminated string at ESI.
print32:
        mov     $0xe9, %dx
1:      lodsb
        test    %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      ret

# print_hex32: prints EAX as 0x followed by 8 hex digits.
print_hex32:
        mov     %eax, %ebx
        mov     $0xe9, %dx
        mov     $'0', %al
        outb    %al, %dx
        mov     $'x', %al
        outb    %al, %dx
        mov     $8, %ecx
1:      rol     $4, %ebx                # the top nibble comes round to the bottom
        mov     %ebx, %eax
        and     $0xf, %eax
        mov     hex_digits(%eax), %al
        outb    %al, %dx
        loop    1b
        ret

        .set    CODE_SELECTOR, gdt_code - gdt
        .set    DATA_SELECTOR, gdt_data - gdt

        .balign 8
gdt:    .quad   0                       # the null descriptor: selector 0 is never used
gdt_code:
        # TODO step 1: a code segment descriptor: base 0, limit 0xfffff in
        #   4 KiB units (G = 1, so 4 GiB), 32-bit (D = 1), present, DPL 0,
        #   a code segment that may be executed and read (type 0xa, S = 1).
        #   Work out the 8 bytes from the descriptor layout in the SDM
        #   (vol. 3A, "Segment Descriptors") and write them as one .quad.
        .quad   0
gdt_data:
        # TODO step 1: a data segment descriptor: the same base, limit, G
        #   and D/B bits, present, DPL 0, a data segment that may be read
        #   and written (type 0x2, S = 1).
        .quad   0
gdt_end:
gdt_pointer:                            # what lgdt reads: 6 bytes
        .word   gdt_end - gdt - 1       # limit: size - 1
        .long   gdt                     # linear base address

real_message:       .asciz "real mode: hello\n"
still_real_message: .asciz "still in real mode: steps 2-4 are not written yet\n"
protected_message:  .asciz "protected mode: CR0="
newline:            .asciz "\n"
hex_digits:         .ascii "0123456789abcdef"
