# Lab 3 - protected mode.
#
# Starts like lab 1 in real mode at 0x7c00 (`--mode real`), then does what a
# boot loader does to reach 32-bit protected mode (Intel SDM vol. 3A §9.9.1):
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
#   (CD and NW, bits 30 and 29, are set as after a CPU reset; ET, bit 4, is
#   fixed to 1; PE, bit 0, is the bit this program set)

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

        lgdt    gdt_pointer             # step 2
        mov     %cr0, %eax
        or      $1, %eax                # step 3: CR0.PE
        mov     %eax, %cr0
        ljmpl   $CODE_SELECTOR, $protected_entry   # step 4

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
        mov     $DATA_SELECTOR, %ax     # step 5
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x7c00, %esp
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
gdt:    .quad   0                       # the null descriptor
gdt_code:                               # base 0, limit 4 GiB, 32-bit, execute/read
        .quad   0x00cf9a000000ffff
gdt_data:                               # base 0, limit 4 GiB, read/write
        .quad   0x00cf92000000ffff
gdt_end:
gdt_pointer:
        .word   gdt_end - gdt - 1       # limit: size - 1
        .long   gdt                     # linear base address

real_message:      .asciz "real mode: hello\n"
protected_message: .asciz "protected mode: CR0="
newline:           .asciz "\n"
hex_digits:        .ascii "0123456789abcdef"
