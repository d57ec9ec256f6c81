# Lab 1 - hello from a guest.
#
# Berth loads this flat binary at 0x7c00 and starts it in real mode
# (`berth run --image 01-hello.bin --mode real`): CS:IP = 0000:7c00,
# interrupts off, no BIOS. The only way out of the guest is I/O: each
# `outb` to port 0xe9 (Berth's debug console) is one VM exit, and Berth
# prints the byte. `hlt` with no interrupt controller ends the run.
#
# Expected: "Hello from a guest!" on Berth's stdout, then "guest halted";
# `--stats` counts 20 I/O exits on port 0xe9 (19 characters and a newline)
# and one HLT exit.

        .code16
        .text
        .globl start
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds                # lodsb reads from DS:SI
        cld                             # ... and moves SI forward
        mov     $message, %si
        mov     $0xe9, %dx              # the debug console's port
print_next:
        lodsb                           # AL = *SI++
        test    %al, %al
        jz      done                    # the string ends with a zero byte
        outb    %al, %dx                # a VM exit: KVM_EXIT_IO, port 0xe9
        jmp     print_next
done:
        hlt                             # a VM exit: KVM_EXIT_HLT
        jmp     done

message:
        .asciz  "Hello from a guest!\n"
