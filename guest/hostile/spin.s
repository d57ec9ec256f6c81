# A hostile (or just broken) guest: it never does anything Berth can see,
# no I/O, no halt, a loop for ever, like a kernel that hangs before its
# first console line. Only Berth's --timeout (or a signal) ends it.
#
#   berth run --image spin.bin --mode real --timeout SECONDS

        .code16
        .text
        .globl start
start:
        cli
1:      jmp     1b
