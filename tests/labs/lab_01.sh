#!/bin/sh
# Lab 1 - hello: the real-mode guest prints through port 0xe9 and halts.
. "$(dirname "$0")/lib.sh"

run_lab 01-hello.bin --mode real --stats
expect_output "Hello from a guest!"
expect_status 0 'guest halted'
# The exits the guest's instructions imply: one per outb (19 characters and
# a newline), one for hlt.
if grep -Eq '^berth: +0xe9 +20 +debug-console$' "$TMP/err"; then
    pass "--stats: 20 I/O exits on port 0xe9, handled by the debug console"
else
    check_failed "--stats should count 20 I/O exits on port 0xe9:"
    grep -A3 'hottest I/O ports' "$TMP/err"
fi
if grep -Eq '^berth: +hlt +1 ' "$TMP/err"; then
    pass "--stats: one HLT exit"
else
    check_failed "--stats should count one HLT exit:"
    grep -A4 'exit statistics' "$TMP/err"
fi
finish_checks "lab 1 (hello)"
