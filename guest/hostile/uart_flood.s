# A hostile guest: it writes to the 16550 UART's transmit register (COM1,
# port 0x3f8) as fast as the CPU can, for ever, without a newline: every
# byte is an I/O exit, and a line that never ends. Berth must keep up
# without its memory growing (tests/hostile/flood.sh measures it).
#
#   berth run --image uart_flood.bin --mode real --timeout SECONDS

        .code16
        .text
        .globl start
start:
        cli
        mov     $0x3f8, %dx
        mov     $'x', %al
1:      outb    %al, %dx
        jmp     1b
