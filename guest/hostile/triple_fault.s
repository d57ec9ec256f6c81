# A hostile guest: it empties its interrupt table and raises an exception.
# The #BP cannot be delivered (#GP), nor can that (#DF), nor that: a triple
# fault, which resets a PC. Berth stops with "guest reset (triple fault)".
#
#   berth run --image triple_fault.bin --mode real

        .code16
        .text
        .globl start
start:
        cli
        lidt    empty_idt               # IDTR: limit 0, base 0
        int3                            # -> #GP -> #DF -> triple fault
        hlt

empty_idt:
        .word   0
        .long   0
