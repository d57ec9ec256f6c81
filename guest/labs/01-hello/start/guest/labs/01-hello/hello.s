# Lab 1 - hello from a guest. The handout: docs/labs/01-hello.md.
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
#
# Your part: the print loop and the halt (the two TODOs below). Build and
# grade with ./scripts/lab-check 1.

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

        # TODO 1, the print loop (label it print_next): one byte per turn.
        #   - load the byte at DS:SI into AL and advance SI (`lodsb` does both);
        #   - if AL is zero, the string has ended: jump to `done`;
        #   - otherwise write AL to the port in DX (`outb %al, %dx`): this is
        #     the instruction that makes KVM exit to Berth (KVM_EXIT_IO);
        #   - jump back to the start of the loop.

done:
        # TODO 2, the end: halt the vCPU with `hlt`. Interrupts are off and
        # Berth runs lab guests without an in-kernel interrupt controller, so
        # KVM returns to Berth with KVM_EXIT_HLT and the run ends, "guest
        # halted". Put a `jmp done` after the hlt, as a guard: were the vCPU
        # ever woken, it would halt again instead of running into the data.

        # Placeholder, so that this unfinished file ends at once instead of
        # running into the message below as if it were code: it ends the run
        # with exit status 1 (port 0xf4). Delete these two lines when you
        # write TODO 2.
        mov     $1, %al
        outb    %al, $0xf4

message:
        .asciz  "Hello from a guest!\n"
