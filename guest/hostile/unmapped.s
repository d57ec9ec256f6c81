# A hostile guest: it reads and writes I/O ports and physical addresses
# where no device and no RAM is, then reports what it read back and exits
# through the exit port. Berth must answer every read with all-ones bytes,
# drop every write, and carry on. Run with --memory 64M (so that 64 MiB and
# up is not RAM):
#
#   berth run --image unmapped.bin --mode protected --memory 64M
#
# Expected output (the counts are of reads that did NOT return all ones):
#   ports: 0 of 768 reads were not all ones
#   memory: 0 of 6 reads were not all ones
# and Berth's status is 0.

        .code32
        .text
        .globl start
start:
        cli
        xor     %edi, %edi              # reads that came back wrong

# I/O ports 0x100-0x1ff and 0x400-0x5ff: nothing of the PC's or Berth's
# is there (COM1 is at 0x3f8, ACPI PM at 0x600).
        mov     $0x100, %edx
1:      call    poke_port
        inc     %edx
        cmp     $0x200, %edx
        jb      1b
        mov     $0x400, %edx
2:      call    poke_port
        inc     %edx
        cmp     $0x600, %edx
        jb      2b
        mov     $ports_message, %esi
        mov     $768, %ecx
        call    report

# Physical addresses with nothing behind them: above RAM (64 MiB), in the
# 32-bit hole around Berth's devices, and the top of the address space.
        xor     %edi, %edi
        mov     $addresses, %ebx
3:      mov     (%ebx), %edx
        test    %edx, %edx
        jz      5f
        movl    $0x12345678, (%edx)     # dropped: an MMIO exit nobody claims
        mov     (%edx), %eax
        cmp     $0xffffffff, %eax
        je      4f
        inc     %edi
4:      add     $4, %ebx
        jmp     3b
5:      mov     $memory_message, %esi
        mov     $6, %ecx
        call    report

        mov     $0, %al
        outb    %al, $0xf4

# poke_port: write port DX (dropped), read it back; EDI counts a read
# that is not 0xff.
poke_port:
        mov     $0x5a, %al
        outb    %al, %dx
        inb     %dx, %al
        cmp     $0xff, %al
        je      1f
        inc     %edi
1:      ret

# report: "<ESI text>: <EDI> of <ECX> reads were not all ones\n"
report:
        call    print
        mov     $colon, %esi
        call    print
        mov     %edi, %eax
        call    print_decimal
        mov     $of, %esi
        call    print
        mov     %ecx, %eax
        call    print_decimal
        mov     $tail, %esi
        call    print
        ret

print:
        lodsb
        test    %al, %al
        jz      1f
        outb    %al, $0xe9
        jmp     print
1:      ret

# print_decimal: EAX in decimal.
print_decimal:
        push    %ecx
        push    %edx
        push    %ebx
        mov     $10, %ebx
        xor     %ecx, %ecx
1:      xor     %edx, %edx
        div     %ebx
        push    %edx
        inc     %ecx
        test    %eax, %eax
        jnz     1b
2:      pop     %eax
        add     $'0', %al
        outb    %al, $0xe9
        loop    2b
        pop     %ebx
        pop     %edx
        pop     %ecx
        ret

addresses:
        .long   0x04000000              # the first byte past 64 MiB of RAM
        .long   0x3ffffffc              # the last word below 1 GiB
        .long   0xbffffff0              # just below the 32-bit hole
        .long   0xd0002000              # past the calculator, before PCI
        .long   0xfed00000              # where a PC has its HPET
        .long   0xfffffff0              # the reset vector: no ROM here
        .long   0
ports_message:  .asciz "ports"
memory_message: .asciz "memory"
colon:          .asciz ": "
of:             .asciz " of "
tail:           .asciz " reads were not all ones\n"
