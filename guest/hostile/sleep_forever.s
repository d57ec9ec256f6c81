# A hostile guest: it halts with interrupts on, and no interrupt will ever
# come. With KVM's in-kernel irqchip the vCPU sleeps inside KVM and Berth
# never hears of it; with Berth's own PIC (--irqchip none) the halt waits in
# Berth. Either way only --timeout or a signal ends it.
#
#   berth run --image sleep_forever.bin --mode real --irqchip kernel|none --timeout SECONDS

        .code16
        .text
        .globl start
start:
        sti
1:      hlt
        jmp     1b
