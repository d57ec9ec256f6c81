# Lab 5 - interrupts: a timer interrupt, a handler, and the exits it costs.
#
# Berth loads this flat binary at 0x7c00 and starts it in real mode, where
# the interrupt vector table (IVT) at address 0 says where each interrupt
# vector's handler is: 4 bytes each, offset then segment.
#
# The guest
#   1. puts its timer handler in the IVT entry of vector 0x20;
#   2. programs the 8259 PIC (ports 0x20-0x21) so that its IRQ 0 arrives as
#      vector 0x20, and unmasks IRQ 0 only;
#   3. programs channel 0 of the 8254 PIT (ports 0x40-0x43) to fire IRQ 0
#      100 times a second (mode 2, count 11932 = 1193182 Hz / 100);
#   4. sleeps with `sti; hlt` and prints every tenth tick; the handler
#      counts ticks, masks IRQ 0 after the 100th, and ends each interrupt
#      with an EOI to the PIC;
#   5. prints a summary and writes 0 to the exit port (0xf4).
#
# The same binary runs with either interrupt controller:
#   berth run --image 05-interrupts.bin --mode real --irqchip kernel --stats
#     KVM's own PIC and PIT: none of their port accesses, no HLT, leaves KVM;
#   berth run --image 05-interrupts.bin --mode real --irqchip none --stats
#     Berth's PIC and PIT (devices/legacy): each EOI, each HLT and each tick
#     is a trip out of KVM into Berth.
# Expected output, either way:
#   PIT channel 0: 100 Hz, IRQ 0 at vector 0x20
#   tick 10 ... tick 100 (one line each)
#   100 timer interrupts taken, then IRQ 0 masked

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

# 1. The IVT entry of vector 0x20: handler offset, then segment 0.
        movw    $timer_handler, 0x20 * 4
        movw    $0, 0x20 * 4 + 2

# 2. The PIC: ICW1 (edge triggered, cascade, ICW4 follows), ICW2 (the
#    vector of IRQ 0), ICW3 (a slave on IRQ 2: the PC's wiring), ICW4
#    (8086 mode, normal EOI); then OCW1, the mask: only IRQ 0 open.
        mov     $0x11, %al
        outb    %al, $0x20
        mov     $0x20, %al
        outb    %al, $0x21
        mov     $0x04, %al
        outb    %al, $0x21
        mov     $0x01, %al
        outb    %al, $0x21
        mov     $0xfe, %al
        outb    %al, $0x21

# 3. The PIT: control word 0x34 = channel 0, low byte then high byte,
#    mode 2 (rate generator), binary; then the count, 11932 = 0x2e9c.
        mov     $0x34, %al
        outb    %al, $0x43
        mov     $0x9c, %al
        outb    %al, $0x40
        mov     $0x2e, %al
        outb    %al, $0x40

        mov     $banner, %si
        call    print_string

# 4. Sleep until the next tick; print each tenth. BX is the next tick to
#    print. The check and the sleep happen with interrupts off, and `sti`
#    delays interrupts by one instruction, so a tick cannot slip in between
#    the check and the `hlt` and leave the CPU asleep.
        mov     $10, %bx
wait_for_tick:
        cli
        cmp     %bx, ticks
        jae     print_tick
        sti
        hlt                             # woken by the next interrupt
        jmp     wait_for_tick
print_tick:
        sti
        mov     $tick_text, %si
        call    print_string
        mov     %bx, %ax
        call    print_decimal
        mov     $'\n', %al
        outb    %al, $0xe9
        add     $10, %bx
        cmp     $100, %bx
        jbe     wait_for_tick

# 5. Done: IRQ 0 is masked by now (the handler did it at tick 100).
        cli
        mov     ticks, %ax
        call    print_decimal
        mov     $summary, %si
        call    print_string
        mov     $0, %al
        outb    %al, $0xf4              # the exit port: Berth exits with 0

# The timer's handler. The CPU pushed FLAGS, CS and IP and cleared IF;
# `iret` pops them. Until the EOI the PIC holds back IRQ 0 (and anything of
# lower priority): it thinks the interrupt is still being served.
timer_handler:
        push    %ax
        incw    ticks
        cmpw    $100, ticks
        jb      1f
        mov     $0xff, %al              # the 100th: mask every IRQ (OCW1)
        outb    %al, $0x21
1:      mov     $0x20, %al              # OCW2: non-specific end of interrupt
        outb    %al, $0x20
        pop     %ax
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
