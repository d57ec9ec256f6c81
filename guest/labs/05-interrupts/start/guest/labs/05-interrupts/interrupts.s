# Lab 5 - interrupts. Your starting point: see docs/labs/05-interrupts.md.
#
# Berth loads this flat binary at 0x7c00 and starts it in real mode, where
# the interrupt vector table (IVT) at address 0 says where each interrupt
# vector's handler is: 4 bytes each, offset then segment.
#
# Given: the stack, the printing helpers, the banner and the summary.
# Yours: the TODOs. When the lab is done, the guest takes 100 timer
# interrupts (100 Hz from channel 0 of the PIT, through the PIC as vector
# 0x20), prints every tenth tick, masks IRQ 0 after the 100th and exits:
#   ./scripts/lab-check 5

        .code16
        .text
        .globl start
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7c00, %sp
        cld

# TODO 1: put timer_handler in the IVT entry of vector 0x20.

# TODO 2: initialise the PIC (ports 0x20 and 0x21): ICW1 to ICW4, so that
#         IRQ 0 arrives as vector 0x20; then unmask IRQ 0 only (OCW1).

# TODO 3: program channel 0 of the PIT (ports 0x40-0x43) for 100 Hz in
#         mode 2.

        mov     $banner, %si
        call    print_string

# TODO 4: sleep until the next tick and print "tick N" for N = 10, 20, ...,
#         100 (BX can hold the next N; print_decimal prints AX). Mind the
#         race between looking at `ticks` and `hlt`: handout, step 4.

# Done: IRQ 0 is masked by now (the handler does it at tick 100).
        cli
        mov     ticks, %ax
        call    print_decimal
        mov     $summary, %si
        call    print_string
        mov     $0, %al
        outb    %al, $0xf4              # the exit port: Berth exits with 0

# TODO 5: the timer's handler: count the tick in `ticks`, mask IRQ 0 after
#         the 100th, send the PIC an end of interrupt, return with iret.
#         Keep every register as it was.
timer_handler:
        iret

# print_string: the zero-terminated string at DS:SI to port 0xe9.
print_string:
        lodsb
        test    %al, %al
        jz      1f
        outb    %al, $0xe9
        jmp     print_string
1:      ret

# print_decimal: AX (0-65535) in decimal, without leading zeros.
print_decimal:
        push    %bx
        push    %cx
        push    %dx
        mov     $10, %bx
        xor     %cx, %cx
1:      xor     %dx, %dx
        div     %bx                     # AX = AX / 10, DX = the digit
        push    %dx
        inc     %cx
        test    %ax, %ax
        jnz     1b
2:      pop     %ax
        add     $'0', %al
        outb    %al, $0xe9
        loop    2b
        pop     %dx
        pop     %cx
        pop     %bx
        ret

ticks:
        .word   0
banner:
        .asciz  "PIT channel 0: 100 Hz, IRQ 0 at vector 0x20\n"
tick_text:
        .asciz  "tick "
summary:
        .asciz  " timer interrupts taken, then IRQ 0 masked\n"
