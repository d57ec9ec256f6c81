#!/bin/sh
# Lab 3 - protected mode: from real mode through a GDT of its own to 32-bit code.
. "$(dirname "$0")/lib.sh"

run_lab 03-protected.bin --mode real
# CR0's other bits are what KVM reports; PE (bit 0) must be set.
if grep -q '^protected mode: CR0=0x[0-9a-f]*[13579bdf]$' "$TMP/out"; then
    pass "32-bit code ran with CR0.PE set"
else
    check_failed "no 'protected mode: CR0=...' line with PE set"
fi
sed -i '/^protected mode: CR0=/d' "$TMP/out"
expect_output "real mode: hello"
expect_status 0 'exit port'
finish_checks "lab 3 (protected mode)"
