#!/bin/sh
# Lab 5 - interrupts: the guest takes 100 timer interrupts from the PIT
# through the PIC, first with Berth's own PIC and PIT (--irqchip none), then
# with KVM's (--irqchip kernel); the output is the same, the exits are not.
. "$(dirname "$0")/lib.sh"

expected="PIT channel 0: 100 Hz, IRQ 0 at vector 0x20
tick 10
tick 20
tick 30
tick 40
tick 50
tick 60
tick 70
tick 80
tick 90
tick 100
100 timer interrupts taken, then IRQ 0 masked"

# port_exits PORT: the exits --stats counts on that I/O port (0 if absent).
port_exits() {
    awk -v p="$1" '$2 == p && $1 == "berth:" { print $3; found = 1 } END { if (!found) print 0 }' "$TMP/err"
}
# exits_of REASON: the exits of that reason in --stats' table (0 if absent).
exits_of() {
    awk -v r="$1" '$1 == "berth:" && $2 == r && $3 ~ /^[0-9]+$/ { print $3; found = 1 } END { if (!found) print 0 }' "$TMP/err"
}
expect_port() {  # PORT EXITS WHY
    got=$(port_exits "$1")
    if [ "$got" = "$2" ]; then
        pass "--stats: $2 I/O exits on port $1 ($3)"
    else
        check_failed "--stats should count $2 I/O exits on port $1 ($3), not $got:"
        grep -A8 'hottest I/O ports' "$TMP/err"
    fi
}

echo "--- Berth's PIC and PIT (--irqchip none)"
run_lab 05-interrupts.bin --mode real --irqchip none --stats
expect_output "$expected"
expect_status 0 'exit port'
# Every access to the PIC and the PIT leaves KVM: the exact number of each
# follows from the guest's instructions.
expect_port 0x20 101 "ICW1, then one EOI per interrupt"
expect_port 0x21 5 "ICW2-4, the mask that opens IRQ 0, the mask that closes it"
expect_port 0x43 1 "the PIT's control word"
expect_port 0x40 2 "the count, low byte then high byte"
# The CPU sleeps in Berth: hlt with interrupts on waits there for the tick.
halts=$(exits_of hlt)
if [ "$halts" -ge 1 ]; then
    pass "--stats: $halts HLT exits (the CPU sleeps in Berth between ticks)"
else
    check_failed "--stats should count HLT exits between ticks, not $halts"
fi

echo "--- KVM's PIC and PIT (--irqchip kernel)"
run_lab 05-interrupts.bin --mode real --irqchip kernel --stats
expect_output "$expected"
expect_status 0 'exit port'
for port in 0x20 0x21 0x40 0x43; do
    expect_port "$port" 0 "KVM's own device answers"
done
halts=$(exits_of hlt)
if [ "$halts" = 0 ]; then
    pass "--stats: no HLT exit (KVM sleeps the vCPU and wakes it itself)"
else
    check_failed "--stats should count no HLT exits with the in-kernel irqchip, not $halts"
fi
finish_checks "lab 5 (interrupts)"
