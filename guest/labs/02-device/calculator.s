# Lab 2 - a device of your own: the guest side.
#
# Berth starts this at 0x100000 in 32-bit protected mode (`--mode
# protected`). It drives the "calculator", an MMIO device at 0xd0001000
# (devices/lab/calculator.cpp; register map in docs/lab-machine.md): write
# OPERAND_A and OPERAND_B, write COMMAND, read STATUS and RESULT. Every
# access is a KVM_EXIT_MMIO that Berth hands to the device, because no
# memory slot backs that address. This program is finished; in the lab you
# write the device.
#
# Expected output:
#   calculator found
#   6 * 7 = 42
#   100 / 7 = 14
#   100 % 7 = 2
#   1000000 + 234567 = 1234567
#   50 - 8 = 42
#   1 / 0: error 1
#   1 ? 1: error 2
# then Berth exits with status 0 (port 0xf4).

        .set    CALCULATOR, 0xd0001000
        .set    OPERAND_A, CALCULATOR + 0x00
        .set    OPERAND_B, CALCULATOR + 0x08
        .set    COMMAND, CALCULATOR + 0x10
        .set    RESULT, CALCULATOR + 0x18
        .set    STATUS, CALCULATOR + 0x20
        .set    ID, CALCULATOR + 0x28
        .set    CALCULATOR_ID, 0x434c4143  # "CALC"

        .code32
        .text
        .globl start
start:
        cli
        mov     $0x8ff0, %esp
        cmpl    $CALCULATOR_ID, ID      # an MMIO read
        je      1f
        mov     $missing_message, %esi
        call    print
        mov     $1, %al
        outb    %al, $0xf4              # exit status 1: no calculator
        hlt
1:      mov     $found_message, %esi
        call    print

        mov     $operations, %ebp       # each: A, B, COMMAND, symbol
        .globl next_operation
next_operation:
        mov     0(%ebp), %eax
        test    %eax, %eax
        jz      all_done                # A = 0 ends the table
        movl    %eax, OPERAND_A         # 64-bit registers: write both halves
        movl    $0, OPERAND_A + 4
        mov     4(%ebp), %eax
        movl    %eax, OPERAND_B
        movl    $0, OPERAND_B + 4
        mov     8(%ebp), %eax
        movl    %eax, COMMAND           # the device computes now

        mov     0(%ebp), %eax           # print "A op B"
        call    print_decimal
        mov     $' ', %al
        call    print_char
        mov     12(%ebp), %al
        call    print_char
        mov     $' ', %al
        call    print_char
        mov     4(%ebp), %eax
        call    print_decimal

        mov     STATUS, %eax
        test    %eax, %eax
        jnz     failed
        mov     $equals, %esi
        call    print
        mov     RESULT, %eax            # the low half is enough here
        call    print_decimal
        jmp     line_done
failed:
        push    %eax
        mov     $error_message, %esi
        call    print
        pop     %eax
        call    print_decimal
line_done:
        mov     $'\n', %al
        call    print_char
        add     $16, %ebp
        jmp     next_operation

all_done:
        mov     $0, %al
        outb    %al, $0xf4              # exit status 0
        hlt

# print: the zero-terminated string at ESI on the debug console.
print:
        lodsb
        test    %al, %al
        jz      1f
        outb    %al, $0xe9
        jmp     print
1:      ret

print_char:                             # AL
        outb    %al, $0xe9
        ret

# print_decimal: EAX as an unsigned decimal number.
print_decimal:
        mov     $10, %ecx
        xor     %ebx, %ebx              # digits pushed
1:      xor     %edx, %edx
        div     %ecx                    # EAX = EAX / 10, EDX = the last digit
        push    %edx
        inc     %ebx
        test    %eax, %eax
        jnz     1b
2:      pop     %eax
        add     $'0', %al
        outb    %al, $0xe9
        dec     %ebx
        jnz     2b
        ret

        .balign 4
operations:                             # A, B, COMMAND, symbol
        .long   6, 7, 3, '*'
        .long   100, 7, 4, '/'
        .long   100, 7, 5, '%'
        .long   1000000, 234567, 1, '+'
        .long   50, 8, 2, '-'
        .long   1, 0, 4, '/'            # division by zero: STATUS 1
        .long   1, 1, 9, '?'            # no such command: STATUS 2
        .long   0

found_message:   .asciz "calculator found\n"
missing_message: .asciz "no calculator at 0xd0001000\n"
equals:          .asciz " = "
error_message:   .asciz ": error "
